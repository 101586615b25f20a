"""The extraction contract models: lenient input normalisation, strict limits, schema shape."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from extractor.models import (
    CONTRACT_FIELDS,
    Initiative,
    InitiativeItem,
    InitiativeList,
    Meeting,
    MeetingItem,
    MeetingList,
    Official,
    OfficialItem,
    OfficialList,
    QuantitativeTarget,
    Repair,
    RepairItem,
    RepairResult,
    TargetItem,
    TargetList,
)


def _target(**overrides: object) -> dict[str, object]:
    return {"sentence": 1, "value": 95, "unit": "%", "metric": "coverage"} | overrides


def _quantitative(**overrides: object) -> dict[str, object]:
    return {"evidence": "coverage reached 95%", "metric": "coverage", "value": 95,
            "unit": "%"} | overrides


# -- comparator, kind, category ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("≥", ">="), ("≤", "<="), ("==", "="), ("≈", "~"), ("about", "~"), (" >= ", ">="),
     ("<", "<"), ("~", "~")],
)
def test_comparator_aliases(raw: str, expected: str) -> None:
    assert QuantitativeTarget.model_validate(_quantitative(comparator=raw)).comparator == expected


@pytest.mark.parametrize("raw", ["=>", "at least", "!=", "", ">>"])
def test_invalid_comparator_rejected(raw: str) -> None:
    with pytest.raises(ValidationError, match="comparator"):
        QuantitativeTarget.model_validate(_quantitative(comparator=raw))


def test_comparator_and_kind_defaults() -> None:
    assert TargetItem.model_validate(_target()).kind == "actual"
    target = QuantitativeTarget.model_validate(_quantitative())
    assert (target.comparator, target.kind) == ("=", "actual")


@pytest.mark.parametrize(("raw", "expected"),
                         [("Target", "target"), (" FUNDING ", "funding"), ("actual", "actual")])
def test_kind_is_lowercased(raw: str, expected: str) -> None:
    assert TargetItem.model_validate(_target(kind=raw)).kind == expected
    assert QuantitativeTarget.model_validate(_quantitative(kind=raw)).kind == expected


@pytest.mark.parametrize("raw", ["goal", "", "targets"])
def test_invalid_kind_rejected(raw: str) -> None:
    with pytest.raises(ValidationError, match="kind"):
        TargetItem.model_validate(_target(kind=raw))


def test_repair_category_is_lowercased_and_checked() -> None:
    item = RepairItem(original="Li Qiang", repaired="Li Qiang", category="Name")
    assert item.category == "name"
    repair = Repair(original="x", repaired="y", category=" GRAMMAR ")
    assert repair.category == "grammar"
    with pytest.raises(ValidationError, match="category"):
        RepairItem(original="ab", repaired="c", category="spelling")


# -- optional text and level ------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "null", "NULL", "None", "N/A", "n/a"])
def test_blank_optional_text_becomes_none(blank: str) -> None:
    item = TargetItem.model_validate(_target(region=blank))
    assert item.region is None
    official = OfficialItem(name="Wang Wei", title=blank, organization=blank, role=blank)
    assert (official.title, official.organization, official.role) == (None, None, None)
    meeting = Meeting(evidence="e", name="n", kind="k", date=blank, place=blank, organizer=blank)
    assert (meeting.date, meeting.place, meeting.organizer) == (None, None, None)


def test_real_optional_text_is_kept() -> None:
    item = TargetItem.model_validate(_target(region="Nullarbor"))
    assert item.region == "Nullarbor"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Municipal", "municipal"), (" NATIONAL ", "national"), ("district", "district"),
     ("", None), ("null", None), ("N/A", None), (None, None)],
)
def test_level_normalised(raw: str | None, expected: str | None) -> None:
    base = {"evidence": "e", "name": "River Chief System"}
    assert Initiative.model_validate(base | {"level": raw}).level == expected


def test_invalid_level_rejected() -> None:
    with pytest.raises(ValidationError, match="level"):
        Initiative(evidence="e", name="x", level="county")


def test_the_model_does_not_write_what_rules_or_the_text_give() -> None:
    """Level and period of a programme, a meeting's evidence sentence and a repair's note are
    not asked of the model (each generated token costs ~0.1 s on the embedded model)."""
    assert set(InitiativeItem.model_fields) == {"mention", "name"}
    assert "evidence" not in MeetingItem.model_fields
    assert "mention" in MeetingItem.model_fields
    assert "note" not in RepairItem.model_fields
    assert not {"comparator", "period"} & set(TargetItem.model_fields)


# -- lengths ----------------------------------------------------------------------------------


def test_target_list_max_items() -> None:
    TargetList(targets=[_target() for _ in range(30)])
    with pytest.raises(ValidationError, match="targets"):
        TargetList(targets=[_target() for _ in range(31)])


@pytest.mark.parametrize(
    ("model", "field", "item", "limit"),
    [
        (RepairResult, "repairs", {"original": "ab", "repaired": "c", "category": "term"}, 20),
        (MeetingList, "meetings", {"mention": "ab", "name": "n", "kind": "k"}, 4),
        (OfficialList, "officials", {"name": "Wang Wei"}, 20),
        (InitiativeList, "initiatives", {"mention": "ab", "name": "n"}, 30),
    ],
)
def test_list_max_items(model: type[BaseModel], field: str, item: dict, limit: int) -> None:
    extra = {"title": "t"} if model is RepairResult else {}
    model.model_validate(extra | {field: [item] * limit})
    with pytest.raises(ValidationError, match=field):
        model.model_validate(extra | {field: [item] * (limit + 1)})


def test_repair_item_lengths() -> None:
    RepairItem(original="x" * 120, repaired="y" * 160, category="term")
    with pytest.raises(ValidationError, match="original"):
        RepairItem(original="x" * 121, repaired="y", category="term")
    with pytest.raises(ValidationError, match="original"):
        RepairItem(original="x", repaired="y", category="term")  # min 2
    with pytest.raises(ValidationError, match="repaired"):
        RepairItem(original="xy", repaired="y" * 161, category="term")


def test_evidence_and_sentence_bounds() -> None:
    with pytest.raises(ValidationError, match="evidence"):
        Meeting(evidence="", name="n", kind="k")
    with pytest.raises(ValidationError, match="evidence"):
        Meeting(evidence="e" * 601, name="n", kind="k")
    with pytest.raises(ValidationError, match="sentence"):
        TargetItem.model_validate(_target(sentence=0))
    with pytest.raises(ValidationError, match="sentence"):
        TargetItem.model_validate(_target(sentence=61))
    with pytest.raises(ValidationError, match="chaired_by"):
        Meeting(evidence="e", name="n", kind="k", chaired_by=["x"] * 13)


# -- schema (what llama.cpp turns into a grammar) ---------------------------------------------


def test_target_list_schema_has_limits_and_enums() -> None:
    schema = TargetList.model_json_schema()
    assert schema["properties"]["targets"]["maxItems"] == 30
    item = schema["$defs"]["TargetItem"]["properties"]
    assert set(item["kind"]["enum"]) == {"target", "actual", "funding"}
    assert item["unit"]["maxLength"] == 40
    assert (item["sentence"]["minimum"], item["sentence"]["maximum"]) == (1, 60)


def test_repair_result_schema_limits() -> None:
    schema = RepairResult.model_json_schema()
    assert schema["properties"]["repairs"]["maxItems"] == 20
    item = schema["$defs"]["RepairItem"]["properties"]
    assert item["original"]["maxLength"] == 120
    assert set(item["category"]["enum"]) == {"name", "term", "grammar", "number"}


# -- contract fields and field order ----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "model"),
    [("meetings", Meeting), ("officials", Official), ("initiatives", Initiative),
     ("targets", QuantitativeTarget), ("repairs", Repair)],
)
def test_contract_fields_match_models(key: str, model: type[BaseModel]) -> None:
    assert set(CONTRACT_FIELDS[key]) == set(model.model_fields)
    assert len(CONTRACT_FIELDS[key]) == len(model.model_fields)


@pytest.mark.parametrize("model", [Meeting, Official, Initiative, QuantitativeTarget])
def test_evidence_comes_first(model: type[BaseModel]) -> None:
    assert next(iter(model.model_fields)) == "evidence"
    assert next(iter(model.model_json_schema()["properties"])) == "evidence"
