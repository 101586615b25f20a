"""Tests for extractor.text.grounding: span alignment on the seed articles, and number checks."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from extractor.text.grounding import (
    FUZZY_THRESHOLD,
    Alignment,
    _at_word_boundaries,
    align,
    align_many,
    normalize_for_match,
    standing_ranges,
)
from extractor.text.numbers import parse_numbers, value_in_evidence

SEED_DIR = Path(__file__).parent.parent / "seeds"
SEEDS: dict[str, str] = {
    p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))
}
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def folded(s: str) -> str:
    return normalize_for_match(s)[0].strip(" ")


def check_invariants(a: Alignment, text: str) -> None:
    """Offsets are inside the text and matched_text is exactly the slice they cover."""
    if a.status == "none":
        assert (a.start, a.end, a.matched_text, a.score) == (None, None, None, 0.0)
        return
    assert a.start is not None and a.end is not None
    assert 0 <= a.start <= a.end <= len(text)
    assert a.matched_text == text[a.start : a.end]
    assert 0.0 < a.score <= 1.0


def test_seeds_present() -> None:
    assert sorted(SEEDS) == ["000", "001", "002", "003", "004"]


# --------------------------------------------------------------------------------------------
# Table-driven alignment cases on real seed text
# --------------------------------------------------------------------------------------------

ALIGN_CASES = [
    # (seed, span as the model might return it, expected status, expected matched text)
    pytest.param(
        "000",
        "Industrial taxable sales exceeded 600 billion yuan",
        "exact",
        "Industrial taxable sales exceeded 600 billion yuan",
        id="verbatim",
    ),
    pytest.param(
        "000",
        'Expand and strengthen the "Four Groups and Eight chains"',
        "normalized",
        "Expand and strengthen the “Four Groups and Eight chains”",
        id="straight-for-curly-quotes",
    ),
    pytest.param(
        "001",
        "three-year action plan for the province's manufacturing industry",
        "normalized",
        "three-year action plan for the province’s manufacturing industry",
        id="straight-apostrophe",
    ),
    pytest.param(
        "004",
        "Mayor  Zhang Zijian   chaired the meeting.",
        "normalized",
        "Mayor Zhang Zijian chaired the meeting.",
        id="extra-spaces",
    ),
    pytest.param(
        "004",
        "Mayor Zhang\nZijian chaired\r\n the meeting.",
        "normalized",
        "Mayor Zhang Zijian chaired the meeting.",
        id="line-breaks-inside",
    ),
    pytest.param(
        "004",
        "three year action mobilization conference was held. Party secretary Xu Na attend",
        "normalized",
        "three year action mobilization conference was held.Party secretary Xu Na attend",
        id="space-added-after-glued-sentence",
    ),
    pytest.param(
        "004",
        "MAYOR ZHANG ZIJIAN CHAIRED THE MEETING",
        "normalized",
        "Mayor Zhang Zijian chaired the meeting",
        id="case",
    ),
    pytest.param(
        "000",
        "Gong Haibin，deputy secretary of the Municipal Party Committee of Zhenjiang，and "
        "Pan Zaoyun，deputy mayor，were read out at the meeting。",
        "normalized",
        "Gong Haibin, deputy secretary of the Municipal Party Committee of Zhenjiang, and "
        "Pan Zaoyun, deputy mayor, were read out at the meeting.",
        id="cjk-punctuation",
    ),
    pytest.param(
        "004",
        "the first in the province.- Building a world-class industrial cluster",
        "normalized",
        "the first in the province.– Building a world-class industrial cluster",
        id="hyphen-for-en-dash",
    ),
    pytest.param(
        "004",
        "the first in the province.—— Building a world-class industrial cluster",
        "normalized",
        "the first in the province.– Building a world-class industrial cluster",
        id="double-em-dash-for-en-dash",
    ),
    pytest.param(
        "003",
        "“intellectual transformation and digital transformation”",
        "exact",
        None,
        id="curly-quotes-verbatim",
    ),
    pytest.param(
        "004",
        "Party secretary Xu Na attend delivered a speech",
        "fuzzy",
        "Party secretary Xu Na attend and delivered a speech",
        id="dropped-word",
    ),
    pytest.param(
        "004",
        "Party secretary Xu Nanji attended and delivered a speech",
        "fuzzy",
        "Party secretary Xu Na attend and delivered a speech",
        id="model-fixed-grammar-and-truncated-name",
    ),
    pytest.param(
        "000",
        "link up the first power and the first resource",
        "fuzzy",
        "link up “the first power” and “the first resource”",
        id="quotes-dropped",
    ),
    pytest.param(
        "004",
        'actively build a "2+N modern industrial system dominated by copper',
        "fuzzy",
        "actively build a “2+N” modern industrial system dominated by copper",
        id="quote-moved-widened-to-whole-quote",
    ),
    pytest.param(
        "004",
        "By 2024 the operating revenue of the manufacturing industry chain will reach more "
        "than 700 billion yuan",
        "fuzzy",
        "By 2024, the operating revenue of the whole manufacturing industry chain will reach "
        "more than 700 billion yuan",
        id="dropped-word-and-comma",
    ),
    # Evidence that is not in the text must not be grounded.
    pytest.param(
        "004",
        "Mayor Zhang Zijian delivered a report on the industrial development of the city",
        "none",
        None,
        id="absent-wrong-person",
    ),
    pytest.param(
        "004",
        "the provincial governor delivered a report on the industrial development of the city",
        "none",
        None,
        id="absent-invented-subject-lowercase",
    ),
    pytest.param(
        "004",
        "By 2024, the operating revenue of the whole manufacturing industry chain will reach "
        "more than 800 billion yuan",
        "none",
        None,
        id="absent-wrong-number",
    ),
    pytest.param(
        "000",
        "The industrial added value will increase by 16.1% year-on-year",
        "none",
        None,
        id="absent-wrong-decimal",
    ),
    pytest.param(
        "004",
        "Xu Nanji stressed that the city should accelerate the construction of smart factories",
        "none",
        None,
        id="absent-plausible-sentence",
    ),
    pytest.param(
        "003",
        "Wang Jinjian, mayor of Yangzhou, presided over the conference and delivered a speech",
        "none",
        None,
        id="absent-plausible-attribution",
    ),
    pytest.param(
        "002",
        "the city has organized the third quarter supervision service for digital transformation",
        "none",
        None,
        id="absent-plausible-paraphrase",
    ),
    pytest.param(
        "001",
        "purple elephants negotiate tariffs beneath frozen volcanoes",
        "none",
        None,
        id="unrelated-words",
    ),
    pytest.param("000", "", "none", None, id="empty"),
    pytest.param("000", "  \n\t ", "none", None, id="whitespace-only"),
    pytest.param("000", "\u200b\u00ad", "none", None, id="invisible-only"),
    pytest.param("004", "Xu Nanjing", "none", None, id="single-name-not-present"),
    pytest.param("004", "in the", "exact", "in the", id="short-exact"),
]


@pytest.mark.parametrize(("seed", "span", "status", "matched"), ALIGN_CASES)
def test_align_cases(seed: str, span: str, status: str, matched: str | None) -> None:
    text = SEEDS[seed]
    a = align(span, text)
    check_invariants(a, text)
    assert a.status == status, a
    if matched is not None:
        assert a.matched_text == matched
    if status == "exact":
        assert a.matched_text == span.strip() and a.score == 1.0
    if status == "fuzzy":
        assert FUZZY_THRESHOLD <= a.score <= 1.0


def test_expected_matches_really_are_in_the_seeds() -> None:
    """Guard the table itself: every expected match is verbatim seed text."""
    for case in ALIGN_CASES:
        seed, _, _, matched = case.values
        if matched is not None:
            assert matched in SEEDS[seed], case.id


def test_normalized_offsets_cover_original_chars() -> None:
    text = "Intro.\nThe “chain length system”—fully   implemented；done."
    a = align('the "chain length system"-fully implemented;', text)
    assert a.status == "normalized"
    assert a.matched_text == "The “chain length system”—fully   implemented；"
    assert (a.start, a.end) == (7, 7 + len(a.matched_text))


def test_compact_match_needs_word_boundaries() -> None:
    text = "We will strengthen within the industry."
    assert align("int he", text).status == "none"  # "inthe" sits inside "within the"
    assert align("with in the", text).status == "normalized"


# --------------------------------------------------------------------------------------------
# Repeated mentions
# --------------------------------------------------------------------------------------------


def occurrences(needle: str, text: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), text)]


def test_repeated_identical_spans_map_to_successive_occurrences() -> None:
    text = SEEDS["004"]
    starts = occurrences("Xu Nanji stressed", text)
    assert len(starts) == 2
    result = align_many(["Xu Nanji stressed"] * 3, text)
    assert [a.start for a in result] == [starts[0], starts[1], starts[0]]  # third reuses first
    assert all(a.status == "exact" for a in result)


def test_repeated_names_cover_every_occurrence_in_order() -> None:
    text = SEEDS["004"]
    starts = occurrences("Zhang Zijian", text)
    assert len(starts) >= 3
    result = align_many(["Zhang Zijian"] * len(starts), text)
    assert [a.start for a in result] == starts


def test_repeated_normalized_spans_are_successive() -> None:
    text = SEEDS["004"]
    starts = occurrences("Xu Nanji stressed", text)
    result = align_many(["XU NANJI  stressed"] * 2, text)
    assert [(a.status, a.start) for a in result] == [("normalized", s) for s in starts]


def test_taken_skips_occupied_occurrence() -> None:
    text = "the plan, the plan, the plan"
    assert align("the plan", text, taken={(0, 8)}).start == 10
    assert align("the plan", text, taken={(0, 8), (10, 18)}).start == 20
    assert align("the plan", text, taken={(0, 8), (10, 18), (20, 28)}).start == 0


def test_repeated_fuzzy_spans_use_distinct_occurrences() -> None:
    text = (
        "First, the city will vigorously promote the digital transformation of firms. "
        "Later the city will vigorously promote the digital transformation of firms again."
    )
    span = "the city will promote the digital transformation of firms"
    first, second = align_many([span, span], text)
    assert first.status == second.status == "fuzzy"
    assert first.start is not None and second.start is not None
    assert first.start < 40 < second.start


def test_different_spans_may_share_evidence() -> None:
    text = SEEDS["004"]
    a, b = align_many(["Huang Jinlong, Guo Qing", "Guo Qing, Huang Yun"], text)
    assert a.status == b.status == "exact"
    assert a.end is not None and b.start is not None and b.start < a.end  # overlap allowed


# --------------------------------------------------------------------------------------------
# normalize_for_match
# --------------------------------------------------------------------------------------------


def test_normalize_for_match_folds_and_maps() -> None:
    s = "A “B”\n\n  c—–d，E…"
    out, index_map = normalize_for_match(s)
    assert out == 'a "b" c-d,e...'
    assert len(index_map) == len(out)
    assert index_map == [0, 1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 15, 15]


@PROPERTY
@given(st.text(alphabet=st.sampled_from(list("ab C\n\t“”‘’–—-，。xY… ")), max_size=40))
def test_normalize_map_is_monotonic_and_in_range(s: str) -> None:
    out, index_map = normalize_for_match(s)
    assert len(out) == len(index_map)
    assert all(0 <= i < len(s) for i in index_map)
    assert index_map == sorted(index_map)
    assert "  " not in out and "--" not in out


# --------------------------------------------------------------------------------------------
# Property tests on the seeds
# --------------------------------------------------------------------------------------------

seed_ids = st.sampled_from(sorted(SEEDS))


@st.composite
def seed_slices(draw: st.DrawFn, max_len: int = 120) -> tuple[str, int, int]:
    seed = draw(seed_ids)
    text = SEEDS[seed]
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + max_len)))
    return text, start, end


@PROPERTY
@given(seed_slices())
def test_any_substring_aligns_exactly(args: tuple[str, int, int]) -> None:
    text, start, end = args
    span = text[start:end]
    assume(span.strip())
    a = align(span, text)
    check_invariants(a, text)
    assert a.status == "exact"
    assert a.matched_text == span.strip()
    needle = span.strip()
    starts = [i for i in range(len(text)) if text.startswith(needle, i)]
    standing = [i for i in starts if _at_word_boundaries(text, i, i + len(needle))]
    assert a.start == (standing or starts)[0]  # the first whole-word occurrence, else the first


def test_a_span_standing_alone_is_preferred_to_one_inside_a_longer_word() -> None:
    text = "Xu Nanji spoke. Later Xu Na said so."
    assert align("Xu Na", text).start == text.index("Xu Na said")
    assert standing_ranges("Xu Na", text) == [(22, 27)]
    assert standing_ranges("Xu Na", "Xu Nanji only") == []


WHITESPACE = [" ", "  ", "\n", " \n ", "\t", "\r\n"]
SWAPS = {"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "-": "–"}


@PROPERTY
@given(seed_slices(), st.data())
def test_perturbed_substring_aligns_normalized(
    args: tuple[str, int, int], data: st.DataObject
) -> None:
    text, start, end = args
    span = text[start:end]
    assume(any(c.isalnum() for c in span))
    pieces = []
    for chunk in re.split(r"(\s+|[“”‘’–-])", span):
        if not chunk:
            continue
        if chunk.isspace():
            pieces.append(data.draw(st.sampled_from(WHITESPACE)))
        elif chunk in SWAPS and data.draw(st.booleans()):
            pieces.append(SWAPS[chunk])
        else:
            pieces.append(chunk.upper() if data.draw(st.booleans()) else chunk)
    perturbed = "".join(pieces)
    a = align(perturbed, text)
    check_invariants(a, text)
    if perturbed.strip() in text:
        assert a.status == "exact"
    else:
        assert a.status == "normalized"
    assert folded(a.matched_text or "") == folded(perturbed)


@st.composite
def word_slices(draw: st.DrawFn, min_words: int, max_words: int) -> tuple[str, list[re.Match]]:
    text = SEEDS[draw(seed_ids)]
    words = list(re.finditer(r"[A-Za-z0-9]+", text))
    n = draw(st.integers(min_words, max_words))
    first = draw(st.integers(0, len(words) - n))
    return text, words[first : first + n]


@PROPERTY
@given(word_slices(2, 12), st.data())
def test_dropped_space_between_words_aligns_normalized(
    args: tuple[str, list[re.Match]], data: st.DataObject
) -> None:
    text, words = args
    start, end = words[0].start(), words[-1].end()
    span = text[start:end]
    gaps = [m.start() for m in re.finditer(r" ", span)]
    assume(gaps)
    cut = data.draw(st.sampled_from(gaps))
    perturbed = span[:cut] + span[cut + 1 :]
    a = align(perturbed, text)
    check_invariants(a, text)
    assert a.status in ("exact", "normalized")
    assert folded(a.matched_text or "").replace(" ", "") == folded(perturbed).replace(" ", "")


@PROPERTY
@given(word_slices(8, 25), st.data())
def test_dropped_interior_word_still_aligns(
    args: tuple[str, list[re.Match]], data: st.DataObject
) -> None:
    text, words = args
    droppable = [i for i in range(1, len(words) - 1) if words[i].group().isalpha()]
    assume(droppable)
    drop = data.draw(st.sampled_from(droppable))
    head = text[words[0].start() : words[drop].start()]
    span = head + text[words[drop + 1].start() : words[-1].end()]
    a = align(span, text)
    check_invariants(a, text)
    assert a.status != "none"
    if a.status == "fuzzy":
        assert a.start is not None and a.end is not None
        overlaps = a.start <= words[-1].end() and a.end >= words[0].start()
        n = len(words) - 1
        # Elsewhere only if that place is at least as good as the source (2n/(2n+1)).
        assert overlaps or a.score >= round(2 * n / (2 * n + 1), 4)


@PROPERTY
@given(
    seed_ids,
    st.lists(st.from_regex(r"[qxz][a-z]{5,9}", fullmatch=True), min_size=1, max_size=12),
)
def test_invented_words_never_align(seed: str, words: list[str]) -> None:
    text = SEEDS[seed]
    a = align(" ".join(words), text)
    assert a == Alignment(None, None, "none", None, 0.0)


def test_many_spans_on_longest_seed_are_fast() -> None:
    text = SEEDS["004"]
    sentences = [s for s in re.split(r"(?<=[.;,])", text) if len(s.split()) >= 6][:100]
    spans = []
    for i, sentence in enumerate(sentences):
        words = sentence.split()
        if i % 3 == 0:
            spans.append(" ".join(words[:3] + words[4:]))  # dropped word -> fuzzy
        elif i % 3 == 1:
            spans.append(sentence.upper().replace(" ", "  "))  # -> normalized
        else:
            spans.append("invented " + " ".join(reversed(words)))  # -> none
    assert len(spans) == 100
    t0 = time.perf_counter()
    result = align_many(spans, text)
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, elapsed
    assert sum(a.status == "fuzzy" for a in result) >= 25
    assert sum(a.status == "normalized" for a in result) >= 25
    for a in result:
        check_invariants(a, text)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("exceeded 6,000", [6000.0]),
        ("increase by 15.1% year-on-year", [15.1]),
        ("an investment of 42.965 billion yuan", [42.965]),
        ("a total of 1,505 projects, 107.41% and 319,100 tons", [1505.0, 107.41, 319100.0]),
        ("the 2022-2024 plan", [2022.0, 2024.0]),
        ("project No.1 and the party's 20th", [1.0, 20.0]),
        ("12,345,678.5", [12345678.5]),
        ("ranking the second place", []),
        ("", []),
    ],
)
def test_parse_numbers(s: str, expected: list[float]) -> None:
    assert parse_numbers(s) == expected


@pytest.mark.parametrize(
    ("value", "unit", "evidence", "expected"),
    [
        (600, "billion yuan", "Industrial taxable sales exceeded 600 billion yuan", True),
        (6000, "hundred million yuan", "Industrial taxable sales exceeded 600 billion yuan", True),
        (6e11, "yuan", "Industrial taxable sales exceeded 600 billion yuan", True),
        (60, "billion yuan", "Industrial taxable sales exceeded 600 billion yuan", False),
        (600, "million yuan", "Industrial taxable sales exceeded 600 billion yuan", False),
        (6000, "yuan", "a subsidy of 6,000 yuan", True),
        (15.1, "%", "The industrial added value will increase by 15.1% year-on-year", True),
        (15.2, "%", "The industrial added value will increase by 15.1% year-on-year", False),
        (0.1 + 0.2, "%", "a share of 0.3%", True),
        (42.965, "billion yuan", "has driven an investment of 42.965 billion yuan", True),
        (429.65, "hundred million yuan", "has driven an investment of 42.965 billion yuan", True),
        (319100, "tons of standard coal", "energy savings of 319,100 tons of standard coal", True),
        (100, "million yuan", "expenses of up to 100 million yuan", True),
        (100, "million yuan", "6 hundred million yuan", False),
        (600, "million yuan", "6 hundred million yuan", True),
        (10, "billion yuan", "“100 years of glasses, 10 billion industry”", True),
        (3000, "enterprises", "high-tech enterprises in China had exceeded 3,000", True),
        (10.5, "percentage points", "accounting for 10.5 percentage points higher", True),
        (2, "rank", "ranking the second place in the whole province", True),
        (
            4,
            "rank",
            "Manufacturing investment increased by 24.3%, ranking fourth in the province.",
            True,
        ),
        (
            3,
            "rank",
            "Manufacturing investment increased by 24.3%, ranking fourth in the province.",
            False,
        ),
        (
            1,
            "rank",
            "the comprehensive strength of industrial economy will be the first in the province",
            True,
        ),
        (10, "rank", "among the top ten cities", True),
        (50, "rank", "listed among China’s top 50 cities in informatization", True),
        (1000, "projects", "the whole city will carry out thousands of projects this year", True),
        (1000, "enterprises", "covering thousands of industrial enterprises", True),
        (100, "enterprises", "hundreds of enterprises took part", True),
        (100, "enterprises", "one hundred enterprises took part", True),
        (2, None, "run out of multiplication and double the output", False),
        (2, None, "action of doubling industrial innovation and development", False),
        (-5, "%", "energy use decreased by 5%", True),
        (100, "%", "By 2023, all industrial enterprises above the designated level", True),
        (
            100,
            "enterprises",
            "By 2023, all industrial enterprises above the designated level",
            False,
        ),
        (100, "%", "most industrial enterprises above the designated level", False),
        (7, None, "no figure here", False),
        (22, "projects", "Twenty-two of them are energy projects", True),
        (35, "projects", "thirty five projects", True),
        (20, "projects", "Twenty-two of them are energy projects", False),
    ],
)
def test_value_in_evidence(value: float, unit: str | None, evidence: str, expected: bool) -> None:
    assert value_in_evidence(value, unit, evidence) is expected


def test_align_without_fuzzy_stops_after_the_normalized_tier() -> None:
    text = "Party secretary Xu Na attend and delivered a speech at the meeting."
    near_miss = "Party secretary Xu Na attend delivered a speech"
    assert align(near_miss, text).status == "fuzzy"
    assert align(near_miss, text, fuzzy=False).status == "none"
    assert align("party  secretary xu na", text, fuzzy=False).status == "normalized"
