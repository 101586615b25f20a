"""Normalised figures beside the verbatim ones, so targets compare across articles: the value
in base units with its unit family (``value_base``: yuan, tons, a count, a percentage,
percentage points, a rank), and the year a figure refers to or its deadline year (``year``,
``by_deadline``). The verbatim ``value``, ``unit`` and ``period`` stay as the evidence says."""

from __future__ import annotations

import re
from typing import Any

from extractor.text.magnitudes import normalize_quantity

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_DEADLINE = re.compile(r"\b(?:by|before|until|till|no later than|(?:by )?the end of|within|"
                       r"to|through|-|–|~)\s*(?:the end of\s*)?(?:19|20)\d\d\b", re.I)
_FIVE_YEAR_PLAN = re.compile(r"\b(1[2-6])th five[- ]year plan\b", re.I)  # 14th: 2021-2025
_RELATIVE = {"this year": 0, "current year": 0, "next year": 1, "last year": -1,
             "the previous year": -1}
_MONTHS = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|"
                     r"october|november|december|first half|second half|quarter|"
                     r"first (?:two|three|four|five|six|seven|eight|nine|ten|eleven) months)\b",
                     re.I)


# the scorer's unit families, named by their base unit where they have one
_FAMILY_NAMES = {"currency": "yuan", "currency:usd": "US dollars"}


def _published_year(published: str | None) -> int | None:
    found = _YEAR.match(published or "")
    return int(found.group(1)) if found else None


def figure_year(period: str | None, published: str | None, kind: str | None
                ) -> tuple[int | None, bool | None]:
    """The year a figure refers to and whether it is a deadline ("by 2025").

    A period naming years gives the last one (a deadline after "by", "before", a range or a
    five-year plan); "this/next/last year" and months count from the article's date line; a
    figure with no period is dated by the date line only when it reports a result or money
    (``kind`` actual or funding): a target's horizon is unknown then."""
    text = (period or "").strip()
    base = _published_year(published)
    plan = _FIVE_YEAR_PLAN.search(text)
    if plan:
        return 2000 + (int(plan.group(1)) - 10) * 5 + 5, True
    years = [int(y) for y in _YEAR.findall(text)]
    if years:
        return years[-1], bool(_DEADLINE.search(text)) or len(years) > 1
    lowered = text.casefold()
    for phrase, offset in _RELATIVE.items():
        if phrase in lowered:
            return (base + offset if base else None), False
    if text and _MONTHS.search(text):
        return base, False
    if not text and kind in {"actual", "funding"}:
        return base, False
    return None, None


def target_figures(target: dict[str, Any], published: str | None) -> dict[str, Any]:
    """``value_base``, ``unit_family``, ``year`` and ``by_deadline`` of one target."""
    quantity = normalize_quantity(target.get("value"), target.get("unit"))
    family, base = (quantity[0], quantity[1]) if quantity else (None, None)
    if family is not None and family.startswith("other"):
        family, base = "other", None  # no base unit to sum in
    family = _FAMILY_NAMES.get(family, family)
    year, deadline = figure_year(target.get("period"), published, target.get("kind"))
    return {"value_base": base, "unit_family": family, "year": year, "by_deadline": deadline}
