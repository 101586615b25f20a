"""Place names translated character by character, read back through CC-CEDICT."""

from __future__ import annotations

from extractor.postprocess.place import article_place
from extractor.text.calques import named_context, place_calques
from extractor.text.textfixes import place_calque_repairs


def _found(text: str) -> list[tuple[str, str]]:
    return [(calque.text, calque.repaired) for calque in place_calques(text)]


def test_a_capitalised_calque_with_a_unit_word_stands_alone() -> None:
    text = "Ginger weir district held a work conference on new industrialization yesterday."
    assert _found(text) == [("Ginger weir district", "Jiangyan District")]


def test_one_calque_is_context_for_another() -> None:
    text = ("Ginger weir district held a conference. The district will join the Thai state "
            "modern industry system and make ginger weir a growth pole of the city.")
    assert _found(text) == [("Ginger weir district", "Jiangyan District"),
                            ("Thai state", "Taizhou"), ("ginger weir", "Jiangyan")]


def test_a_lower_case_calque_needs_its_city_named() -> None:
    named = "Zhuhai held a meeting; the fragrant continent district leads the city in output."
    assert _found(named) == [("fragrant continent district", "Xiangzhou District")]
    assert _found("The fragrant continent of spices and tea.") == []


def test_a_unit_word_and_the_province_named_are_enough() -> None:
    text = "Gansu province supports the west peak district in building an energy base."
    assert _found(text) == [("west peak district", "Xifeng District")]


def test_the_province_named_elsewhere_rules_a_calque_out() -> None:
    assert _found("Hunan province said the West Peak District plan is ready.") == []


def test_ordinary_english_is_not_a_place() -> None:
    text = ("Yunnan province will go all out with full force along the Yangtze river. Basic "
            "principles: multi-level support, high quality and new city construction.")
    assert _found(text) == []


def test_a_spaced_pinyin_name_is_not_a_calque() -> None:
    assert _found("Jiang Yan district held a meeting in Jiangsu.") == []


def test_calques_become_name_repairs() -> None:
    repairs = place_calque_repairs("Chen state city in Hunan opened the park.")
    assert [(r.original, r.repaired, r.category) for r in repairs] == [
        ("Chen state city", "Chenzhou City", "name")]
    assert "郴州" in (repairs[0].note or "")


def test_named_context_reads_every_reading_of_a_name() -> None:
    provinces, cities = named_context("Taizhou and Suzhou signed an agreement.")
    assert {"Jiangsu", "Zhejiang"} <= provinces and "Taizhou" in cities


def test_the_article_place_counts_calques() -> None:
    text = ("Ginger weir district held the whole district industrialization conference\n\n"
            "The ginger weir district committee and district government held the meeting. "
            "Ginger weir will build the Thai state industry system.")
    assert article_place(text, None) == "Jiangyan, Jiangsu"


def test_a_given_name_after_a_surname_is_no_context_and_city_reads_the_prefecture() -> None:
    # "Luo Wenjiang" is a person: his given name does not make Chengdu (Wenjiang) the context,
    # and "Lucky Peace city" (吉安) reads Ji'an the city, not Rui'an or Ji'an county
    text = ("Lucky Peace city committee met. Mayor Luo Wenjiang spoke, andluo Wenjiang asked "
            "each county to act.")
    found = [(c.text, c.place.name, c.place.level) for c in place_calques(text)]
    assert found == [("Lucky Peace city", "Ji'an", "city")]


def test_a_calque_with_city_reads_the_prefecture_level_city_of_two_in_context() -> None:
    # 赣州 (Jiangxi) and 甘州区 (Zhangye, Gansu) both read "Gan state"; both provinces are named
    text = ("Gan state city government held the meeting. Jiangxi and Gansu firms came; Gan state "
            "signed 40 projects.")
    assert [place for _, place in _found(text)] == ["Ganzhou City", "Ganzhou"]
    assert article_place(text, None) == "Ganzhou, Jiangxi"


def test_everyday_glosses_read_a_capitalised_calque_with_a_unit_in_a_named_city() -> None:
    # 周村区 and 高青县 of Zibo: "village" and "high" are too common to read alone
    text = "In Zibo, Week Village district and High Green county grew; the high green hills."
    assert _found(text) == [("Week Village district", "Zhoucun District"),
                            ("High Green county", "Gaoqing County")]
    # without its city named, an everyday reading is no place
    assert _found("The Week Village district fair opened.") == []
