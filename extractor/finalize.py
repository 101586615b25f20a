"""Post-processing of model records: merge duplicates, then ground every record in the text.

Grounding stores ``char_start``/``char_end``/``alignment``/``matched_text`` for each record's
evidence (repairs: their ``original``) and for each mention, and flags what cannot be trusted:
``evidence_not_found`` and, for targets, ``value_not_in_evidence``. Nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from extractor.candidates import sentence_around
from extractor.canonical import merge_initiatives, merge_officials
from extractor.evaluate import normalize_quantity
from extractor.grounding import align, value_in_evidence
from extractor.quantities import Quantity, find_quantities, guess_kind, guess_period

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


def _covered(quantity: Quantity, targets: Sequence[dict]) -> bool:
    """A model target states this quantity: same magnitude and unit family, overlapping span."""
    wanted = normalize_quantity(quantity.value, quantity.unit)
    for target in targets:
        got = normalize_quantity(target.get("value"), target.get("unit"))
        if wanted is None or got is None or got[:2] != wanted[:2]:
            continue
        start, end = target.get("char_start"), target.get("char_end")
        if start is not None and end is not None and start < quantity.end and quantity.start < end:
            return True
    return False


def _nearest_period(position: int, targets: Sequence[dict]) -> str | None:
    """Period of the closest model target before ``position`` (the paragraph's year)."""
    before = [t for t in targets if t.get("char_start") is not None and t["char_start"] <= position]
    closest = max(before, key=lambda t: t["char_start"], default=None)
    return closest.get("period") if closest else None


def rule_targets(text: str, targets: Sequence[dict]) -> list[dict]:
    """Targets for the quantities with units that no model target covers."""
    added = []
    for quantity in find_quantities(text):
        if _covered(quantity, targets):
            continue
        sentence = sentence_around(text, quantity.start, quantity.end)
        added.append({
            "metric": quantity.clause, "value": quantity.value, "unit": quantity.unit,
            "comparator": quantity.comparator, "kind": guess_kind(quantity.clause, sentence),
            "period": guess_period(sentence) or _nearest_period(quantity.start, targets),
            "region": None, "initiative": None,
            "evidence": quantity.clause, "source": "rule",
        })
    return added


def finalize(records: dict[str, list[dict]], text: str) -> dict[str, list[dict]]:
    """Canonicalise officials and initiatives, ground every table, complete the targets."""
    merged = dict(records)
    if "officials" in merged:
        merged["officials"] = merge_officials(merged["officials"])
    if "initiatives" in merged:
        merged["initiatives"] = merge_initiatives(merged["initiatives"])
    grounded = {table: ground_records(table, rows, text) for table, rows in merged.items()}
    if "targets" in grounded:
        model_targets = [{**row, "source": row.get("source", "model")}
                         for row in grounded["targets"]]
        extra = rule_targets(text, model_targets)
        grounded["targets"] = ground_records("targets", model_targets + extra, text)
    return grounded


def grounding_counts(records: dict[str, list[dict]]) -> tuple[int, int]:
    """(grounded and unflagged records, all records)."""
    rows = [row for rows in records.values() for row in rows]
    return sum(1 for row in rows if not row.get("flags")), len(rows)
