"""Tests for extractor.evaluation.evaluate."""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from extractor.evaluation.evaluate import (
    RECORD_TYPES,
    TABLE_HEADER,
    EvalReport,
    TypeScore,
    chrf,
    load_gold,
    score,
)
from extractor.evaluation.matching import _max_weight_assignment, match_records
from extractor.text.magnitudes import normalize_quantity

GOLD_DIR = Path("/work/shared/gold")


def _target(metric: str, value: Any, unit: str, evidence: str, **extra: Any) -> dict:
    record = {
        "metric": metric,
        "value": value,
        "unit": unit,
        "comparator": "=",
        "kind": "actual",
        "period": "2021",
        "region": "Zhenjiang",
        "initiative": None,
        "evidence": evidence,
    }
    record.update(extra)
    return record


def _official(name: str, mentions: list[str] | None = None, **extra: Any) -> dict:
    record = {
        "name": name,
        "mentions": mentions if mentions is not None else [name],
        "title": "Vice Mayor of Zhenjiang",
        "organization": "Zhenjiang Municipal Government",
        "role": "spoke",
        "evidence": f"{name}, deputy mayor, attended",
    }
    record.update(extra)
    return record


def _initiative(name: str, mentions: list[str] | None = None, **extra: Any) -> dict:
    record = {
        "name": name,
        "mentions": mentions if mentions is not None else [name],
        "description": None,
        "level": "municipal",
        "period": None,
        "evidence": name,
    }
    record.update(extra)
    return record


def _repair(original: str, category: str = "term") -> dict:
    return {"original": original, "repaired": "x", "category": category, "note": None}


def _article(article_id: str = "a1", **records: list[dict]) -> dict:
    """An export object; record lists default to empty."""
    article = {
        "article_id": article_id,
        "title": "Zhenjiang industry work meeting",
        "published": "2022-04-23",
        "place": "Zhenjiang, Jiangsu",
    }
    for record_type in RECORD_TYPES:
        article[record_type] = records.get(record_type, [])
    return article


TARGETS = [
    _target(
        "industrial added value growth, year on year",
        15.1,
        "%",
        "The industrial added value will increase by 15.1% year-on-year",
    ),
    _target(
        "industrial taxable sales",
        600,
        "billion yuan",
        "industrial taxable sales exceeded 600 billion yuan",
        comparator=">",
    ),
    _target(
        "provincial ranking of industrial added value growth",
        2,
        "rank",
        "ranking the second place in the whole province",
        region="Zhenjiang (ranked within Jiangsu)",
    ),
]


def _full_article(article_id: str = "a1") -> dict:
    """A small but complete gold article modelled on the contract."""
    return _article(
        article_id,
        meetings=[
            {
                "name": "Zhenjiang industry and information technology work meeting",
                "kind": "work meeting",
                "date": "2022",
                "place": "Zhenjiang, Jiangsu",
                "organizer": None,
                "chaired_by": [],
                "speakers": ["Pan Zaoyun"],
                "evidence": "the city work meeting, summarize the work in 2021",
            }
        ],
        officials=[
            _official("Pan Zaoyun"),
            _official(
                "Xu Nanji",
                ["Xu Nanji", "Xu Na"],
                title="Secretary of the Yingtan Municipal Party Committee",
                organization="Yingtan Municipal Party Committee",
            ),
        ],
        initiatives=[
            _initiative("Four Groups and Eight Chains", ["four groups of eight chain"]),
            _initiative("Chain-Leader System", ["chain length system"]),
        ],
        targets=copy.deepcopy(TARGETS),
        repairs=[_repair("wisdom to turn"), _repair("yong yi bear"), _repair("Xu Na", "name")],
    )


def _scores(report: EvalReport, record_type: str) -> tuple[float, float, float]:
    ts = report.per_type[record_type]
    return ts.precision, ts.recall, ts.f1


# --------------------------------------------------------------------------- whole reports


