"""Export stored results in the contract's shape: one JSON object per article."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

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


# one CSV row per record: the article, the record type, every type's contract fields, grounding
CSV_COLUMNS = ["article_id", "article_title", "article_published", "article_place", "record_type",
               *dict.fromkeys(name for fields in CONTRACT_FIELDS.values() for name in fields),
               "char_start", "char_end", "alignment", "flags"]


def csv_rows(articles: Iterable[dict]) -> Iterator[dict]:
    """The export objects flattened to one row per record (lists and flags as JSON)."""
    for article in articles:
        for table in storage.RECORD_TABLES:
            for record in article.get(table, []):
                grounding = record.get("grounding") or {}
                row = {"article_id": article["article_id"], "article_title": article["title"],
                       "article_published": article["published"],
                       "article_place": article["place"],
                       "record_type": table,
                       **{name: json.dumps(value, ensure_ascii=False)
                          if isinstance(value, list) else value
                          for name, value in record.items() if name != "grounding"},
                       "char_start": grounding.get("char_start"),
                       "char_end": grounding.get("char_end"),
                       "alignment": grounding.get("alignment"),
                       "flags": json.dumps(grounding.get("flags") or [])}
                yield row


def trusted_records(article: dict) -> dict:
    """The export object with suspect records (any grounding flag) left out."""
    return {
        key: [r for r in value if not (r.get("grounding") or {}).get("flags")]
        if key in storage.RECORD_TABLES else value
        for key, value in article.items()
    }
