from __future__ import annotations

from extractor.text.candidates import (
    glossary_hits,
    name_candidates,
    number_sentences,
    quoted_phrases,
    sentences,
)
from tests.conftest import SEEDS


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def test_run_together_sentences_are_split() -> None:
    parts = sentences("new level.Manufacturing investment increased by 24.3%, ranking fourth.")
    assert parts == ["new level.", "Manufacturing investment increased by 24.3%, ranking fourth."]


def test_number_sentences_skip_the_date_line() -> None:
    found = number_sentences(seed("000"))
    assert not any(s.startswith("2022-04-23") for s in found)
    assert any("15.1%" in s for s in found)
    assert any("600 billion yuan" in s for s in found)


def test_name_candidates_on_seeds() -> None:
    names = name_candidates(seed("004"))
    for expected in ("Xu Nanji", "Xu Na", "Zhang Zijian", "Yu Hongyan", "CAI Jiang"):
        assert expected in names
    assert "Vice Mayor" not in names and "Party Committee" not in names
    assert name_candidates(seed("000")) == ["Gong Haibin", "Pan Zaoyun"]


def test_quoted_phrases_keep_their_marks() -> None:
    assert "“Four Groups and Eight chains”" in quoted_phrases(seed("000"))


def test_glossary_hits_are_verbatim() -> None:
    glossary = [{"garbled": ["wisdom to turn"], "repaired": "intelligent transformation"},
                {"garbled": ["not in text"], "repaired": "x"}]
    text = seed("000")
    hits = glossary_hits(text, glossary)
    assert [h.garbled for h in hits] == ["wisdom to turn"]
    assert hits[0].garbled in text


def test_glossary_whole_words_only() -> None:
    hits = glossary_hits("the eagles fly", [{"garbled": ["the eagle"], "repaired": "Yingtan"}])
    assert hits == []


def test_unknown_words_find_pinyin_and_skip_urls() -> None:
    from extractor.text.candidates import unknown_words

    words = unknown_words("the city kechuang level, yong yi bear; mail a@jiupainews.com now")
    assert "kechuang" in words and "yi" in words
    assert not any("jiupainews" in w for w in words)
    assert "city" not in words and "level" not in words


def test_repair_candidates_are_verbatim_and_bounded() -> None:
    from extractor.text.candidates import repair_candidates

    text = seed("003")
    found = repair_candidates(text, limit=12)
    assert len(found) == 12
    assert all(phrase in text for phrase in found)
    assert any("kechuang" in phrase for phrase in found)  # unknown-word windows come first


def test_pinyin_syllable_count() -> None:
    from extractor.text.candidates import pinyin_syllable_count

    assert pinyin_syllable_count("wenkai") == 2
    assert pinyin_syllable_count("Zhuang") == 1
    assert pinyin_syllable_count("said") is None


def test_lowercase_given_names_only_when_asked() -> None:
    text = "deputy mayor Chen wenkai spoke; Zhang said that Li change is coming."
    assert name_candidates(text) == []
    assert name_candidates(text, lowercase_given=True) == ["Chen wenkai"]  # "change" is English


def test_glossary_forms_match_any_quote_dash_and_spacing_style() -> None:
    glossary = [{"garbled": ['law inspection "two long"', "party's 20th"], "repaired": "x"}]
    text = "the city law inspection “two long”  and  the party’s 20th victory"
    hits = glossary_hits(text, glossary)
    assert [h.garbled for h in hits] == ["law inspection “two long”", "party’s 20th"]
    assert all(h.garbled in text for h in hits)


def test_glossary_finds_each_form_once_and_longer_forms_first() -> None:
    glossary = [
        {"garbled": ["chain long", "chain long system"], "repaired": "chain leader system"},
        {"garbled": ["responsible comrade", "responsible comrades"], "repaired": "officials"},
        {"garbled": ["wisdom to turn", "intelligence to turn"], "repaired": "智改数转",
         "programme": "Intelligent Transformation and Digital Transformation"},
    ]
    text = ("The intelligence to turn and the chain long system; responsible comrades spoke, "
            "the responsible comrade of the zone too; wisdom to turn again, chain long.")
    hits = glossary_hits(text, glossary)
    # in text order; "chain long" is the same term as "chain long system" found first, and
    # "responsible comrade" the same as "responsible comrades": one hit each
    assert [h.garbled for h in hits] == ["intelligence to turn", "chain long system",
                                         "responsible comrades", "wisdom to turn"]
    assert hits[0].programme == "Intelligent Transformation and Digital Transformation"
    assert hits[1].programme is None
