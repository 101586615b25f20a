"""Normalised figures: value in base units, unit family, year and deadline, in the genre's
forms (亿 and 万 rendered literally, percentage points against %, deadlines, ranges, plans)."""

from __future__ import annotations

import pytest

from extractor.postprocess.figures import figure_year, target_figures


@pytest.mark.parametrize(("value", "unit", "base", "family"), [
    (600, "billion yuan", 6e11, "yuan"),
    (1.2, "100 million yuan", 1.2e8, "yuan"),
    (35, "yi yuan", 3.5e9, "yuan"),  # 亿 left in pinyin
    (4500, "ten thousand yuan", 4.5e7, "yuan"),
    (80, "wan yuan", 8e5, "yuan"),  # 万 left in pinyin
    ("3.5 billion", "yuan", 3.5e9, "yuan"),  # the scale in the number phrase
    (15.1, "%", 15.1, "percent"),
    (10.5, "percentage points", 10.5, "percentage points"),
    (319100, "tons of standard coal", 319100, "tons"),
    (1505, "projects", 1505, "count"),
    (2, "rank", 2, "rank"),
    (12, "mn US dollars", 1.2e7, "US dollars"),
])
def test_value_in_base_units(value: object, unit: str, base: float, family: str) -> None:
    figures = target_figures({"value": value, "unit": unit, "kind": "actual"}, "2023-05-01")
    assert figures["unit_family"] == family
    assert figures["value_base"] == pytest.approx(base)


def test_a_unit_without_a_base_has_no_base_value() -> None:
    figures = target_figures({"value": 3, "unit": "kilometres per hour"}, None)
    assert (figures["unit_family"], figures["value_base"]) == ("other", None)


@pytest.mark.parametrize(("period", "kind", "year", "deadline"), [
    ("2022", "actual", 2022, False),
    ("by 2025", "target", 2025, True),
    ("before the end of 2024", "target", 2024, True),
    ("2022-2024", "target", 2024, True),
    ("from 2021 to 2023", "target", 2023, True),
    ("during the 14th Five-Year Plan", "target", 2025, True),
    ("January to July", "actual", 2023, False),  # months count from the date line
    ("this year", "target", 2023, False),
    ("next year", "target", 2024, False),
    ("", "actual", 2023, False),  # a reported result: the date line's year
    ("", "target", None, None),  # a goal with no horizon stays undated
])
def test_year_and_deadline(period: str, kind: str, year: int | None,
                           deadline: bool | None) -> None:
    assert figure_year(period, "2023-05-01", kind) == (year, deadline)


def test_no_date_line_leaves_relative_periods_undated() -> None:
    assert figure_year("January to July", None, "actual") == (None, False)
    assert figure_year("by 2025", None, "target") == (2025, True)
