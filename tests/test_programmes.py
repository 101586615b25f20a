from __future__ import annotations

import pytest

from extractor.postprocess.programmes import generic_phrase, names_a_programme


@pytest.mark.parametrize(
    ("name", "mentions", "expected"),
    [
        ("Three-Year Action Plan for Smart Manufacturing", ["three-year action plan for x"], True),
        ("'765' Plan", ["“765” plan"], True),
        ("Municipal Bureau of Commerce", ["Municipal Bureau of Commerce"], False),
        ("three-year action plan", ["three-year action plan"], False),
        ("output rose 5% to 2 billion yuan", ["output rose 5% to 2 billion yuan"], False),
        ("Vice Mayor Li Hua", ["Vice Mayor Li Hua"], False),
        ("national high-tech enterprises", ["national high-tech enterprises"], False),
        ("and connectivity, the city is ever", ["and connectivity, the city is ever"], False),
        ("Trade Expo conference", ["the conference"], False),
        ("China (Xiamen) science city has important", ["China (Xiamen) kejicheng have important"],
         False),
        ("“投资 promotion”", ["“attract merchants introduce capital”"], False),
        # descriptions, not names: a relative clause, a finite verb, an adverb first, a list
        ("stations that supply gasoline and hydrogen", ["stations that supply gasoline"], False),
        ("petrochemical industry grows bigger", ["modern petrochemical etc. grow bigger"], False),
        ("signing is the beginning, landing is the key",
         ["signing is the beginning, landing is the key"], False),
        ("smart ecology, livable, workable and tourable", ["smart ecology, livable"], False),
        ("14th Five-Year Plan period", ["14th Five-Year Plan period"], False),
        # a person, a place, a count, a sentence about a subject
        ("Lin Jiatao", ["Lin Jiatao zheng Guotong Li"], False),
        ("inner Mongolia autonomous region", ["inner Mongolia autonomous region"], False),
        ("1,896 industrial enterprises above designated size",
         ["1,896 industrial enterprises above designated size"], False),
        ("955 of the above-scale enterprises", ["955 of the above-scale enterprises"], False),
        ("Baotou will offer whole-process services", ["Baotou will offer whole-process services"],
         False),
        ("Wuxi Intelligent Factory", ["Wuxi intelligent factory"], True),
        ("Ejin Horo Banner", ["Ejin Horo Banner"], False),
        ("Ordos City in North China's Inner Mongolia Autonomous Region",
         ["Ordos city in North China's Inner Mongolia autonomous region"], False),
        ("National Innovative County", ["national innovative county"], True),
        ("'Ping'an Zhejiang'", ["“Ping'an Zhejiang”"], True),
        ("1000 Talents Plan", ["1000 talents plan"], True),
        ("2023 Smart Manufacturing Action Plan", ["2023 smart manufacturing action plan"], True),
        ("Digital Village", ["digital village"], True),
        ("Two Separate Signing and Groundbreaking Ceremonies", ["two ceremonies"], False),
        ("'12+1' Tracks", ["“12+1” tracks"], True),
        # a quoted slogan may say anything
        ("“signing is the beginning” campaign", ["“signing is the beginning” campaign"], True),
    ],
)
def test_names_a_programme(name: str, mentions: list[str], expected: bool) -> None:
    assert names_a_programme({"name": name, "mentions": mentions}) is expected


def test_generic_phrase_is_a_plain_unquoted_concept_from_the_model() -> None:
    concept = {"name": "Wind Power", "mentions": ["wind power"], "evidence": "build wind power"}
    assert generic_phrase(concept)
    assert not generic_phrase({**concept, "evidence": "build “wind power” towns"})
    assert not generic_phrase({**concept, "source": "rule"})
    assert not generic_phrase({"name": "Chain Leader System", "mentions": ["chain leader system"],
                               "evidence": "the chain leader system"})


