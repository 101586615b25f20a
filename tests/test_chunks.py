"""Splitting long articles into overlapping parts that fit the model's context."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.text.articles import Article
from extractor.text.candidates import NUMBER_SENTENCES_SHOWN, number_sentences
from extractor.text.chunks import article_parts, fits, split_spans

SENTENCE = "The city added {n} smart factories and invested {n}.5 billion yuan in equipment. "


def _long_text(paragraphs: int, sentences: int = 12) -> str:
    return "\n\n".join("".join(SENTENCE.format(n=p * 100 + s) for s in range(sentences)).strip()
                       for p in range(paragraphs))


def test_short_text_is_one_part() -> None:
    assert split_spans("A short article.", 1000, 100) == [(0, 16)]


def test_parts_fit_cover_the_text_and_overlap_at_sentence_starts() -> None:
    text = _long_text(80)
    assert len(text) > 60_000
    spans = split_spans(text, 16_000, 800)
    assert len(spans) >= 4
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (start, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert end - start <= 16_000
        assert start < next_start < end  # overlap, and progress
        assert end - next_start <= 800 + len(SENTENCE) + 10
        assert text[next_start - 1].isspace() and text[next_start] == "T"  # a sentence start
    for _start, end in spans[:-1]:
        assert text[end - 1] == "\n" or text[end - 2:end] == ". "  # ends at a break


def test_every_sentence_is_whole_in_some_part() -> None:
    text = _long_text(30)
    spans = split_spans(text, 5_000, 400)
    for sentence in text.replace("\n\n", " ").split(". "):
        assert any(sentence in text[start:end] for start, end in spans)


def test_a_text_without_breaks_is_still_cut() -> None:
    text = "x" * 2_500
    spans = split_spans(text, 1_000, 100)
    assert spans[0] == (0, 1_000) and spans[-1][1] == 2_500
    assert all(end - start <= 1_000 for start, end in spans)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        split_spans("text", 100, 60)


def test_article_parts_keep_the_id_and_give_each_part_its_own_hash() -> None:
    text = _long_text(40)
    article = Article("a1", Path("a1.txt"), text, "sha-of-whole", "2023-05-01", "Headline")
    parts = article_parts(article, 16_000, 800)
    assert len(parts) > 1
    assert {p.article_id for p in parts} == {"a1"}
    assert len({p.sha256 for p in parts}) == len(parts)
    assert parts[0].headline == "Headline" and parts[1].headline is None
    assert all(p.text in text and p.published == "2023-05-01" for p in parts)
    assert article_parts(Article("b", Path("b.txt"), "short", "s", None, None)) == [
        Article("b", Path("b.txt"), "short", "s", None, None)]


def test_parts_dense_with_numbers_are_made_smaller_until_they_fit() -> None:
    text = _long_text(40)  # every sentence has numbers: the targets prompt repeats them all
    parts = article_parts(Article("a", Path("a.txt"), text, "s", None, None), 16_000, 800)
    assert all(fits(p.text) for p in parts)
    assert all(len(number_sentences(p.text, limit=None)) <= NUMBER_SENTENCES_SHOWN
               for p in parts)  # every figure is shown to the targets stage
    assert max(len(p.text) for p in parts) < 16_000 * 3 // 4 + 1
