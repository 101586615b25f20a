"""Export stored results in the contract's shape: one JSON object per article."""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlite_utils

from extractor.models import CONTRACT_FIELDS
from extractor.store import storage

LIST_FIELDS = frozenset({"chaired_by", "speakers", "mentions"})
GROUNDING_FIELDS = ("char_start", "char_end", "alignment")


def _decode(field: str, value: object) -> object:
    if field in LIST_FIELDS and isinstance(value, str):
        return json.loads(value)
    return value


def export_record(table: str, row: dict) -> dict:
    """Contract fields in contract order, plus a ``grounding`` object."""
    record = {name: _decode(name, row.get(name)) for name in CONTRACT_FIELDS[table]}
    record["grounding"] = {name: row.get(name) for name in GROUNDING_FIELDS}
    record["grounding"]["flags"] = json.loads(row.get("flags") or "[]")
    return record


def export_articles(db: sqlite_utils.Database) -> Iterator[dict]:
    for article in storage.iter_articles(db):
        article_id = article["article_id"]
        yield {
            "article_id": article_id,
            "title": article["title"],
            "published": article["published"],
            "place": article["place"],
            "repaired_text": article["repaired_text"],
            **{
                table: [export_record(table, row)
                        for row in storage.load_records(db, table, article_id)]
                for table in storage.RECORD_TABLES
            },
        }


def to_jsonl(db: sqlite_utils.Database) -> Iterator[str]:
    for obj in export_articles(db):
        yield json.dumps(obj, ensure_ascii=False)


def trusted_records(article: dict) -> dict:
    """The export object with suspect records (any grounding flag) left out."""
    return {
        key: [r for r in value if not (r.get("grounding") or {}).get("flags")]
        if key in storage.RECORD_TABLES else value
        for key, value in article.items()
    }