@pytest.mark.parametrize(
    ("name", "mentions", "expected"),
    [
        # a count of projects of a kind, or an amount, is no programme
        ("Water Conservancy Projects", ["14 water conservancy projects"], False),
        ("Early-stage projects", ["40 major early-stage projects", "9.8 billion yuan"], False),
        ("Key construction projects", ["2、 Key construction projects"], False),
        # a statistic
        ("growth rate of industrial added value", ["the growth rate of industrial added value"],
         False),
        ("output-sales ratio rising month by month", ["output-sales ratio rising"], False),
        # a company's park; a designated park or zone stays
        ("Xinghe Electronic Information Industrial Park", ["Xinghe Electronic Information "
                                                           "Industrial Park"], False),
        ("National High-Tech Industrial Park", ["national high-tech industrial park"], True),
        # a sentence about a subject
        ("Lianyang City adheres to the principle of industry first",
         ["Lianyang City adheres to the principle of industry first"], False),
        # quoted, a count of a kind can be a name
        ("Hundred Key Projects", ["“100 key projects”"], True),
    ],
)
def test_not_programmes_seen_on_real_pages(name: str, mentions: list[str],
                                           expected: bool) -> None:
    record = {"name": name, "mentions": mentions, "evidence": " ".join(mentions)}
    assert names_a_programme(record) is expected


@pytest.mark.parametrize(
    ("name", "mentions", "expected"),
    [
        # a post, written out or calqued word by word, is people
        ("city long Fang Ruiqing", ["city long Fang Ruiqing"], False),
        ("county committee book remember", ["county committee book remember"], False),
        # a figure with 亿 in pinyin, or a count with its measure word
        ("city arrange 3 yi yuan industry guide fund", ["city arrange 3 yi yuan industry guide "
                                                         "fund"], False),
        ("Pine county 12 items key project", ["Pine county 12 items key project"], False),
        # a whole garbled sentence with no programme word
        ("each county district want press the time node advance project build",
         ["each county district want press the time node advance project build"], False),
        # a long name with a programme word or a designation stays
        ("Implementation Plan on Promoting the Industrial Development Hundred Thousand Project",
         ["Implementation Plan on Promoting the Industrial Development Hundred Thousand "
          "Project"], True),
        ("Demonstration Area of Integrated Urban-Rural Development of the City",
         ["demonstration area of integrated urban-rural development of the city"], True),
        # the national plan's period; a statistic the model title-cased; a person in syllables
        ("14th Five Plan", ["fourteen five"], False),
        ("Industry Enterprise Key Process Number Control Rate",
         ["industry enterprise key process number control rate"], False),
        ("Liu Si jia", ["Liu Si jia"], False),
        # the text between two quoted names; a stage of a process
        (", and launched service brands such as", [", and launched service brands such as"],
         False),
        ("sign the contract", ["sign the contract"], False),
        ("Quanzhou Manufacturing 14th Five-Year Plan", ["Quanzhou manufacturing 14th five-year "
                                                        "plan"], True),
    ],
)
def test_not_programmes_in_word_salad(name: str, mentions: list[str], expected: bool) -> None:
    record = {"name": name, "mentions": mentions, "evidence": " ".join(mentions)}
    assert names_a_programme(record) is expected


def test_an_event_or_an_institute_is_no_programme() -> None:
    for name in ("new energy industry high-quality development promotion meeting",
                 "Taiyuan Institute of Coal Chemistry"):
        assert names_a_programme({"name": name, "mentions": [name], "evidence": name}) is False
    quoted = "“Industry First” conference"
    assert names_a_programme({"name": "Industry First", "mentions": [quoted],
                              "evidence": quoted}) is True


def test_a_long_properly_written_name_is_a_programme() -> None:
    name = "Several Measures to Support the Development of the Private Economy of Small Firms"
    assert names_a_programme({"name": name, "mentions": [name], "evidence": name}) is True


def test_a_lone_lower_case_word_names_no_programme() -> None:
    for mention, name in (("“portrait”", "portrait diagnosis"),
                          ("“hundred”", "hundred intelligent key projects"),
                          ("cloud", "online economy")):
        assert names_a_programme({"name": name, "mentions": [mention],
                                  "evidence": f"the {mention} service"}) is False
    plan = "Yinchuan New Materials Three-Year Action Plan (2022-2024)"  # "the Plan" for short
    assert names_a_programme({"name": plan, "mentions": ["Plan"], "evidence": "the Plan"})
