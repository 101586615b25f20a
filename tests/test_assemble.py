from __future__ import annotations

from extractor.models import InitiativeItem, OfficialItem, TargetItem
from extractor.postprocess.assemble import (
    assemble_initiatives,
    assemble_officials,
    assemble_targets,
    clause_with_value,
    evidence_sentence,
    official_mentions,
    with_programme_head,
)
from extractor.text.candidates import number_sentences
from tests.conftest import SEEDS

TEXT_000 = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
TEXT_004 = next(SEEDS.glob("004_*.txt")).read_text(encoding="utf-8")


def test_clause_with_value_picks_the_clause() -> None:
    sentence = ("The industrial added value will increase by 15.1% year-on-year, "
                "ranking the second place in the whole province.")
    assert clause_with_value(sentence, 15.1, "%") == (
        "The industrial added value will increase by 15.1% year-on-year")
    assert clause_with_value(sentence, 2, "rank") == (
        "ranking the second place in the whole province.")
    assert clause_with_value(sentence, 99, "%") == sentence


def test_targets_get_verbatim_evidence_from_their_sentence() -> None:
    sentences = number_sentences(TEXT_000)
    index = next(i for i, s in enumerate(sentences, 1) if "600 billion" in s)
    [record] = assemble_targets([TargetItem(sentence=index, value=600, unit="billion yuan",
                                            metric="industrial taxable sales")], sentences)
    assert record["evidence"] == "Industrial taxable sales exceeded 600 billion yuan"
    assert record["evidence"] in TEXT_000


def test_target_with_a_bad_sentence_number_has_no_evidence() -> None:
    [record] = assemble_targets([TargetItem(sentence=60, value=1, unit="%", metric="m")], ["x"])
    assert record["evidence"] == ""


def test_officials_collect_truncated_mentions() -> None:
    assert official_mentions("Xu Nanji", TEXT_004) == ["Xu Nanji", "Xu Na"]
    [record] = assemble_officials([OfficialItem(name="Xu Na", title="Party Secretary")], TEXT_004)
    assert record["name"] == "Xu Nanji"
    assert record["mentions"] == ["Xu Nanji", "Xu Na"]
    assert "Xu Nanji" in record["evidence"] and record["evidence"] in TEXT_004


def test_invented_official_keeps_its_name_and_no_evidence_in_text() -> None:
    [record] = assemble_officials([OfficialItem(name="Wang Xiaoming")], TEXT_000)
    assert record["mentions"] == ["Wang Xiaoming"]
    assert record["evidence"] not in TEXT_000


def test_initiative_evidence_is_the_sentence_of_its_mention() -> None:
    [record] = assemble_initiatives(
        [InitiativeItem(mention="chain length system", name="Chain Leader System")], TEXT_000)
    assert record["mentions"] == ["chain length system"]
    assert record["evidence"].startswith("With the full implementation of the “chain length")
    assert record["evidence"] in TEXT_000


def test_evidence_sentence_falls_back_to_the_span() -> None:
    assert evidence_sentence("Some text.", "absent words here") == "absent words here"


def test_echoed_repaired_form_maps_back_to_the_verbatim_original() -> None:
    from extractor.models import Repair

    repairs = [Repair(original="chain length system", repaired="chain leader system",
                      category="term")]
    [record] = assemble_initiatives(
        [InitiativeItem(mention="chain leader system", name="Chain Leader System")],
        TEXT_000, repairs)
    assert record["mentions"] == ["chain length system"]
    assert record["evidence"] in TEXT_000


def test_quoted_nickname_is_extended_over_the_kind_that_follows() -> None:
    text = "build the “2+N” modern industrial system and the “two long” of it; “X” plan and more"
    assert with_programme_head("“2+N”", "2+N", text) == (
        "“2+N” modern industrial system", "'2+N' modern industrial system")
    assert with_programme_head("2+N", "Two plus N", text) == (
        "“2+N” modern industrial system", "Two plus N")  # a written-out name is kept
    assert with_programme_head("two long", "two long", text) == ("two long", "two long")
    assert with_programme_head("“X”", "X", text) == ("“X” plan", "'X' plan")  # stops at "and"
