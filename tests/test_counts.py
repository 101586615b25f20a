from __future__ import annotations

import pytest

from extractor.text.counts import add_counts, frame_spans
from extractor.text.quantities import find_quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the part is the figure, the whole frames it
        ("12 out of 40 sectors posted growth", [(12, "sectors", "=")]),
        ("9 of the county's 14 towns reported gains", [(9, "towns", "=")]),
        # small counts in words, of things built or signed; not a list's name or years
        ("the district signed four major industrial projects", [(4, "projects", "=")]),
        ("it now has more than six provincial-level parks", [(6, "parks", ">")]),
        ("the five pillar industries", []),
        ("in the next three years above-scale enterprises will", []),
        ("a layout of ten chains hundred projects", []),
        # multiples
        ("output grew by 1.8 times year on year", [(1.8, "times", "=")]),
        ("the total is seven times that of 2010", [(7, "times", "=")]),
        ("meetings are held 4 times a year", []),
        # a count without its noun takes the noun of the count before it
        ("the parks signed 120 projects, started 95 and put 80 into operation.",
         [(120, "projects", "="), (95, "projects", "="), (80, "projects", "=")]),
    ],
)
def test_counts(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


def test_add_counts_keeps_what_was_found_first() -> None:
    text = "it signed four projects and 30 companies"
    found = add_counts(text, [])
    assert [(q.value, q.unit) for q in found] == [(4.0, "projects"), (30.0, "companies")]
    assert add_counts(text, found)[:2] == found


def test_frames_are_not_figures() -> None:
    text = "Among the 25 key industries, 9 of the city's 14 towns grew; the 10 key industries"
    framed = {text[a:b] for a, b in frame_spans(text)}
    assert "14" in framed and "Among the 25" in framed and "10 key industries" in framed
    assert [(q.value, q.unit) for q in find_quantities(text)] == [(9.0, "towns")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # measure words left in: 个/项 "item", 家 "family", 条 "bar"; 成 "into"
        ("this year sign project 75 item, outside capital", [(75, "projects", "=")]),
        ("the park gather enterprise 300 family", [(300, "enterprises", "=")]),
        ("build 4 bar intelligent production line", [(4, "production lines", "=")]),
        ("private enterprise occupy 7 into", [(70, "%", "=")]),
        # the count after its noun, with "more"
        ("new build 5G base station 4000 more, total", [(4000, "base stations", ">")]),
        # a measure word ends the words between a count and its noun
        ("gather enterprise 200 family industry", [(200, "enterprises", "=")]),
        # the heads of enterprises at a meeting are no count of enterprises
        ("and heads of 35 key enterprises attended.", []),
        ("and 20 more enterprise representative attended the forum", []),
    ],
)
def test_chinese_order_counts(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


def test_items_of_projects_are_projects() -> None:
    cases = {
        "industry project total 36 items, account 80%": (36.0, "projects"),
        "this time open work of 47 items project": (47.0, "projects"),
        "start work project 905 items total investment": (905.0, "projects"),
    }
    for text, figure in cases.items():
        assert (find_quantities(text)[0].value, find_quantities(text)[0].unit) == figure
    assert find_quantities("the plan has 10 items") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 to 4 month new sign project 14 items", [(14, "projects", "=")]),
        ("industry export grow 1.4 times", [(1.4, "times", "=")]),
        ("won the award a total of 3 times", []),
        ("provincial level industrial park 6, and light industry park 3",
         [(6, "parks", "="), (3, "parks", "=")]),
        ("attracted textile enterprises 45 more families", [(45, "enterprises", ">")]),
        ("new build 5G base station 1.6 ten thousand ge", [(16000, "base stations", "=")]),
        ("8 urban construction and other projects", [(8, "projects", "=")]),
        # 家/名/条 after a noun the finder does not know
        ("this year set up alliance (league) 8 home, ", [(8, "alliances", "=")]),
        ("bring in skilled talent 1500 name above, ", [(1500, "talents", ">")]),
        ("smart production line near 600 bar, ", [(600, "lines", "~")]),
        ("and 200 more home enterprise representative came", []),
        # full coverage, more than half, a time limit in working days
        ("key enterprise digitalization full coverage, ", [(100, "%", "=")]),
        ("realize key chain full cover.", []),
        # 中小企业, and a qualifier before a count in the Chinese order
        ("218 small and medium enterprises went digital", [(218, "enterprises", "=")]),
        ("new upgrading project not less than 200 item", [(200, "projects", ">=")]),
        # 成 and fractions as shares; 座 word by word; a quoted count is a label
        ("investment increased nearly three into,", [(30, "%", "~")]),
        ("growth contribution more than six tenth.", [(60, "%", ">")]),
        ("capacity nearly 1/3 put in the county", [(33.33, "%", "~")]),
        ("has built smart mines 14 seats and", [(14, "mines", "=")]),
        ("newly build 6 seats smart mines this year.", [(6, "mines", "=")]),
        ("working to build the “three new bases”", []),
        ("more than half of the firms joined", [(50, "%", ">")]),
        ("ensure “time over half, task over half”", []),
        ("approval compressed to within 15 working days", [(15, "working days", "<=")]),
        # newly added, and the total after it in the unit of the count before
        ("green factories newly added 12, total reached 40.",
         [(12, "factories", "="), (40, "factories", "=")]),
        ("output efficiency lift 3 times", [(3, "times", "=")]),
        # the parts of a plan: "9 big industry cluster", "6 key industry chain"
        ("push 9 big industry cluster and 6 key industry chain", []),
        # a list's name: "World top 500 enterprise"
        ("World top 500 enterprise project new add 3", [(3, "projects", "=")]),
    ],
)
def test_more_chinese_order_counts(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]