def test_perfect_prediction_scores_one_everywhere() -> None:
    gold = [_full_article("a1"), _full_article("a2")]
    report = score(copy.deepcopy(gold), gold)
    assert report.articles_scored == 2
    assert report.articles_missing == []
    for record_type in RECORD_TYPES:
        assert _scores(report, record_type) == (1.0, 1.0, 1.0)
        assert all(v == 1.0 for v in report.per_type[record_type].field_accuracy.values())
    assert (report.micro.precision, report.micro.recall, report.micro.f1) == (1.0, 1.0, 1.0)
    assert report.micro.tp == 2 * (1 + 2 + 2 + 3 + 3)
    assert report.per_type["targets"].field_accuracy == {
        "kind": 1.0,
        "comparator": 1.0,
        "period": 1.0,
        "region": 1.0,
    }


def test_empty_prediction_scores_zero_recall_and_f1() -> None:
    gold = [_full_article()]
    report = score([_article("a1")], gold)
    assert report.articles_missing == []
    for record_type in RECORD_TYPES:
        ts = report.per_type[record_type]
        assert (ts.tp, ts.fp) == (0, 0)
        assert ts.recall == 0.0 and ts.f1 == 0.0
        assert ts.field_accuracy == {}
    assert report.micro.recall == 0.0 and report.micro.f1 == 0.0


def test_both_empty_is_perfect_and_gold_empty_prediction_nonempty_is_zero() -> None:
    assert TypeScore("targets").f1 == 1.0
    report = score([_article("a1", targets=copy.deepcopy(TARGETS))], [_article("a1")])
    ts = report.per_type["targets"]
    assert (ts.tp, ts.fp, ts.fn) == (0, 3, 0)
    assert (ts.precision, ts.recall, ts.f1) == (0.0, 0.0, 0.0)
    assert _scores(report, "officials") == (1.0, 1.0, 1.0)


def test_two_of_three_targets_plus_one_spurious() -> None:
    spurious = _target("number of projects", 42, "projects", "42 projects were signed")
    pred = _article("a1", targets=[*copy.deepcopy(TARGETS[:2]), spurious])
    report = score([pred], [_article("a1", targets=copy.deepcopy(TARGETS))])
    ts = report.per_type["targets"]
    assert (ts.tp, ts.fp, ts.fn) == (2, 1, 1)
    assert ts.precision == pytest.approx(2 / 3)
    assert ts.recall == pytest.approx(2 / 3)
    assert ts.f1 == pytest.approx(2 / 3)


def test_one_of_three_targets() -> None:
    pred = _article("a1", targets=copy.deepcopy(TARGETS[:1]))
    report = score([pred], [_article("a1", targets=copy.deepcopy(TARGETS))])
    assert _scores(report, "targets") == pytest.approx((1.0, 1 / 3, 0.5))


def test_micro_sums_counts_over_types_and_articles() -> None:
    gold = [_full_article("a1"), _full_article("a2")]
    pred_a1 = _full_article("a1")
    pred_a1["repairs"] = pred_a1["repairs"][:1]  # 2 FN
    pred_a1["officials"].append(_official("Zhang Zijian"))  # 1 FP
    report = score([pred_a1, _full_article("a2")], gold)
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (20, 1, 2)
    assert report.micro.precision == pytest.approx(20 / 21)
    assert report.micro.recall == pytest.approx(20 / 22)
    assert report.per_article["a1"]["repairs"].recall == pytest.approx(1 / 3)
    assert report.per_article["a2"]["repairs"].recall == 1.0


def test_missing_article_counts_as_all_false_negatives() -> None:
    gold = [_full_article("a1"), _full_article("a2")]
    extra = _full_article("not-in-gold")
    report = score([_full_article("a1"), extra], gold)
    assert report.articles_missing == ["a2"]
    assert report.articles_scored == 1
    assert report.articles_extra == ["not-in-gold"]
    assert report.micro.fn == 11 and report.micro.fp == 0
    assert report.per_article["a2"]["targets"].recall == 0.0
    assert report.micro.recall == pytest.approx(0.5)


