from __future__ import annotations

import pytest

from extractor.models import InitiativeItem, MeetingItem, OfficialItem, Repair, TargetItem
from extractor.postprocess.assemble import (
    assemble_initiatives,
    assemble_meetings,
    assemble_officials,
    assemble_targets,
    clause_with_value,
    evidence_sentence,
    official_mentions,
    programme_level,
    programme_period,
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


def test_target_whose_sentence_number_is_off_takes_the_nearest_sentence_stating_it() -> None:
    sentences = ["In 2022 the city signed 45 projects.", "Twenty-two of them are energy projects.",
                 "The city has 22 parks.", "Output rose 5%."]
    [record] = assemble_targets([TargetItem(sentence=1, value=22, unit="projects",
                                            metric="energy projects")], sentences)
    assert record["evidence"] == "Twenty-two of them are energy projects."
    [record] = assemble_targets([TargetItem(sentence=4, value=22, unit="parks",
                                            metric="m")], sentences)
    assert record["evidence"] == "The city has 22 parks."
    # the same number in another unit, or far away, is not the figure
    [record] = assemble_targets([TargetItem(sentence=3, value=5, unit="billion yuan",
                                            metric="m")], sentences)
    assert record["evidence"] == "The city has 22 parks."  # the model's (5% is no money)
    far = ["Output rose 5%.", *(f"Item {n}." for n in range(10)), "Sales were 7 billion yuan."]
    [record] = assemble_targets([TargetItem(sentence=1, value=7, unit="billion yuan",
                                            metric="m")], far)
    assert record["evidence"] == "Output rose 5%."  # kept (and rejected later as not stated)


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


@pytest.mark.parametrize(
    ("words", "level"),
    [(("National Innovative City", "national innovative city"), "national"),
     (("Provincial Trillion-Yuan Industry", "the province's trillion industry"), "provincial"),
     (("District Business Plan", "the district's business plan"), "district"),
     (("Chain Leader System", "chain length system"), None)],
)
def test_programme_level_from_its_own_words(words: tuple[str, str], level: str | None) -> None:
    assert programme_level(*words) == level


def test_programme_period_is_a_year_range_of_its_name_mention_or_sentence() -> None:
    assert programme_period("Three-Year Action", "three-year action",
                            "the three-year action (2023 to 2025) for upgrading") == "2023-2025"
    assert programme_period("Plan 2022-2024", "", "") == "2022-2024"
    assert programme_period("Chain Leader System", "chain length system", "in 2022 we") is None


def test_initiative_level_and_period_come_from_rules() -> None:
    text = "Implement the national “east data west computing” project for 2022-2025. Then more."
    [record] = assemble_initiatives(
        [InitiativeItem(mention="national “east data west computing” project",
                        name="East Data, West Computing Project")], text)
    assert (record["level"], record["period"]) == ("national", "2022-2025")
    [plain] = assemble_initiatives(
        [InitiativeItem(mention="chain length system", name="Chain Leader System")], TEXT_000)
    assert (plain["level"], plain["period"]) == ("municipal", None)


def test_meeting_evidence_is_the_sentence_of_its_mention() -> None:
    [record] = assemble_meetings(
        [MeetingItem(mention="city work meeting", name="Zhenjiang industry work meeting",
                     kind="work meeting", chaired_by=["Gong Haibin"])], TEXT_000)
    assert record["evidence"] in TEXT_000
    assert "city work meeting" in record["evidence"]
    assert len(record["evidence"]) > len("city work meeting")
    assert "mention" not in record
    assert (record["name"], record["chaired_by"]) == ("Zhenjiang industry work meeting",
                                                      ["Gong Haibin"])


def test_meeting_mention_echoing_a_repair_maps_back_to_the_text() -> None:
    text = "The smart change number turn meeting was held. Then more."
    repairs = [Repair(original="smart change number turn meeting",
                      repaired="intelligent transformation meeting", category="term")]
    [record] = assemble_meetings(
        [MeetingItem(mention="intelligent transformation meeting", name="n", kind="k")],
        text, repairs)
    assert record["evidence"] == "The smart change number turn meeting was held."


def test_target_comparator_and_period_are_read_from_the_sentences() -> None:
    sentences = ["In 2021, sales exceeded 600 billion yuan.",
                 "Investment grew by 24.3%.",
                 "By 2025, output will reach about 1 trillion yuan."]
    records = assemble_targets([
        TargetItem(sentence=1, value=600, unit="billion yuan", metric="sales"),
        TargetItem(sentence=2, value=24.3, unit="%", metric="investment growth"),
        TargetItem(sentence=3, value=1, unit="trillion yuan", metric="output", kind="target"),
    ], sentences)
    assert [(r["comparator"], r["period"]) for r in records] == [
        (">", "2021"), ("=", "2021"), ("~", "by 2025")]


def test_a_meeting_the_model_names_after_a_person_is_named_from_its_sentence() -> None:
    text = ("Li Hua: build the backbone of industry\n\nMarch 3, the city's manufacturing upgrade "
            "mobilization conference was held. Mayor Wang Gang chaired the meeting.")
    [record] = assemble_meetings(
        [MeetingItem(mention="work meetings", name="Li Hua", kind="work meeting")], text)
    assert record["evidence"] == ("March 3, the city's manufacturing upgrade mobilization "
                                  "conference was held.")
    assert record["name"] == "City's manufacturing upgrade mobilization conference"
    # a real name is kept, and a distinctive word still picks its sentence
    [kept] = assemble_meetings(
        [MeetingItem(mention="upgrade meetings", name="Upgrade conference", kind="k")], text)
    assert kept["name"] == "Upgrade conference" and "upgrade" in kept["evidence"]


def test_meeting_phrase() -> None:
    from extractor.postprocess.assemble import meeting_phrase

    assert meeting_phrase("On May 8, the county held the digital economy work meeting.") == (
        "Digital economy work meeting")
    assert meeting_phrase("The bureau launched the second quarter supervision service.") == (
        "Second quarter supervision service")
    assert meeting_phrase("Output rose 5%.") is None


def test_a_meeting_mentioned_as_this_conference_takes_the_sentence_that_reports_it() -> None:
    text = ("Deals worth 9 billion yuan signed at the Linyi Trade Conference\n\nOn May 6, the "
            "2023 Linyi trade conference was held. This conference was hosted by the city.")
    [record] = assemble_meetings(
        [MeetingItem(mention="This conference", name="This conference", kind="conference")],
        text)
    assert record["evidence"] == "On May 6, the 2023 Linyi trade conference was held."
    assert record["name"] == "2023 Linyi trade conference"
