"""Turn compact stage outputs into full contract records, deterministically.

The model names a sentence number or a short verbatim mention; evidence spans and mention
lists are then taken from the article itself, so they are verbatim by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.models import InitiativeItem, OfficialItem, Repair, TargetItem
from extractor.text.candidates import name_candidates, sentence_around
from extractor.text.canonical import choose_canonical, same_person
from extractor.text.grounding import align
from extractor.text.numbers import value_in_evidence

_CLAUSE_SPLIT = re.compile(r"(?<=[,;，；])\s*")
# Translations quote a programme's Chinese nickname and name its kind after the quote:
# “2+N” modern industrial system, “two modernizations” transformation, “wisdom to turn” funds.
PROGRAMME_HEADS = (r"systems?|plans?|actions?|projects?|zones?|city|cities|funds?|programm?es?|"
                   r"campaigns?|strateg(?:y|ies)|platforms?|mechanisms?|clusters?|models?|"
                   r"round table|maps?|transformation|initiatives?|industry|industries")
_QUOTE_CLOSE = "”’\"'"
_HEAD_AFTER_QUOTE = re.compile(
    rf"\s+((?:(?!(?:and|or|the|of|to|for|in|with|by|on|is|are)\b)[A-Za-z-]+\s+){{0,3}}"
    rf"(?:{PROGRAMME_HEADS}))\b", re.I)


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


def with_programme_head(mention: str, name: str, text: str) -> tuple[str, str]:
    """(mention, name) extended over the kind that follows a quoted nickname in the text:
    “2+N” -> “2+N” modern industrial system. A name the model already wrote out is kept."""
    inner = mention.strip(" “”‘’\"'")
    found = text.find(mention)
    if not inner or found == -1:
        return mention, name
    end = found + len(mention)
    if mention[-1:] not in _QUOTE_CLOSE:  # the mention stops inside the quotes
        opened = found > 0 and text[found - 1] in "“‘\"'"
        if not opened or not text[end:end + 1] or text[end] not in _QUOTE_CLOSE:
            return mention, name
        found, end = found - 1, end + 1
    head = _HEAD_AFTER_QUOTE.match(text, end)
    if head is None:
        return mention, name
    same_name = name.strip(" “”‘’\"'").casefold() == inner.casefold()
    extended = text[found:head.end()]
    return extended, (f"'{inner}' {head.group(1)}" if same_name or not name else name)


def assemble_initiatives(items: Sequence[InitiativeItem], text: str,
                         repairs: Sequence[Repair] = ()) -> list[dict]:
    records = []
    for item in items:
        mention, name = with_programme_head(verbatim_mention(item.mention, text, repairs),
                                            item.name, text)
        records.append({
            "name": name, "mentions": [mention], "description": None,
            "level": item.level, "period": item.period,
            "evidence": evidence_sentence(text, mention),
        })
    return records
