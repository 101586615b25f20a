"""Tests for extractor.text.canonical: person names, initiative keys and record merging."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.text.canonical import (
    choose_canonical,
    clean_person_name,
    initiative_key,
    is_truncation,
    merge_initiatives,
    merge_officials,
    person_key,
    same_person,
)

SEED_DIR = Path(__file__).parent.parent / "seeds"
SEEDS: dict[str, str] = {
    p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))
}

# Officials as they are written in the seeds (verbatim mentions) -> canonical names.
SEED_OFFICIALS = [
    ("000", "Gong Haibin", "Gong Haibin"),
    ("000", "Pan Zaoyun", "Pan Zaoyun"),
    ("001", "Wu Wei", "Wu Wei"),
    ("001", "Zheng Xiaoming", "Zheng Xiaoming"),
    ("003", "Zhang Baojuan", "Zhang Baojuan"),
    ("003", "Wang Jinjian", "Wang Jinjian"),
    ("003", "Chen wenkai", "Chen Wenkai"),
    ("004", "Xu Nanji", "Xu Nanji"),
    ("004", "Xu Na", "Xu Na"),
    ("004", "Zhang Zijian", "Zhang Zijian"),
    ("004", "Yu Hongyan", "Yu Hongyan"),
    ("004", "CAI Jiang", "Cai Jiang"),
    ("004", "Huang Jinlong", "Huang Jinlong"),
    ("004", "Xiao Guojun", "Xiao Guojun"),
]
YINGTAN_LEADERS = [
    "Xu Nanji", "Zhang Zijian", "Yu Hongyan", "Huang Jinlong", "Guo Qing", "Huang Yun",
    "Wang Yaqing", "Yan Hua", "Xiao Guojun", "Cai Jiang", "Chu Xiaotao", "Wang Xiong",
]  # fmt: skip


@pytest.mark.parametrize(("seed", "mention", "_"), SEED_OFFICIALS)
def test_seed_mentions_are_real(seed: str, mention: str, _: str) -> None:
    assert mention in SEEDS[seed]


@pytest.mark.parametrize(("seed", "mention", "expected"), SEED_OFFICIALS)
def test_clean_seed_mentions(seed: str, mention: str, expected: str) -> None:
    assert clean_person_name(mention) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CAI Jiang", "Cai Jiang"),
        ("Chen wenkai", "Chen Wenkai"),
        ("Secretary Xu", "Xu"),
        ("Mayor Zhang Zijian", "Zhang Zijian"),
        ("Party secretary Xu Na", "Xu Na"),
        ("Vice Mayor Yu Hongyan", "Yu Hongyan"),
        ("yangzhou municipal party committee secretary Zhang Baojuan", "Zhang Baojuan"),
        ("Zhang Zijian, mayor of Yingtan", "Zhang Zijian"),
        ("Mayor of Yingtan Zhang Zijian", "Zhang Zijian"),
        ("Wu Wei, deputy mayor of the municipal government", "Wu Wei"),
        ("Secretary-General Zheng Xiaoming", "Zheng Xiaoming"),
        ("Xu Nanji (许南吉)", "Xu Nanji"),
        ("许南吉 Xu Nanji", "Xu Nanji"),
        ("“Gong Haibin”", "Gong Haibin"),
        ("Comrade  PAN   zaoyun.", "Pan Zaoyun"),
        ("Xu Nan Ji", "Xu Nanji"),
        ("Party secretary Xu Na attend", "Xu Na"),
        ("Wang Yang attended", "Wang Yang"),
        ("deputy mayor Chen wenkai antibacterial", "Chen Wenkai"),
        ("Wang Ya-qing", "Wang Ya-qing"),
        ("", ""),
        ("Mayor", ""),
    ],
)
def test_clean_person_name(raw: str, expected: str) -> None:
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize(
    ("short", "full", "expected"),
    [
        ("Xu Na", "Xu Nanji", True),
        ("Party secretary Xu Na", "Secretary Xu Nanji", True),
        ("yi lian", "Yi Lianhong", True),
        ("Xu N", "Xu Nanji", True),
        ("Xu", "Xu Nanji", False),  # a bare surname is not enough
        ("Secretary Xu", "Xu Nanji", False),
        ("Xu Nanji", "Xu Nanji", False),  # not strict
        ("Xu Nanji", "Xu Na", False),  # wrong direction
        ("Wang Na", "Xu Nanji", False),  # different surname
        ("Huang Yun", "Huang Jinlong", False),
        ("Xu Ni", "Xu Nanji", False),
    ],
)
def test_is_truncation(short: str, full: str, expected: bool) -> None:
    assert is_truncation(short, full) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("CAI Jiang", "Cai Jiang", True),
        ("Chen wenkai", "Chen Wenkai", True),
        ("Mayor Zhang Zijian", "Zhang Zijian", True),
        ("Xu Na", "Xu Nanji", True),
        ("Xu Nanji", "Party secretary Xu Na", True),
        ("Wang Ya-qing", "Wang Yaqing", True),
        ("Xu", "Xu Nanji", False),
        ("Secretary Xu", "Secretary Xu", False),  # surname only: never enough
        ("Huang Jinlong", "Huang Yun", False),
        ("Wang Yaqing", "Wang Xiong", False),
        ("Zhang Zijian", "Zhang Baojuan", False),
        ("Xu Nanji", "Xu Nanxi", False),
        ("", "", False),
    ],
)
def test_same_person(a: str, b: str, expected: bool) -> None:
    assert same_person(a, b) is expected
    assert same_person(b, a) is expected


@pytest.mark.parametrize(
    ("candidates", "mentions", "text", "expected"),
    [
        (["Xu Nanji"], ["Xu Na", "Xu Nanji"], None, "Xu Nanji"),
        (["Xu Na"], ["Xu Na", "Xu Nanji"], None, "Xu Nanji"),  # upgraded to the full mention
        # A completion the model made up is rejected unless the full name is in the text.
        (["Xu Nanji"], ["Xu Na"], None, "Xu Na"),
        (["Xu Nanji"], ["Party secretary Xu Na"], "004", "Xu Nanji"),
        (["Yi Lianhong"], ["yi lian"], "004", "Yi Lian"),  # "Yi Lianhong" is not in 004
        (["Xu Nan"], ["Xu Na", "Xu Nanji"], None, "Xu Nanji"),  # "Xu Nan" is not a mention
        (["CAI Jiang"], ["CAI Jiang"], None, "Cai Jiang"),
        (["Mayor Zhang Zijian"], ["Zhang Zijian"], None, "Zhang Zijian"),
        (["Li Qiang"], ["Mayor Zhang Zijian"], None, "Zhang Zijian"),  # hallucinated name
        (["Zhang Zijian", "Zhang Zi"], ["Zhang Zijian"], None, "Zhang Zijian"),
        ([], ["Secretary Xu", "Party secretary Xu Na"], None, "Xu Na"),
        (["Gong Haibin"], [], None, "Gong Haibin"),  # nothing to check against
        ([], [], None, ""),
    ],
)
def test_choose_canonical(
    candidates: list[str], mentions: list[str], text: str | None, expected: str
) -> None:
    source = SEEDS[text] if text else None
    assert choose_canonical(candidates, mentions, text=source) == expected


def test_person_key() -> None:
    assert person_key("CAI Jiang") == person_key("Cai Jiang") == "cai jiang"
    assert person_key("Mayor Zhang Zijian") == "zhang zijian"
    assert person_key("Wang Ya-qing") == person_key("wang yaqing")
    assert person_key("Xu Na") != person_key("Xu Nanji")


def official(name: str, mentions: list[str], **fields: object) -> dict:
    record: dict = {
        "name": name,
        "mentions": mentions,
        "title": None,
        "organization": None,
        "role": None,
        "evidence": None,
    }
    record.update(fields)
    return record


YINGTAN_RECORDS = [
    official(
        "Xu Na",
        ["Xu Na"],
        title="Party secretary",
        role="delivered a speech",
        evidence="Party secretary Xu Na attend and delivered a speech",
    ),
    official(
        "Zhang Zijian",
        ["Zhang Zijian"],
        title="Mayor",
        role="chaired the meeting",
        evidence="Mayor Zhang Zijian chaired the meeting.",
    ),
    official(
        "Xu Nanji",
        ["Xu Nanji", "Xu Na"],
        title="Secretary of the Yingtan Municipal Party Committee",
        organization="Yingtan Municipal Party Committee",
        evidence="Xu Nanji pointed out that we should unify our thinking",
    ),
    official("CAI Jiang", ["CAI Jiang"], title=None),
    official("Cai Jiang", ["CAI Jiang"], title="city leader", confidence=0.9),
]


def test_merge_officials_yingtan() -> None:
    original = copy.deepcopy(YINGTAN_RECORDS)
    merged = merge_officials(YINGTAN_RECORDS)
    assert original == YINGTAN_RECORDS  # inputs untouched
    assert [m["name"] for m in merged] == ["Xu Nanji", "Zhang Zijian", "Cai Jiang"]
    xu, zhang, cai = merged
    assert xu["mentions"] == ["Xu Na", "Xu Nanji"]
    assert xu["title"] == "Secretary of the Yingtan Municipal Party Committee"
    assert xu["organization"] == "Yingtan Municipal Party Committee"
    assert xu["role"] == "delivered a speech"
    assert xu["evidence"] == "Party secretary Xu Na attend and delivered a speech"
    assert (xu["merged_from"], zhang["merged_from"], cai["merged_from"]) == (2, 1, 2)
    assert cai["mentions"] == ["CAI Jiang"]
    assert cai["title"] == "city leader"
    assert cai["confidence"] == 0.9  # extra keys are kept
    for record in merged:
        for mention in record["mentions"]:
            assert mention in SEEDS["004"]


def test_merge_officials_is_idempotent() -> None:
    once = merge_officials(YINGTAN_RECORDS)
    twice = merge_officials(once)
    assert twice == once


def test_truncation_does_not_bridge_two_people() -> None:
    records = [
        official("Xu Na", ["Xu Na"]),
        official("Xu Nanji", ["Xu Nanji"]),
        official("Xu Nanxi", ["Xu Nanxi"]),
    ]
    merged = merge_officials(records)
    assert [(m["name"], m["merged_from"]) for m in merged] == [("Xu Nanji", 2), ("Xu Nanxi", 1)]


def test_surname_only_record_is_not_merged() -> None:
    merged = merge_officials(
        [official("Secretary Xu", ["Secretary Xu"]), official("Xu Nanji", ["Xu Nanji"])]
    )
    assert [m["name"] for m in merged] == ["Xu", "Xu Nanji"]


def test_merge_officials_rejects_unsupported_llm_name() -> None:
    merged = merge_officials([official("Xu Nanjing", ["Xu Na"]), official("Xu Na", ["Xu Na"])])
    assert [(m["name"], m["merged_from"]) for m in merged] == [("Xu Na", 2)]


TITLES = ["", "Mayor ", "Vice Mayor ", "Secretary ", "Party secretary ", "Comrade "]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(YINGTAN_LEADERS),
            st.sampled_from(TITLES),
            st.sampled_from(["as-is", "upper-surname", "lower-given", "lower"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_merge_officials_groups_spelling_variants(variants: list[tuple[str, str, str]]) -> None:
    records = []
    for name, title, casing in variants:
        surname, given = name.split()
        spelled = {
            "as-is": name,
            "upper-surname": f"{surname.upper()} {given}",
            "lower-given": f"{surname} {given.lower()}",
            "lower": name.lower(),
        }[casing]
        records.append(official(title + spelled, [spelled]))
    merged = merge_officials(records)
    distinct = list(dict.fromkeys(name for name, _, _ in variants))
    assert [m["name"] for m in merged] == distinct
    assert sum(m["merged_from"] for m in merged) == len(records)


# --------------------------------------------------------------------------------------------
# Initiatives
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Four Groups and Eight chains", "four groups of eight chain"),
        ("“Four Groups and Eight chains”", "Four Groups and Eight Chains"),
        ("“2+N” modern industrial system", "2+N Modern Industrial Systems"),
        ("national innovative city", "National Innovative Cities"),
        ("the “chain length system”", "Chain Length System"),
        ("“eight-in-one” copper industry system", "eight in one copper industry system"),
    ],
)
def test_initiative_key_equal(a: str, b: str) -> None:
    assert initiative_key(a) == initiative_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("chain length system", "industrial chain chain long system"),
        ("“2+N” modern industrial system", "2 N modern industrial system"),
        ("the first power", "the first resource"),
        ("Four Groups and Eight chains", "Eight Groups and Four chains"),
    ],
)
def test_initiative_key_different(a: str, b: str) -> None:
    assert initiative_key(a) != initiative_key(b)


def test_initiative_key_value() -> None:
    assert initiative_key("Four Groups and Eight chains") == "four group eight chain"
    assert initiative_key("business processes of cities") == "business process city"


def initiative(name: str, mentions: list[str], **fields: object) -> dict:
    record: dict = {
        "name": name,
        "mentions": mentions,
        "description": None,
        "level": None,
        "period": None,
        "evidence": None,
    }
    record.update(fields)
    return record


def test_merge_initiatives_zhenjiang() -> None:
    records = [
        initiative(
            "Four Groups and Eight Chains",
            ["Four Groups and Eight chains"],
            description="Four clusters and eight chains.",
            level="municipal",
            evidence="Zhenjiang: Expand and strengthen the “Four Groups and Eight chains”",
        ),
        initiative(
            "Chain-Leader System",
            ["chain length system"],
            level="municipal",
            evidence="With the full implementation of the “chain length system”",
        ),
        initiative(
            "four groups of eight chain",
            ["four groups of eight chain"],
            description="Zhenjiang's framework of four leading clusters and eight key chains.",
            period="2022",
            evidence="cohesion become bigger and stronger “four groups of eight chain”",
        ),
    ]
    merged = merge_initiatives(records)
    assert [m["name"] for m in merged] == ["Four Groups and Eight Chains", "Chain-Leader System"]
    groups = merged[0]
    assert groups["mentions"] == ["Four Groups and Eight chains", "four groups of eight chain"]
    assert groups["description"].startswith("Zhenjiang's framework")
    assert (groups["level"], groups["period"]) == ("municipal", "2022")
    assert groups["evidence"] == records[0]["evidence"]
    assert (groups["merged_from"], merged[1]["merged_from"]) == (2, 1)
    for record in merged:
        for mention in record["mentions"]:
            assert mention in SEEDS["000"]


def test_merge_initiatives_by_name_in_mentions() -> None:
    records = [
        initiative(
            "Intelligent Transformation and Digital Transformation of Manufacturing",
            ["Intellectual transformation and digital transformation", "wisdom to turn"],
        ),
        initiative("wisdom to turn", ["wisdom to turn"]),
    ]
    merged = merge_initiatives(records)
    assert len(merged) == 1
    assert merged[0]["name"] == records[0]["name"]
    assert merged[0]["merged_from"] == 2


def test_merge_initiatives_keeps_distinct_slogans_apart() -> None:
    records = [
        initiative("Innovation as the Primary Driving Force", ["the first power"]),
        initiative("Talent as the Primary Resource", ["the first resource"]),
        initiative("Policy Calculator", ["intelligent transformation"]),
        initiative("Special Fund", ["intelligent transformation"]),  # shared mention only
    ]
    merged = merge_initiatives(records)
    assert [m["merged_from"] for m in merged] == [1, 1, 1, 1]


def test_merge_meetings_collapses_repeats_of_one_meeting() -> None:
    from extractor.text.canonical import merge_meetings

    meetings = [
        {"name": "Yingtan mobilization conference", "date": "2022-02-16", "evidence": "a",
         "chaired_by": ["Zhang Zijian"], "speakers": ["Xu Nanji"]},
        {"name": "Xu Nanji", "date": "2022-02-16", "evidence": "b", "chaired_by": [],
         "speakers": ["Yu Hongyan", "Xu Nanji"]},
        {"name": "Provincial promotion meeting", "date": None, "evidence": "c",
         "chaired_by": [], "speakers": []},
    ]
    merged = merge_meetings(meetings)
    assert [m["name"] for m in merged] == ["Yingtan mobilization conference",
                                           "Provincial promotion meeting"]
    assert merged[0]["speakers"] == ["Xu Nanji", "Yu Hongyan"]
    assert merged[0]["merged_from"] == 2 and merged[1]["merged_from"] == 1


def test_merge_targets_keeps_one_record_per_figure_and_clause() -> None:
    from extractor.text.canonical import merge_targets

    first = {"metric": "output", "value": 600, "unit": "billion yuan",
             "evidence": "Industrial taxable sales exceeded 600 billion yuan"}
    echo = {**first, "metric": "industrial taxable sales", "evidence": "exceeded 600 billion yuan"}
    elsewhere = {**first, "evidence": "the 600 billion yuan of sales in the headline"}
    other_unit = {**first, "unit": "%"}
    assert merge_targets([first, echo, elsewhere, other_unit]) == [first, elsewhere, other_unit]


def test_a_post_fused_onto_a_name_is_not_the_canonical_name() -> None:
    from extractor.text.canonical import choose_canonical, fused_title

    assert choose_canonical(["Xiao Yafeishu"], ["Xiao Yafei", "Xiao Yafeishu"]) == "Xiao Yafei"
    assert fused_title("Xiao Yafeishu", "Xiao Yafei") == "Secretary"
    assert fused_title("Li Qiangshizhang", "Li Qiang") == "Mayor"
    assert fused_title("Xu Nanji", "Xu Na") is None  # a name cut short is not a fused post
    assert choose_canonical(["Li Shuji"], ["Li Shuji"]) == "Li Shuji"  # no shorter mention


def test_a_given_name_in_pinyin_and_an_english_word() -> None:
    from extractor.text.canonical import is_pinyin

    assert all(is_pinyin(word) for word in ("Jiatao", "Yunxia", "Fo'an", "Nanji", "ming"))
    assert not any(is_pinyin(word) for word in ("Mountain", "Bridge", "Shaft", "Forest"))
