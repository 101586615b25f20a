"""Termbase upkeep: suggest repairs made often enough to become glossary entries."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Suggestion:
    garbled: str
    repaired: str
    category: str
    count: int
    articles: int


def known_forms(glossary: list[dict]) -> set[str]:
    return {form.casefold() for entry in glossary for form in entry.get("garbled") or []}


def suggest(db: sqlite_utils.Database, glossary: list[dict], *, min_count: int = 2
            ) -> list[Suggestion]:
    """Model repairs (not glossary ones) seen at least ``min_count`` times, most frequent first."""
    if "repairs" not in db.table_names():
        return []
    known = known_forms(glossary)
    rows = db.query(
        "SELECT lower(original) AS garbled, repaired, category, count(*) AS n, "
        "count(DISTINCT article_id) AS articles FROM repairs "
        "WHERE coalesce(note, '') NOT LIKE '%glossary%' "
        "GROUP BY lower(original), lower(repaired) HAVING n >= ? ORDER BY n DESC, garbled",
        [min_count])
    return [Suggestion(r["garbled"], r["repaired"], r["category"], r["n"], r["articles"])
            for r in rows if r["garbled"] not in known]
