"""Deterministic repair work on an article's text: glossary terms and structural fixes found
by rule, model repairs merged with them (overlaps dropped), and the repaired text built from
the repairs kept. Pure functions (no LLM, no I/O), so they can run in a worker process."""

from __future__ import annotations

from collections.abc import Iterable

from extractor.models import Repair
from extractor.text import candidates, textfixes
from extractor.text.grounding import standing_ranges


def glossary_repairs(text: str, glossary: list[dict]) -> list[Repair]:
    """Deterministic repairs: every glossary term found verbatim in the text."""
    return [
        Repair(
            original=hit.garbled,
            repaired=hit.repaired,
            category="term",
            note="; ".join(part for part in (hit.chinese, hit.note, "glossary") if part),
        )
        for hit in candidates.glossary_hits(text, glossary)
    ]


def _located(text: str, original: str) -> tuple[int, int] | None:
    """Where ``original`` first stands in ``text`` as whole words (exact or after folding
    quotes and spacing)."""
    found = standing_ranges(original, text)
    return found[0] if found else None


def _overlap(span: tuple[int, int] | None, spans: list[tuple[int, int]]) -> bool:
    return span is not None and any(span[0] < e and s < span[1] for s, e in spans)


def merge_repairs(deterministic: list[Repair], proposed: list[Repair],
                  text: str | None = None) -> list[Repair]:
    """Deterministic repairs first; a model repair overlapping one already kept (one original
    inside the other, or, given the article ``text``, sharing characters of it) is dropped."""
    kept: list[Repair] = []
    seen: list[str] = []
    spans: list[tuple[int, int]] = []
    for repair in [*deterministic, *proposed]:
        key = " ".join(repair.original.casefold().split())
        if not key or repair.original.strip() == repair.repaired.strip():
            continue
        span = _located(text, repair.original) if text is not None else None
        if any(key in other or other in key for other in seen) or _overlap(span, spans):
            continue
        seen.append(key)
        spans.extend([span] if span else [])
        kept.append(repair)
    return kept


def apply_repairs(text: str, repairs: Iterable[tuple[str, str]]) -> str:
    """The repaired article: each ``(original, repaired)`` replaced wherever the original
    stands as whole words, never inside text that is already right ("Xu Na" -> "Xu Nanji"
    leaves "Xu Nanji" alone). A span overlapping one placed before it is left as it is."""
    spans: list[tuple[int, int, str]] = []
    for original, repaired in repairs:
        for span in standing_ranges(original, text):
            if not _overlap(span, [(s, e) for s, e, _ in spans]):
                spans.append((*span, repaired))
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(spans):
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def deterministic_repairs(text: str, glossary: list[dict]) -> list[Repair]:
    """Glossary terms, then the structural repairs (``textfixes``) that no term overlaps
    (``merge_repairs`` with nothing proposed)."""
    return merge_repairs([*glossary_repairs(text, glossary), *textfixes.structural_repairs(text)],
                         [], text)


def repair_inputs(text: str, glossary: list[dict]) -> tuple[list[Repair], list[str]]:
    """What the repair prompt is given: the deterministic repairs and the phrases worth
    checking."""
    return deterministic_repairs(text, glossary), candidates.repair_candidates(text)