def test_field_accuracy_counts_wrong_fields_on_matched_pairs() -> None:
    pred_targets = copy.deepcopy(TARGETS)
    pred_targets[0]["comparator"] = ">"
    pred_targets[1]["period"] = "by 2021"
    pred_targets[2]["region"] = "Zhenjiang"  # contained in the gold region: correct
    pred_targets[2]["comparator"] = "=="  # normalised to "="
    report = score([_article("a1", targets=pred_targets)], [_article("a1", targets=TARGETS)])
    ts = report.per_type["targets"]
    assert ts.tp == 3
    assert ts.field_accuracy["comparator"] == pytest.approx(2 / 3)
    assert ts.field_accuracy["period"] == pytest.approx(2 / 3)
    assert ts.field_accuracy["region"] == 1.0
    assert ts.field_accuracy["kind"] == 1.0
    assert report.micro.field_accuracy["targets.comparator"] == pytest.approx(2 / 3)


def test_official_title_field_is_lenient_on_token_overlap() -> None:
    gold = [_article("a1", officials=[_official("Pan Zaoyun", title="Vice Mayor of Zhenjiang")])]
    good = _official("Pan Zaoyun", title="Deputy Mayor of Zhenjiang")
    bad = _official("Pan Zaoyun", title="Director of the Science Bureau", organization=None)
    good_report = score([_article("a1", officials=[good])], gold)
    bad_report = score([_article("a1", officials=[bad])], gold)
    assert good_report.per_type["officials"].field_accuracy == {"title": 1.0, "organization": 1.0}
    assert bad_report.per_type["officials"].field_accuracy == {"title": 0.0, "organization": 0.0}


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("value", "unit", "matches"),
    [
        (6000, "hundred million yuan", True),
        (6000, "100 million yuan", True),
        (600, "RMB billion", True),
        ("600", "billion yuan", True),
        ("600 billion", "yuan", True),
        (600000, "million yuan", True),
        (0.6, "trillion yuan", True),
        (60000000, "ten thousand yuan", True),
        (600, "million yuan", False),
        (600, "billion", False),
        (600, "%", False),
        (601, "billion yuan", False),
    ],
)
def test_magnitude_equivalence(value: Any, unit: str, matches: bool) -> None:
    gold = _target("industrial taxable sales", 600, "billion yuan", "exceeded 600 billion yuan")
    pred = _target("industrial taxable sales", value, unit, "exceeded 600 billion yuan")
    assert (match_records("targets", [gold], [pred]) == [(0, 0)]) is matches


@pytest.mark.parametrize(
    ("unit", "family"),
    [
        ("billion yuan", "currency"),
        ("yuan", "currency"),
        ("%", "percent"),
        ("percent", "percent"),
        ("pct", "percent"),
        ("percentage points", "percentage points"),
        ("pct points", "percentage points"),
        ("rank", "rank"),
        ("place", "rank"),
        ("projects", "count"),
        ("enterprises", "count"),
        ("key enterprises", "count"),
        ("", "count"),
        ("tons of standard coal", "tons"),
        ("tons", "tons"),
        ("yuan per ton", "other:per ton yuan"),
        ("kWh", "other:kwh"),
    ],
)
def test_unit_families(unit: str, family: str) -> None:
    quantity = normalize_quantity(1, unit)
    assert quantity is not None and quantity[0] == family


def test_normalize_quantity_scales_and_rejects_garbage() -> None:
    assert normalize_quantity(600, "billion yuan")[:2] == ("currency", 6e11)
    assert normalize_quantity("1,505", "projects")[:2] == ("count", 1505.0)
    assert normalize_quantity(319100, "tons of standard coal")[:2] == ("tons", 319100.0)
    assert normalize_quantity("15.1%", None)[:2] == ("percent", 15.1)
    assert normalize_quantity("6e11", "yuan")[:2] == ("currency", 6e11)
    assert normalize_quantity(1, "10,000 yuan")[:2] == ("currency", 1e4)
    assert normalize_quantity("600 (2021)", "billion yuan")[:2] == ("currency", 6e11)
    assert normalize_quantity(2, "rank (2021)")[:2] == ("rank", 2.0)
    for garbage in (None, "", "lots", True, [600], {"v": 1}, float("nan"), float("inf")):
        assert normalize_quantity(garbage, "billion yuan") is None


