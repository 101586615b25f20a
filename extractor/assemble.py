"""Turn compact stage outputs into full contract records, deterministically.

The model names a sentence number or a short verbatim mention; evidence spans and mention
lists are then taken from the article itself, so they are verbatim by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.candidates import name_candidates, sentence_around
from extractor.canonical import choose_canonical, same_person
from extractor.grounding import align, value_in_evidence
from extractor.models import InitiativeItem, OfficialItem, Repair, TargetItem

_CLAUSE_SPLIT = re.compile(r"(?<=[,;，；])\s*")


def evidence_sentence(text: str, span: str) -> str:
    """The sentence around the first place ``span`` occurs; the span itself if not found."""
    found = align(span, text)
    if found.start is None or found.end is None:
        return span
    return sentence_around(text, found.start, found.end)


def clause_with_value(sentence: str, value: float, unit: str | None) -> str:
    """The shortest run of whole clauses of ``sentence`` that states the value."""
    clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c.strip()]
    for clause in clauses:
        if value_in_evidence(value, unit, clause):
            return clause.rstrip(" ,;，；")
    return sentence


def assemble_targets(items: Sequence[TargetItem], sentences: Sequence[str]) -> list[dict]:
    records = []
    for item in items:
        sentence = sentences[item.sentence - 1] if 0 < item.sentence <= len(sentences) else ""
        records.append({
            "metric": item.metric, "value": item.value, "unit": item.unit,
            "comparator": item.comparator, "kind": item.kind, "period": item.period,
            "region": item.region, "initiative": None,
            "evidence": clause_with_value(sentence, item.value, item.unit) if sentence else "",
        })
    return records


def official_mentions(name: str, text: str) -> list[str]:
    """Every romanised form in the text that is the same person as ``name``."""
    mentions = [c for c in name_candidates(text) if same_person(c, name)]
    if not mentions and align(name, text).status in {"exact", "normalized"}:
        mentions = [name]
    return mentions


def assemble_officials(items: Sequence[OfficialItem], text: str) -> list[dict]:
    records = []
    for item in items:
        mentions = official_mentions(item.name, text) or [item.name]
        records.append({
            "name": choose_canonical([item.name], mentions),
            "mentions": mentions,
            "title": item.title, "organization": item.organization, "role": item.role,
            "evidence": evidence_sentence(text, mentions[0]),
        })
    return records


def verbatim_mention(mention: str, text: str, repairs: Sequence[Repair] = ()) -> str:
    """The mention as written in the text: a model that echoes a repaired form from the
    prompt's repair hints gets that repair's verbatim original instead."""
    if align(mention, text).status in {"exact", "normalized"}:
        return mention
    folded = mention.casefold().strip(" “”\"'")
    for repair in repairs:
        if repair.repaired.casefold().strip(" “”\"'") == folded:
            return repair.original
    return mention


def assemble_initiatives(items: Sequence[InitiativeItem], text: str,
                         repairs: Sequence[Repair] = ()) -> list[dict]:
    records = []
    for item in items:
        mention = verbatim_mention(item.mention, text, repairs)
        records.append({
            "name": item.name, "mentions": [mention], "description": None,
            "level": item.level, "period": item.period,
            "evidence": evidence_sentence(text, mention),
        })
    return records
