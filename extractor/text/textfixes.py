"""Deterministic repairs of the translation's structure, found from the text alone.

Two slips machine translation of Chinese news makes in every genre, repaired without the model:
- a phrase written twice ("take the initiative to take the initiative" for 主动作为,
  "industrial chain chain long system" for 产业链链长制);
- the day of a dispatch fused with the first sentence after the reporter's name
  ("(reporter Cui Jiaming)26, the city ..." for （记者 崔佳明）26日，...).
"""

from __future__ import annotations

import re

from extractor.models import Repair

# A phrase of 1-5 words written twice, the second time after nothing or a linking "to".
# One word twice needs no link and at least five letters ("chain chain", not "that that");
# English doubles its words with "and"/"by"/"to" ("more and more", "face to face"), so a single
# word linked by anything is left alone.
_REPEATED_PHRASE = re.compile(
    r"\b(?P<phrase>(?:[A-Za-z]+\s+){1,4}[A-Za-z]{2,})\s+(?:to\s+)?(?P=phrase)\b"
    r"|\b(?P<word>[A-Za-z]{5,})\s+(?P=word)\b",
    re.IGNORECASE,
)
_FUSED_DAY = re.compile(
    r"(?P<byline>[(（]\s*(?:reporter|correspondent|记者)s?\b[^()（）\n]{1,60}[)）])"
    r"\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s*(?:day\s*)?,",
    re.IGNORECASE,
)


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def repeated_phrases(text: str) -> list[Repair]:
    """A phrase the translation wrote twice in a row, repaired to one."""
    repairs = []
    for match in _REPEATED_PHRASE.finditer(text):
        once = match.group("phrase") or match.group("word")
        repairs.append(Repair(original=match.group(0), repaired=once, category="grammar",
                              note="phrase repeated by the translation"))
    return repairs


def fused_datelines(text: str) -> list[Repair]:
    """A dispatch's day fused onto the sentence after the byline: ``(reporter X)26,``."""
    repairs = []
    for match in _FUSED_DAY.finditer(text):
        day = int(match.group("day"))
        if not 1 <= day <= 31:
            continue
        repairs.append(Repair(
            original=match.group(0),
            repaired=f"{match.group('byline')} - On the {_ordinal(day)},",
            category="grammar",
            note="日 (day of the dispatch) fused with the first sentence",
        ))
    return repairs


def structural_repairs(text: str) -> list[Repair]:
    """Every structural repair of ``text``, in text order."""
    found = [*repeated_phrases(text), *fused_datelines(text)]
    return sorted(found, key=lambda repair: text.find(repair.original))
