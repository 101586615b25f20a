"""Long articles in parts that fit the model's context: a part ends at the last paragraph
break that fits, else the last sentence end, else the last space; each part after the first
starts ``overlap`` characters back (at a sentence start where there is one), so a fact that
straddles a break is whole in one part. Parts are verbatim slices of the article, so evidence
found in a part is verbatim in the article.

The largest request of a part is the targets stage's, which repeats the part's sentences with
numbers after the part itself (at most ``NUMBER_SENTENCES_SHOWN`` of them: more would go
unseen); parts are made smaller until that load fits ``MAX_LOAD_CHARS``
(about 5,300 tokens at the 4.5-4.9 characters per token measured on the seeds, leaving the
prompt's instructions and the 1,800-token answer inside the 8,192-token context)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from extractor.text.articles import Article
from extractor.text.candidates import NUMBER_SENTENCES_SHOWN, number_sentences

DEFAULT_PART_CHARS = 16_000  # the longest seed (13,769 characters) stays whole
DEFAULT_OVERLAP_CHARS = 800
MAX_LOAD_CHARS = 24_000  # a part plus its number sentences (seed 004: 20,675)
_BOUNDARIES = (re.compile(r"\n\s*"), re.compile(r"(?<=[.!?。；;])\s+"), re.compile(r"\s+"))


def _last_boundary(text: str, start: int, limit: int) -> int:
    """End of the part that starts at ``start`` and may reach ``limit``."""
    for boundary in _BOUNDARIES:
        ends = [m.end() for m in boundary.finditer(text, start, limit) if m.end() > start]
        if ends:
            return ends[-1]
    return limit


def _overlap_start(text: str, end: int, overlap: int, after: int) -> int:
    """Where the next part starts: the first sentence start in the last ``overlap``
    characters before ``end`` (else the first space there), never at or before ``after``."""
    window = max(after + 1, end - overlap)
    for boundary in _BOUNDARIES[1:]:
        found = boundary.search(text, window, end)
        if found and found.end() < end:
            return found.end()
    return end


def split_spans(text: str, max_chars: int = DEFAULT_PART_CHARS,
                overlap: int = DEFAULT_OVERLAP_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` of each part; one span for a text that fits."""
    if max_chars <= 0 or overlap < 0 or overlap >= max_chars // 2:
        raise ValueError("need max_chars > 0 and 0 <= overlap < max_chars / 2")
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        if len(text) - start <= max_chars:
            spans.append((start, len(text)))
            return spans
        end = _last_boundary(text, start, start + max_chars)
        if end - start < max_chars // 2:  # no boundary in the second half: cut at the limit
            end = _last_boundary(text, start + max_chars // 2, start + max_chars)
        spans.append((start, end))
        start = _overlap_start(text, end, overlap, start)


def fits(text: str) -> bool:
    """Whether a part's largest request fits: the part and its number sentences within
    ``MAX_LOAD_CHARS``, and no more number sentences than the targets prompt lists."""
    found = number_sentences(text, limit=None)
    return (len(found) <= NUMBER_SENTENCES_SHOWN
            and len(text) + sum(len(sentence) for sentence in found) <= MAX_LOAD_CHARS)


def article_parts(article: Article, max_chars: int = DEFAULT_PART_CHARS,
                  overlap: int = DEFAULT_OVERLAP_CHARS) -> list[Article]:
    """The article itself when it fits, else one ``Article`` per part (same id and date; the
    headline only on the first; ``sha256`` of the part's text, so each part has its own stage
    results). Parts shrink by a quarter until each one ``fits``, so an article dense with
figures is split even when it is short."""
    spans = split_spans(article.text, max_chars, overlap)
    while (max_chars > 4 * overlap
           and not all(fits(article.text[a:b]) for a, b in spans)):
        max_chars = max_chars * 3 // 4
        spans = split_spans(article.text, max_chars, overlap)
    if len(spans) == 1:
        return [article]
    parts = []
    for index, (start, end) in enumerate(spans):
        text = article.text[start:end]
        parts.append(replace(article, text=text,
                             sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                             headline=article.headline if index == 0 else None))
    return parts
