"""Post-processing of model records: merge duplicates, then ground every record in the text.

Grounding stores ``char_start``/``char_end``/``alignment``/``matched_text`` for each record's
evidence (repairs: their ``original``) and for each mention, and flags what cannot be trusted:
``evidence_not_found`` and, for targets, ``value_not_in_evidence``. Nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from extractor.canonical import merge_initiatives, merge_officials
from extractor.grounding import align, value_in_evidence

SPAN_FIELD = {"repairs": "original"}
GROUNDED = frozenset({"exact", "normalized", "fuzzy"})


def _ground_one(record: dict, span_field: str, text: str, taken: set[tuple[int, int]]) -> dict:
    found = align(str(record.get(span_field) or ""), text, taken=taken)
    flags: list[str] = []
    if found.status not in GROUNDED:
        flags.append("evidence_not_found")
    elif found.start is not None and found.end is not None:
        taken.add((found.start, found.end))
    grounded = {
        **record,
        "char_start": found.start,
        "char_end": found.end,
        "alignment": found.status,
        "matched_text": found.matched_text,
    }
    if "mentions" in record:
        grounded["mention_spans"] = [
            {"mention": m, "start": a.start, "end": a.end, "alignment": a.status}
            for m in record.get("mentions") or []
            for a in [align(m, text)]
        ]
    if (
        "value" in record
        and found.matched_text is not None
        and not value_in_evidence(float(record["value"]), record.get("unit"), found.matched_text)
    ):
        flags.append("value_not_in_evidence")
    grounded["flags"] = flags
    return grounded


def ground_records(table: str, records: Sequence[dict], text: str) -> list[dict]:
    """Attach offsets, alignment status and flags; repeated spans take successive occurrences."""
    taken: set[tuple[int, int]] = set()
    span_field = SPAN_FIELD.get(table, "evidence")
    return [_ground_one(record, span_field, text, taken) for record in records]


def finalize(records: dict[str, list[dict]], text: str) -> dict[str, list[dict]]:
    """Canonicalise officials and initiatives, then ground every table."""
    merged = dict(records)
    if "officials" in merged:
        merged["officials"] = merge_officials(merged["officials"])
    if "initiatives" in merged:
        merged["initiatives"] = merge_initiatives(merged["initiatives"])
    return {table: ground_records(table, rows, text) for table, rows in merged.items()}


def grounding_counts(records: dict[str, list[dict]]) -> tuple[int, int]:
    """(grounded and unflagged records, all records)."""
    rows = [row for rows in records.values() for row in rows]
    return sum(1 for row in rows if not row.get("flags")), len(rows)
