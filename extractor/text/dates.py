"""Dates the text supports. A model asked for a meeting's date often invents a year or copies
the article's date line; each part of a date is kept only when the text (or its date line)
states it, following the genre's conventions:

- "yesterday" / "today" and no other day in the text: the year of the date line only;
- a dispatch such as "China News Yangzhou February 26": that month and day, in the year of the
  date line;
- a year, month or day the text never states is dropped (a date without a year is null).
"""

from __future__ import annotations

import re

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)
# month names alone, capitalised ("may" is a verb)
_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r")\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_RELATIVE_DAY = re.compile(r"\b(?:yesterday|today|this morning|this afternoon)\b", re.I)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _month_days(text: str) -> set[tuple[int, int]]:
    return {(MONTHS.index(m.group(1).lower()) + 1, int(m.group(2)))
            for m in _MONTH_DAY.finditer(text) if 1 <= int(m.group(2)) <= 31}


def supported_date(date: str | None, text: str, published: str | None = None) -> str | None:
    """The most precise part of ``date`` that ``text`` and its date line support."""
    match = _ISO.match((date or "").strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    body = text.replace(published, " ") if published else text
    years = set(_YEAR.findall(body))
    published_year = published[:4] if published and _YEAR.fullmatch(published[:4]) else None
    if published_year:
        years.add(published_year)
    stated = _month_days(body)
    if month and day and (int(month), int(day)) not in stated:
        if date == published and len(stated) == 1 and not _RELATIVE_DAY.search(body[:200]):
            (m, d), = stated  # the dispatch line's day, in the date line's year
            return f"{published_year}-{m:02d}-{d:02d}"
        month = day = None  # a day the text never states (or only "yesterday")
    months = {MONTHS.index(m.lower()) + 1 for m in _MONTH.findall(body)}
    if month and not day and int(month) not in months:
        month = None
    if year not in years:
        return None
    return "-".join(part for part in (year, month, day) if part)