def test_target_needs_metric_or_evidence_agreement() -> None:
    gold = _target("industrial taxable sales", 600, "billion yuan", "exceeded 600 billion yuan")
    other_metric = _target("port throughput value", 600, "billion yuan", "port trade reached")
    same_evidence = _target("sales", 600, "billion yuan", "taxable sales exceeded 600 billion yuan")
    assert match_records("targets", [gold], [other_metric]) == []
    assert match_records("targets", [gold], [same_evidence]) == [(0, 0)]


def test_percent_and_percentage_points_do_not_match() -> None:
    gold = _target("share rise", 10.5, "percentage points", "10.5 percentage points higher")
    pred = _target("share rise", 10.5, "%", "10.5 percentage points higher")
    assert match_records("targets", [gold], [pred]) == []


def test_twin_targets_pair_by_metric() -> None:
    evidence = "high-end equipment and new materials clusters exceeded 100 billion yuan"
    gold = [
        _target("taxable sales of the high-end equipment cluster", 100, "billion yuan", evidence),
        _target("taxable sales of the new materials cluster", 100, "billion yuan", evidence),
    ]
    pred = [
        _target("new materials cluster taxable sales", 100, "billion yuan", evidence, kind="x"),
        _target("high-end equipment cluster taxable sales", 100, "billion yuan", evidence),
    ]
    assert match_records("targets", gold, pred) == [(0, 1), (1, 0)]


# --------------------------------------------------------------------------- officials


@pytest.mark.parametrize(
    ("pred_name", "mentions", "matches"),
    [
        ("Xu Nanji", None, True),
        ("Xu Na", None, True),
        ("Xu Nan", None, True),
        ("xu   NANJI", None, True),
        ("Secretary Xu Nanji", None, True),
        ("Party Secretary Xu Na", None, True),
        ("Xunanji", None, True),
        ("Comrade Xu", ["Xu Nanji"], True),
        ("Xu", None, False),
        ("Xue Nanji", None, False),
        ("Xu Ming", None, False),
        ("Zhang Zijian", None, False),
        ("", [], False),
    ],
)
def test_official_name_matching(pred_name: str, mentions: list[str] | None, matches: bool) -> None:
    gold = _official("Xu Nanji", ["Xu Nanji", "Xu Na"])
    pred = _official(pred_name, mentions)
    assert (match_records("officials", [gold], [pred]) == [(0, 0)]) is matches


def test_truncated_official_matches_via_gold_canonical_only() -> None:
    gold = _official("Xu Nanji", ["Xu Nanji"])
    assert match_records("officials", [gold], [_official("Xu Na", ["Xu Na"])]) == [(0, 0)]


# --------------------------------------------------------------------------- initiatives


@pytest.mark.parametrize(
    ("pred_name", "mentions", "matches"),
    [
        ("Four Groups and Eight Chains", None, True),
        ("four groups of eight chain", None, True),
        ("“Four Groups and Eight Chains”", None, True),
        ("The Four Group, Eight Chain", None, True),
        ("Four Groups Eight Chains Strategy", None, True),  # Jaccard 4/5
        ("Zhenjiang industrial framework", ["Four Groups and Eight chains"], True),
        ("Four Groups", None, False),  # Jaccard 2/4
        ("Chain-Leader System", None, False),
        ("", None, False),
    ],
)
def test_initiative_name_matching(
    pred_name: str, mentions: list[str] | None, matches: bool
) -> None:
    gold = _initiative("Four Groups and Eight Chains", ["Four Groups and Eight chains"])
    pred = _initiative(pred_name, mentions)
    assert (match_records("initiatives", [gold], [pred]) == [(0, 0)]) is matches


