from __future__ import annotations

from extractor.text.textfixes import fused_datelines, repeated_phrases, structural_repairs


def test_phrase_written_twice_is_repaired_to_one() -> None:
    text = "Districts should take the initiative to take the initiative and act."
    [repair] = repeated_phrases(text)
    assert repair.original == "take the initiative to take the initiative"
    assert repair.repaired == "take the initiative"
    assert repair.category == "grammar"
    assert repair.original in text


def test_word_written_twice_is_repaired() -> None:
    [repair] = repeated_phrases("implement the industrial chain chain long system")
    assert (repair.original, repair.repaired) == ("chain chain", "chain")


def test_english_doublings_are_left_alone() -> None:
    text = ("More and more firms meet face to face, step by step, day to day; "
            "we know that that is so, and go on and on.")
    assert repeated_phrases(text) == []


def test_day_fused_after_the_byline_becomes_a_sentence_start() -> None:
    text = "China News Yangzhou February 26 (reporter Cui Jiaming)26, the city held a meeting."
    [repair] = fused_datelines(text)
    assert repair.original == "(reporter Cui Jiaming)26,"
    assert repair.repaired == "(reporter Cui Jiaming) - On the 26th,"
    assert fused_datelines("(reporter Li Hua) 3rd, a visit") [0].repaired.endswith("On the 3rd,")
    assert fused_datelines("(reporter Li Hua) 2022, a year") == []  # a year is not a day
    assert fused_datelines("(photo by Li Hua)26, x") == []


def test_structural_repairs_come_in_text_order() -> None:
    text = ("(reporter Wang Fang)12, leaders must take action take action, "
            "and build the chain chain.")
    originals = [r.original for r in structural_repairs(text)]
    assert originals == ["(reporter Wang Fang)12,", "take action take action", "chain chain"]


def test_figures_dates_and_mojibake_written_word_by_word_are_repaired() -> None:
    from extractor.text.textfixes import post_model_repairs

    text = ("A fund of 200 hundred million yuan and 5 ten thousand cars; 1 hundred million; "
            "1 to 11 month output; 6 day afternoon, the â€œshop small twoâ€ service.")
    found = {r.original: (r.repaired, r.category) for r in post_model_repairs(text)}
    assert found == {
        "200 hundred million": ("20 billion", "number"),
        "5 ten thousand": ("50,000", "number"),
        "1 hundred million": ("100 million", "number"),
        "1 to 11 month": ("January to November", "number"),
        "6 day afternoon": ("on the afternoon of the 6th", "grammar"),
        "â€œshop small twoâ€": ("“shop small two”", "grammar"),
    }
    assert post_model_repairs("13 to 15 months later, 40 day morning") == []  # not months, days


def test_an_amount_with_yi_read_as_billion_is_repaired_where_the_text_states_it_right() -> None:
    from extractor.text.textfixes import yi_as_billion_repairs

    text = ("Headline: deals of 2180 billion yuan. The fair signed deals of 218 billion yuan, "
            "and 2,835.7 billion beside 283.57 billion; 3000 billion yuan stands alone.")
    assert [(r.original, r.repaired, r.category) for r in yi_as_billion_repairs(text)] == [
        ("2180 billion yuan", "218 billion yuan", "number"),
        ("2,835.7 billion", "283.57 billion", "number")]
    assert yi_as_billion_repairs("investment of 21.8 billion yuan and 218 billion yuan") == []
    [thousand] = yi_as_billion_repairs("investment broke through 1,000 billion yuan")
    assert thousand.repaired == "100 billion yuan"


def test_thousand_billion_is_qianyi_and_then_hundred_billion_level_is_baiyi() -> None:
    from extractor.text.textfixes import thousand_billion_repairs

    text = ("It will have 8 thousand-billion-level enterprises and start 80 "
            "hundred-billion-level projects; the manufacturing thousand billion yuan scale goal.")
    assert [(r.original, r.repaired) for r in thousand_billion_repairs(text)] == [
        ("thousand-billion-level", "100-billion-yuan-level"),
        ("thousand billion", "100 billion"),
        ("hundred-billion-level", "10-billion-yuan-level")]
    # alone, "hundred-billion-level" may be a right reading of 千亿级; "ten thousand billion" is
    # 万亿, another figure
    assert thousand_billion_repairs("80 hundred-billion-level projects") == []
    assert thousand_billion_repairs("a ten thousand billion yuan cluster") == []


def test_figures_in_chinese_units_written_every_way() -> None:
    from extractor.text.textfixes import scale_repairs

    text = ("Signed 15 yi yuan, 1609 hundred-million yuan and 5000 wan yuan; the output will "
            "break 1.2 wan yi yuan and 3 ten-thousand hundred-million yuan.")
    assert [(r.original, r.repaired) for r in scale_repairs(text)] == [
        ("1.2 wan yi", "1.2 trillion"), ("3 ten-thousand hundred-million", "3 trillion"),
        ("15 yi", "1.5 billion"), ("1609 hundred-million", "160.9 billion"),
        ("5000 wan", "50 million")]


def test_a_scale_form_is_listed_once_and_every_figure_of_it_is_mended() -> None:
    from extractor.postprocess.finalize import finalize_article

    text = "They invest 30 yi yuan, then 45 yi yuan, and 800 ten thousand yuan."
    final, repaired = finalize_article({"repairs": []}, text, None, [])
    assert [r["original"] for r in final["repairs"]] == ["30 yi", "800 ten thousand"]
    assert repaired == ("They invest 3 billion yuan, then 4.5 billion yuan, and 8 million "
                        "yuan.")


def test_ranks_rendered_word_by_word_are_repaired_once_and_mended_everywhere() -> None:
    from extractor.postprocess.finalize import finalize_article
    from extractor.text.textfixes import rank_repairs

    text = ("Output row the whole province second; growth speed row No. 3, exports row the "
            "fifth. They pour row time limit.")
    assert [(r.original, r.repaired) for r in rank_repairs(text)] == [
        ("row the whole province second", "ranked second in the province"),
        ("row No. 3", "ranked No. 3"), ("row the fifth", "ranked fifth")]
    final, repaired = finalize_article({"repairs": []}, text, None, [])
    assert [r["original"] for r in final["repairs"]] == ["row the whole province second"]
    assert repaired == ("Output ranked second in the province; growth speed ranked No. 3, "
                        "exports ranked fifth. They pour row time limit.")


def test_mojibake_is_listed_once_and_mended_everywhere() -> None:
    from extractor.postprocess.finalize import finalize_article

    text = "The â€œdouble hundredâ€ plan and the â€œfour onesâ€ mechanism."
    final, repaired = finalize_article({"repairs": []}, text, None, [])
    assert [r["original"] for r in final["repairs"]] == ["â€œdouble hundredâ€"]
    assert repaired == "The “double hundred” plan and the “four ones” mechanism."
