"""Reading article files: decoding, ids, and the facts a file states plainly (date line)."""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_ARTICLE_BYTES = 2_000_000
_DATE_LINE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\b")


class ArticleError(ValueError):
    """An input file cannot be used as an article (the message names the file)."""


@dataclass(frozen=True)
class Article:
    article_id: str
    path: Path
    text: str
    sha256: str
    published: str | None
    headline: str | None


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is a clear error."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ArticleError(f"{path}: binary file (contains NUL bytes), not a text article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ArticleError(
            f"{path}: not valid UTF-8 (byte {err.start}: {data[err.start : err.start + 4]!r}); "
            "convert it to UTF-8 first"
        ) from err


def published_date(text: str) -> str | None:
    """The explicit YYYY-MM-DD date line near the top of the article, if there is one."""
    for line in text.splitlines()[:5]:
        match = _DATE_LINE.match(line)
        if match:
            return "-".join(match.groups())
    return None


def headline(text: str) -> str | None:
    """The first line when it looks like a headline (short, no sentence run-on)."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= 200 and not published_date(line) else None
    return None


def read_article(path: Path) -> Article:
    """Read one article file; raises ArticleError with the file's name when unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(
                f"{path}: {size:,} bytes is over the {MAX_ARTICLE_BYTES:,}-byte article limit"
            )
        data = path.read_bytes()
    except OSError as err:
        raise ArticleError(f"{path}: cannot read ({err.strerror})") from err
    text = decode_text(data, path).replace("\r\n", "\n")
    if not text.strip():
        raise ArticleError(f"{path}: empty article (no text)")
    return Article(
        article_id=path.stem,
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        published=published_date(text),
        headline=headline(text),
    )


def find_article_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand files and folders into ``.txt`` files, sorted within each folder."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.txt") if p.is_file())
        elif path.exists():
            yield path
        else:
            raise ArticleError(f"{path}: no such file or directory")