def test_initiative_period_field_normalises_dashes() -> None:
    gold = [_article("a1", initiatives=[_initiative("Plan", period="2022–2024")])]
    pred = [_article("a1", initiatives=[_initiative("plan", period="2022 - 2024")])]
    assert score(pred, gold).per_type["initiatives"].field_accuracy == {
        "level": 1.0,
        "period": 1.0,
    }


# --------------------------------------------------------------------------- meetings, repairs


def _meeting(name: str, date: str | None, evidence: str, kind: str = "work meeting") -> dict:
    return {"name": name, "kind": kind, "date": date, "evidence": evidence}


def test_meeting_matching_rules() -> None:
    gold = _meeting("Nanjing work promotion meeting", "2024-07-22", "the city held a meeting")
    by_date = _meeting("Conference on manufacturing", "2024-7-22", "unrelated words here")
    by_name = _meeting("Nanjing promotion meeting on work", None, "unrelated words here")
    by_evidence = _meeting("Conference", None, "The city held a meeting yesterday")
    by_month = _meeting("Conference", "2024-07", "unrelated words here")
    wrong = _meeting("Provincial conference", "2024-07-23", "unrelated words here")
    year_only = _meeting("Provincial conference", "2024", "unrelated words here")
    for pred in (by_date, by_name, by_evidence, by_month):
        assert match_records("meetings", [gold], [pred]) == [(0, 0)]
    for pred in (wrong, year_only):
        assert match_records("meetings", [gold], [pred]) == []


def test_meeting_date_field_accuracy() -> None:
    gold = [_article("a1", meetings=[_meeting("Work meeting", "2022", "x")])]
    pred = [_article("a1", meetings=[_meeting("work meeting", "2022-04-22", "x")])]
    assert score(pred, gold).per_type["meetings"].field_accuracy == {"kind": 1.0, "date": 0.0}


@pytest.mark.parametrize(
    ("original", "matches"),
    [
        ("wisdom to turn", True),
        ("accelerate enterprise “wisdom to turn”", True),  # contains gold
        ("WISDOM  to\nturn", True),
        ("turn", True),  # contained in gold
        ("the wisdom to turns quickly", True),  # shared pair, 2 of 3 content words
        ("turn wisdom quickly", False),  # shared words but no shared word pair
        ("wisdom road", False),  # only 1 shared word
        ("yong yi bear", False),
        ("", False),
    ],
)
def test_repair_overlap(original: str, matches: bool) -> None:
    gold = _repair("wisdom to turn")
    assert (match_records("repairs", [gold], [_repair(original)]) == [(0, 0)]) is matches


# --------------------------------------------------------------------------- assignment


def test_one_to_one_duplicates_count_as_false_positives() -> None:
    gold = [_article("a1", targets=[TARGETS[1]])]
    pred = [_article("a1", targets=[copy.deepcopy(TARGETS[1]), copy.deepcopy(TARGETS[1])])]
    ts = score(pred, gold).per_type["targets"]
    assert (ts.tp, ts.fp, ts.fn) == (1, 1, 0)
    assert (ts.precision, ts.recall) == (0.5, 1.0)


def test_assignment_maximises_matches_over_greedy() -> None:
    # pred[0] matches both gold spans, pred[1] only gold[0]. Greedy-by-score would take the
    # exact pair (gold[0], pred[0]) first and leave pred[1] unmatched.
    gold = [_repair("wisdom to turn"), _repair("accelerate enterprise wisdom to turn projects")]
    pred = [_repair("wisdom to turn"), _repair("wisdom to turn round and again and again fast")]
    assert match_records("repairs", gold[1:], pred[1:]) == []
    assert match_records("repairs", gold, pred) == [(0, 1), (1, 0)]


