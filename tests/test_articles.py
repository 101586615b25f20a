from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from extractor.text.articles import (
    ArticleError,
    find_article_files,
    headline,
    published_date,
    read_article,
)
from tests.conftest import SEEDS


def test_reads_seed_article() -> None:
    article = read_article(SEEDS / "000_3911936b9cb8e675.txt")
    assert article.article_id == "000_3911936b9cb8e675"
    assert article.published == "2022-04-23"
    assert article.headline and article.headline.startswith("Zhenjiang:")
    assert len(article.sha256) == 64


def test_article_without_date_line_or_headline() -> None:
    article = read_article(SEEDS / "002_2ff03187aa151151.txt")
    assert article.published is None
    assert article.headline is None  # the first line is a long sentence


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"  \n\t ", "empty"), (b"\x00\x01\x02binary", "binary"),
     ("中文".encode("gbk"), "UTF-8")],
)
def test_bad_files_get_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=message) as info:
        read_article(path)
    assert "bad.txt" in str(info.value)


def test_utf16_with_bom_and_utf8_bom_decode(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + "Yingtan meeting".encode("utf-16-le"))
    assert read_article(utf16).text == "Yingtan meeting"
    utf8 = tmp_path / "u8.txt"
    utf8.write_bytes(codecs.BOM_UTF8 + b"Zhenjiang")
    assert read_article(utf8).text == "Zhenjiang"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no such file"):
        list(find_article_files([tmp_path / "nope"]))


def test_folder_expansion_is_sorted(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c.md"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in find_article_files([tmp_path])] == ["a.txt", "b.txt"]


def test_date_and_headline_helpers() -> None:
    assert published_date("Title\n\n2023-01-05 0 By\nText") == "2023-01-05"
    assert published_date("No date here") is None
    assert headline("\n\nShort title\nBody") == "Short title"


def test_lead_end_headline_summary_and_original_title() -> None:
    from extractor.text.articles import lead_end

    text = ("22 factories named\n\n2021-05-28 14:29  Source: City Media\n\n"
            "Original title: the first 22 home factory produce\n\nOn May 27, 22 factories ...")
    assert text[lead_end(text):].lstrip().startswith("On May 27")
    plain = "Headline\n\n2021-05-28 Source: City Media\n\nOn May 27, 22 factories ..."
    assert plain[lead_end(plain):].lstrip().startswith("2021-05-28")
    paragraph = "The bureau launched the third quarter supervision service. " * 5 + "\nMore."
    assert lead_end(paragraph) == 0
