"""Reading article files: decoding, ids, and the facts a file states plainly (date line, lead).

What a file may be, and what happens to it (every refusal is an ArticleError naming the file,
recorded in ``errors`` with stage ``read`` while the batch goes on):

* UTF-8 (with or without BOM) or BOM-marked UTF-16: decoded;
* empty or whitespace only: refused ("empty article");
* binary (NUL bytes, control characters, bytes behind a UTF-16 BOM that are not UTF-16):
  refused;
* another encoding (GBK/GB18030 Chinese, Latin-1...): refused, naming the encoding it looks like;
* larger than ``MAX_ARTICLE_BYTES``: refused from its size, before it is read;
* an HTML page saved with a .txt name: converted to its visible text (tags, scripts and styles
  dropped, block elements become line breaks, entities decoded) and processed; the stored
  ``text`` is that plain text, so evidence offsets point into it. Nothing is recorded in
  ``errors`` because nothing failed.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from extractor.errors import ArticleError

MAX_ARTICLE_BYTES = 2_000_000
_DATE_LINE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\b")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML_START = re.compile(r"^\s*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:p|div|br|span|a|b|i|h[1-6]|li|ul|table|tr|td|article|section)\b"
                       r"[^>]*>", re.IGNORECASE)
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                         "article", "section", "header", "footer", "title", "table", "ul", "ol",
                         "blockquote", "pre", "hr"})
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})




@dataclass(frozen=True)
class Article:
    article_id: str
    path: Path
    text: str
    sha256: str
    published: str | None
    headline: str | None


def _guess_encoding(data: bytes) -> str | None:
    """A likely legacy encoding for bytes that are not UTF-8 (only to word the error)."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "GBK/GB18030 (Chinese)" if cjk >= max(1, len(text) // 20) else None


def _utf16(data: bytes, path: Path) -> str:
    payload = data[2:]
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as err:
        raise ArticleError(f"{path}: starts with a UTF-16 byte-order mark but is not valid "
                           f"UTF-16 ({err.reason}); binary or damaged file") from err
    printable = sum(1 for byte in payload if 0x20 <= byte < 0x7F)
    if text and not any(ch.isascii() for ch in text) and printable >= 0.75 * len(payload):
        # 8-bit text (or binary) behind a stray BOM decodes to nonsense ideographs
        raise ArticleError(f"{path}: starts with a UTF-16 byte-order mark but its bytes are "
                           "not UTF-16 text (binary or mislabelled file)")
    return text


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is a clear error."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _utf16(data, path)
        _refuse_control_characters(text, path)
        return text
    if b"\x00" in data:
        raise ArticleError(f"{path}: binary file (contains NUL bytes), not a text article")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        guess = _guess_encoding(data)
        looks = f"it looks like {guess}; " if guess else ""
        raise ArticleError(
            f"{path}: not valid UTF-8 (byte {err.start}: {data[err.start : err.start + 4]!r}); "
            f"{looks}convert it to UTF-8 first"
            + (" (e.g. iconv -f GB18030 -t UTF-8)" if guess else "")
        ) from err
    _refuse_control_characters(text, path)
    return text


def _refuse_control_characters(text: str, path: Path) -> None:
    controls = len(_CONTROL.findall(text))
    if controls and controls >= max(1, len(text) // 100):
        raise ArticleError(f"{path}: binary file ({controls} control characters), "
                           "not a text article")


class _TextExtractor(HTMLParser):
    """The visible text of an HTML page, with block elements on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """An HTML document, or text starting with a tag and full of markup."""
    head = text[:2000]
    return bool(_HTML_START.match(head)) or (
        head.lstrip().startswith("<") and len(_HTML_TAG.findall(head)) >= 3
    )


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: one line per block, spaces collapsed, entities decoded."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n\n".join(line for line in lines if line) + "\n"


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
    if looks_like_html(text):
        text = html_to_text(text)
        if not text.strip():
            raise ArticleError(f"{path}: empty article (an HTML page without visible text)")
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


HEADLINE_MAX_CHARS = 200
_DATELINE = re.compile(r"^\s*(?:\d{4}[-/.年]\d{1,2}|.*\b(?:source|from)\s*[:：])", re.I)
_LEAD_LINE = re.compile(r"^\s*(?:highlights?|summary|abstract|lead|original (?:title|headline)|"
                        r"核心提示|导读|原标题)\s*[:：]", re.I)


def lead_end(text: str) -> int:
    """Where the article's lead ends: its headline (first line) and a "Highlights:" summary or
    an "Original title:" line after it (past the date and source line), which repeat figures
    the body states in full. A first line longer than a headline is the body's."""
    lines = text.splitlines(keepends=True)
    if not lines or len(lines[0].strip()) > HEADLINE_MAX_CHARS:
        return 0  # the text opens with a paragraph: no headline
    end = position = len(lines[0])
    for line in lines[1:6]:
        position += len(line)
        if _LEAD_LINE.match(line):
            end = position
        elif line.strip() and not _DATELINE.match(line):
            break
    return end