def _brute_force(weights: list[list[float]]) -> float:
    rows, cols = len(weights), len(weights[0])
    best = 0.0
    if rows <= cols:
        for perm in itertools.permutations(range(cols), rows):
            best = max(best, sum(max(weights[i][j], 0.0) for i, j in enumerate(perm)))
    else:
        for perm in itertools.permutations(range(rows), cols):
            best = max(best, sum(max(weights[i][j], 0.0) for j, i in enumerate(perm)))
    return best


def test_hungarian_matches_brute_force_on_random_matrices() -> None:
    rng = random.Random(7)
    for _ in range(200):
        rows, cols = rng.randint(1, 5), rng.randint(1, 5)
        weights = [
            [rng.choice([0.0, 0.0, 1.0 + rng.random() / 6]) for _ in range(cols)]
            for _ in range(rows)
        ]
        pairs = _max_weight_assignment(weights)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        assert all(weights[i][j] > 0 for i, j in pairs)
        assert sum(weights[i][j] for i, j in pairs) == pytest.approx(_brute_force(weights))


# --------------------------------------------------------------------------- chrF


def test_chrf_sanity() -> None:
    reference = "The city held a work meeting on industry and information technology."
    assert chrf(reference, reference) == pytest.approx(100.0)
    assert chrf("abc", "xyz") == 0.0
    assert chrf("T h e  city", "Thecity") == pytest.approx(100.0)  # whitespace ignored
    close = "The city held a work meeting on industry and technology."
    far = "A meeting was held."
    assert 0.0 < chrf(far, reference) < chrf(close, reference) < 100.0
    assert chrf("", "") == 100.0 and chrf("", reference) == 0.0


def test_chrf_recall_weighted() -> None:
    reference = "intelligent transformation and digital transformation"
    short = "intelligent transformation"
    # beta = 2 weights recall: a short, precise hypothesis loses more than a padded one.
    assert chrf(short, reference) < chrf(reference + " of manufacturing", reference)


def test_report_averages_repaired_text_chrf() -> None:
    gold = [_full_article("a1"), _full_article("a2"), _full_article("a3")]
    gold[0]["repaired_text"] = "Yesterday afternoon the bureau held a meeting."
    gold[1]["repaired_text"] = "The city launched a plan."
    pred = copy.deepcopy(gold)
    pred[1]["repaired_text"] = "zzz"
    pred[2]["repaired_text"] = "no gold text for this one"
    report = score(pred, gold)
    assert report.repaired_text_chrf == pytest.approx(50.0)
    assert score(pred, [_full_article("a3")]).repaired_text_chrf is None


def test_chrf_gain_compares_the_repaired_and_the_original_text_on_the_same_articles() -> None:
    gold = [_full_article("a1"), _full_article("a2")]
    gold[0]["repaired_text"] = "Party secretary Xu Nanji attended the meeting."
    gold[1]["repaired_text"] = "The city launched a plan."
    pred = copy.deepcopy(gold)
    pred[0]["repaired_text"] = "Party secretary Xu Nanji attend the meeting."
    pred[1]["repaired_text"] = "The city launched a plan."
    originals = {"a1": "Party secretary Xu Na attend the meeting."}  # a2's original unknown
    report = score(pred, gold, originals)
    assert report.repaired_text_chrf == pytest.approx(chrf(pred[0]["repaired_text"],
                                                           gold[0]["repaired_text"]))
    assert report.original_text_chrf == pytest.approx(chrf(originals["a1"],
                                                           gold[0]["repaired_text"]))
    assert report.repair_chrf_gain > 0
    assert score(pred, gold).repair_chrf_gain is None  # no originals: no gain claimed


def test_place_is_scored_on_articles_with_a_prediction_and_a_gold_place() -> None:
    gold = [_full_article(f"a{i}") for i in range(4)]
    for article, place in zip(gold, ["Zhenjiang, Jiangsu", "Kunshan, Jiangsu", "Hebei", None],
                              strict=True):
        article["place"] = place
    pred = copy.deepcopy(gold[:3])
    pred[0]["place"] = "Zhenjiang City, Jiangsu Province"  # right
    pred[1]["place"] = "Suzhou, Jiangsu"  # the city, not the county the article is about
    pred[2]["place"] = "Hebei"
    report = score(pred, gold)
    assert report.place_right == {"a0": True, "a1": False, "a2": True}
    assert report.place_accuracy == pytest.approx(2 / 3)
    assert report.to_dict()["place_right"] == 2 and report.to_dict()["place_scored"] == 3


# --------------------------------------------------------------------------- robustness


def test_malformed_records_do_not_crash() -> None:
    gold = [_full_article("a1")]
    pred = _article(
        "a1",
        meetings=[{}, {"date": 20240722}, {"name": None, "evidence": ["x"]}, "meeting"],
        officials=[{"name": 5, "mentions": "Pan Zaoyun"}, {"mentions": [None, 3]}, None],
        initiatives=[{"name": ["x"]}, {"mentions": None}, 42],
        targets=[
            {"value": None, "unit": "billion yuan"},
            {"value": "lots", "unit": None},
            {"value": True},
            {"value": {"a": 1}, "unit": ["%"]},
            {"value": "600", "unit": "billion yuan", "metric": "industrial taxable sales"},
        ],
        repairs=[{"original": None}, {"category": "term"}, [1, 2]],
    )
    pred["title"] = None
    report = score([pred, None, "junk", {"no": "id"}], gold)  # type: ignore[list-item]
    assert report.per_type["targets"].tp == 1
    assert report.per_type["officials"].tp == 1  # bare-string mention "Pan Zaoyun"
    assert report.per_type["repairs"].tp == 0
    json.dumps(report.to_dict())


def test_record_lists_of_wrong_type_are_treated_as_empty() -> None:
    pred = {"article_id": "a1", "targets": None, "officials": "Xu Nanji", "meetings": {}}
    report = score([pred], [_full_article("a1")])
    assert report.per_type["targets"].fn == 3
    assert report.micro.tp == 0


def test_gold_requires_unique_article_ids() -> None:
    with pytest.raises(ValueError):
        score([], [_full_article("a1"), _full_article("a1")])
    with pytest.raises(ValueError):
        score([], [{"targets": []}])


# --------------------------------------------------------------------------- output


def test_to_dict_and_table_rows() -> None:
    pred = _article("a1", targets=copy.deepcopy(TARGETS[:2]))
    report = score([pred], [_article("a1", targets=copy.deepcopy(TARGETS))])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["per_type"]["targets"]["tp"] == 2
    assert data["micro"]["recall"] == pytest.approx(2 / 3)
    assert data["per_article"]["a1"]["targets"]["fn"] == 1
    rows = report.table_rows()
    assert len(TABLE_HEADER) == 7
    assert [row[0] for row in rows] == [*RECORD_TYPES, "micro"]
    assert all(len(row) == len(TABLE_HEADER) for row in rows)
    targets_row = rows[RECORD_TYPES.index("targets")]
    assert targets_row == ["targets", "3", "2", "2", "1.000", "0.667", "0.800"]
    assert rows[-1] == ["micro", "3", "2", "2", "1.000", "0.667", "0.800"]


def test_load_gold_reads_json_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text(json.dumps(_full_article("b")), encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps({"targets": []}), encoding="utf-8")
    lines = [json.dumps(_article("d1")), "", json.dumps(_article("d2"))]
    (tmp_path / "d.jsonl").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "README.md").write_text("# not gold", encoding="utf-8")
    articles = load_gold(tmp_path)
    assert [a["article_id"] for a in articles] == ["b", "c", "d1", "d2"]


@pytest.mark.skipif(not GOLD_DIR.is_dir(), reason="shared gold annotations not available")
def test_shared_gold_scored_against_itself_is_perfect() -> None:
    gold = load_gold(GOLD_DIR)
    assert gold
    report = score(copy.deepcopy(gold), gold)
    assert report.micro.f1 == 1.0
    assert report.articles_missing == []
    assert all(v == 1.0 for v in report.micro.field_accuracy.values())
    assert report.repaired_text_chrf == pytest.approx(100.0)
