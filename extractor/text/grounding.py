"""Align model-quoted evidence spans to the source text (numbers in evidence: text/numbers.py).

Small models rarely quote verbatim: they swap curly and straight quotes, dashes, CJK and ASCII
punctuation, change spacing and case, drop words, and sometimes invent text. `align` finds the
span in three tiers (exact, normalized, fuzzy) and always reports offsets into the ORIGINAL text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from difflib import Match, SequenceMatcher
from functools import lru_cache
from typing import Literal

AlignmentStatus = Literal["exact", "normalized", "fuzzy", "none"]

# Fuzzy matching compares lightly stemmed, casefolded word tokens. A window of the text is
# accepted when BOTH its SequenceMatcher ratio 2*M/(len(span)+len(window)) and the share of
# span tokens it matches in order, M/len(span), reach FUZZY_THRESHOLD.
# 0.8 accepts the edits small models really make to a quoted clause: dropped words (the span
# is then fully matched: 10 of 12 window tokens -> 0.91), one changed word in 5+ tokens (0.8),
# two in 10+. Invented sentences written from the article's own vocabulary score 0.45-0.73
# on the seeds (they share function words and a few content words in order). Span coverage
# is checked too because a real clause with an invented lead-in ("the provincial governor
# delivered a report on the industrial development of the city") has a ratio of 0.87 against
# the real clause but only 10 of its 13 tokens (0.77) are in the text.
# Fuzzy matching also needs at least FUZZY_MIN_TOKENS tokens (shorter spans must match all
# tokens in order), and every number and capitalised name in the span must occur in the
# window, so a changed figure ("800 billion" for "700 billion") or a swapped person ("Mayor
# Zhang Zijian delivered a report ..." vs "Vice Mayor Yu Hongyan ...") is never grounded.
# Known weak spot: one swapped common word in a short clause passes ("according to the
# provincial three-year action plan" ~ "according to the city's three-year action plan",
# 0.82); callers can demand a higher score for fuzzy evidence.
FUZZY_THRESHOLD: float = 0.8
FUZZY_MIN_TOKENS: int = 4
_WINDOW_SLACK = 0.3  # fuzzy windows span len(span tokens) * (1 +/- 0.3)
_MAX_FUZZY_STARTS = 40  # best window starts (by shared-token count) scored per span


@dataclass(frozen=True)
class Alignment:
    """Where a span was found in the text, and how."""

    start: int | None
    end: int | None
    status: AlignmentStatus
    matched_text: str | None
    score: float


NO_ALIGNMENT = Alignment(None, None, "none", None, 0.0)

# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

_CHAR_FOLD: dict[str, str] = {
    **dict.fromkeys("“”„‟″«»「」『』《》〝〞＂", '"'),
    **dict.fromkeys("‘’‚‛′`´＇", "'"),
    **dict.fromkeys("‐‑‒–—―−﹣－⸺⸻", "-"),
    "，": ",",
    "、": ",",
    "。": ".",
    "．": ".",
    "｡": ".",
    "：": ":",
    "；": ";",
    "！": "!",
    "？": "?",
    "（": "(",
    "）": ")",
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "〈": "<",
    "〉": ">",
    "…": "...",
    "％": "%",
}
_DROPPED = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")  # zero-width chars, soft hyphen


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """Fold one non-space character: punctuation to ASCII, full-width to ASCII, casefold."""
    if ch in _CHAR_FOLD:
        return _CHAR_FOLD[ch]
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII block
        ch = chr(code - 0xFEE0)
    return ch.casefold()


def normalize_for_match(s: str) -> tuple[str, list[int]]:
    """Folded string plus a map from each folded char index to the original index.

    Folds whitespace runs to one space, curly/straight quotes, dash runs to one "-", CJK and
    full-width punctuation to ASCII, and case. Offsets found in the folded string map back
    exactly: folded[i] comes from s[index_map[i]].
    """
    out: list[str] = []
    index_map: list[int] = []
    prev = ""
    for i, ch in enumerate(s):
        if ch in _DROPPED:
            continue
        rep = " " if ch.isspace() else _fold_char(ch)
        if rep in (" ", "-") and prev == rep:
            continue
        out.append(rep)
        index_map.extend([i] * len(rep))
        prev = rep
    return "".join(out), index_map


def _strip_spaces(folded: str, index_map: list[int]) -> tuple[str, list[int]]:
    """Remove the spaces from a folded string, keeping the index map aligned."""
    keep = [i for i, c in enumerate(folded) if c != " "]
    return "".join(folded[i] for i in keep), [index_map[i] for i in keep]


# Word tokens: runs of letters/digits, but each CJK ideograph is a token of its own.
_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


def _tokenize(s: str) -> list[tuple[str, int, int]]:
    """Casefolded word tokens with their (start, end) offsets in s."""
    return [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN_RE.finditer(s)]


def _stem(token: str) -> str:
    """Crude suffix stripping so "attended"/"attend" or "chains"/"chain" count as one token."""
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: -len(suffix)]
    return token


def _fuzzy_tokens(s: str) -> list[tuple[str, int, int]]:
    """Stemmed word tokens with offsets, the unit of fuzzy matching."""
    return [(_stem(t), a, b) for t, a, b in _tokenize(s)]


@dataclass(frozen=True)
class _Prepared:
    folded: str
    folded_map: list[int]
    compact: str
    compact_map: list[int]
    tokens: list[str]
    token_spans: list[tuple[int, int]]


@lru_cache(maxsize=16)
def _prepare(text: str) -> _Prepared:
    """Normalised views of a text, cached because align is called many times per article."""
    folded, fmap = normalize_for_match(text)
    compact, cmap = _strip_spaces(folded, fmap)
    toks = _fuzzy_tokens(text)
    return _Prepared(
        folded, fmap, compact, cmap, [t for t, _, _ in toks], [(a, b) for _, a, b in toks]
    )


# ---------------------------------------------------------------------------------------------
# Alignment
# ---------------------------------------------------------------------------------------------


def occurrences(needle: str, haystack: str) -> list[int]:
    """Start index of every (possibly overlapping) occurrence of needle in haystack."""
    found: list[int] = []
    pos = haystack.find(needle)
    while pos != -1:
        found.append(pos)
        pos = haystack.find(needle, pos + 1)
    return found


def _pick(ranges: Sequence[tuple[int, int]], taken: Collection[tuple[int, int]]) -> int | None:
    """Index of the first range not in taken; the first range if all are taken; None if empty."""
    for i, rng in enumerate(ranges):
        if rng not in taken:
            return i
    return 0 if ranges else None


def _at_word_boundaries(text: str, start: int, end: int) -> bool:
    """True unless the match starts or ends inside a word of the text."""
    starts_inside = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    ends_inside = end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    return not (starts_inside or ends_inside)


def _bounded_first(ranges: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Ranges that stand as whole words first ("Xu Na" alone before "Xu Na" inside "Xu
    Nanji"), each group in text order."""
    return sorted(ranges, key=lambda r: not _at_word_boundaries(text, *r))


def standing_ranges(span: str, text: str) -> list[tuple[int, int]]:
    """Every place where ``span`` stands in ``text`` as whole words (exact, else after folding
    quotes and spacing): never inside a longer word, so "Xu Na" is not found in "Xu Nanji"."""
    needle = span.strip()
    if not needle or not text:
        return []
    ranges = [(i, i + len(needle)) for i in occurrences(needle, text)]
    ranges = ranges or _normalized_ranges(needle, text)
    return [r for r in ranges if _at_word_boundaries(text, *r)]


def _normalized_ranges(span: str, text: str) -> list[tuple[int, int]]:
    """Original-text ranges matching span after folding (spaces folded, then spaces ignored)."""
    prep = _prepare(text)
    f_span = normalize_for_match(span)[0].strip(" ")
    if not f_span:
        return []
    ranges = [
        (prep.folded_map[i], prep.folded_map[i + len(f_span) - 1] + 1)
        for i in occurrences(f_span, prep.folded)
    ]
    if ranges:
        return ranges
    c_span = f_span.replace(" ", "")
    if not c_span:
        return []
    compact_ranges = (
        (prep.compact_map[i], prep.compact_map[i + len(c_span) - 1] + 1)
        for i in occurrences(c_span, prep.compact)
    )
    return [(a, b) for a, b in compact_ranges if _at_word_boundaries(text, a, b)]


_BRACKET_PAIRS = (("“", "”"), ("(", ")"), ("（", "）"), ("[", "]"), ("《", "》"), ("「", "」"))


def _balance_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a match by one char at either end to take in the partner of a quote or bracket
    that the match cuts in half (a leading closer or a trailing opener)."""
    inner = text[start:end]
    for opener, closer in _BRACKET_PAIRS:
        marks = [c for c in inner if c in (opener, closer)]
        if marks and marks[0] == closer and start > 0 and text[start - 1] == opener:
            start -= 1
        if marks and marks[-1] == opener and end < len(text) and text[end] == closer:
            end += 1
    if inner.count('"') % 2:
        if start > 0 and text[start - 1] == '"':
            start -= 1
        elif end < len(text) and text[end] == '"':
            end += 1
    return start, end


def _extend_punctuation(span: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a word-token match over the quotes/punctuation the span has at its edges."""
    f_span = normalize_for_match(span)[0].strip(" ")
    lead = len(f_span) - len(f_span.lstrip("\"'([<-"))
    trail = len(f_span) - len(f_span.rstrip("\"')]>.,;:!?%-"))
    lead_chars, trail_chars = set(f_span[:lead]), set(f_span[len(f_span) - trail :])
    while lead and start > 0 and _fold_char(text[start - 1]) in lead_chars:
        start, lead = start - 1, lead - 1
    while trail and end < len(text) and _fold_char(text[end]) in trail_chars:
        end, trail = end + 1, trail - 1
    return _balance_brackets(text, start, end)


def _window_bounds(n: int) -> tuple[int, int]:
    """Smallest and largest window length (in tokens) tried for a span of n tokens."""
    if n < FUZZY_MIN_TOKENS:
        return n, n
    return max(1, math.floor(n * (1 - _WINDOW_SLACK))), math.ceil(n * (1 + _WINDOW_SLACK))


def _candidate_starts(
    tokens: list[str], span_tokens: list[str], width: int, need: int
) -> list[int]:
    """Window starts whose next `width` tokens share at least `need` tokens (as a bag) with span."""
    vocab = {t: i for i, t in enumerate(dict.fromkeys(span_tokens))}
    want = [0] * len(vocab)
    for t in span_tokens:
        want[vocab[t]] += 1
    ids = [vocab.get(t, -1) for t in tokens]
    have = [0] * len(vocab)
    overlap = 0
    scored: list[tuple[int, int]] = []
    for i in range(len(ids)):
        if i == 0:
            for t in ids[:width]:
                if t >= 0:
                    have[t] += 1
                    overlap += have[t] <= want[t]
        else:
            out_t = ids[i - 1]
            if out_t >= 0:
                overlap -= have[out_t] <= want[out_t]
                have[out_t] -= 1
            if i + width - 1 < len(ids) and (in_t := ids[i + width - 1]) >= 0:
                have[in_t] += 1
                overlap += have[in_t] <= want[in_t]
        if overlap >= need and ids[i] >= 0:
            scored.append((overlap, i))
    scored.sort(key=lambda p: (-p[0], p[1]))
    return sorted(i for _, i in scored[:_MAX_FUZZY_STARTS])


def _required_tokens(span: str) -> set[str]:
    """Tokens a fuzzy window must contain: numbers, and capitalised words after the first
    (names), so that a changed figure or a swapped person is never grounded."""
    raw = _TOKEN_RE.findall(span)
    return {
        _stem(tok.casefold())
        for pos, tok in enumerate(raw)
        if any(c.isdigit() for c in tok) or (pos > 0 and tok[0].isupper())
    }


def _has_required(window: Sequence[str], required: set[str]) -> bool:
    """True when every required token is in the window; a name may be cut short ("Na" for
    "Nanji", a truncation common in these translations) but must keep 2+ chars."""
    present = set(window)
    for tok in required - present:
        if tok[0].isdigit() or not any(
            len(w) >= 2 and (tok.startswith(w) or w.startswith(tok)) for w in present
        ):
            return False
    return True


def _trim_to_blocks(
    blocks: Sequence[Match], n: int, min_len: int, threshold: float
) -> tuple[int, int] | None:
    """Best sub-window (start, end) of a window, cut at matching-block edges.

    Starts from first to last matching block and greedily drops edge blocks while the ratio
    2*M/(n + length) improves; None when no cut reaches the threshold and span coverage.
    """
    live = [blk for blk in blocks if blk.size]
    if not live:
        return None
    lo_k, hi_k = 0, len(live) - 1
    matched = sum(blk.size for blk in live)

    def ratio(first: int, last: int, m_count: int) -> float:
        length = live[last].a + live[last].size - live[first].a
        if length < min_len or m_count < threshold * n - 1e-9:
            return -1.0
        return 2 * m_count / (n + length)

    current = ratio(lo_k, hi_k, matched)
    while lo_k < hi_k:
        drop_first = ratio(lo_k + 1, hi_k, matched - live[lo_k].size)
        drop_last = ratio(lo_k, hi_k - 1, matched - live[hi_k].size)
        if max(drop_first, drop_last) <= current:
            break
        if drop_first >= drop_last:
            matched, lo_k, current = matched - live[lo_k].size, lo_k + 1, drop_first
        else:
            matched, hi_k, current = matched - live[hi_k].size, hi_k - 1, drop_last
    if current < threshold - 1e-9:
        return None
    return live[lo_k].a, live[hi_k].a + live[hi_k].size


def _fuzzy_candidates(span: str, text: str) -> list[tuple[float, int, int]]:
    """Non-overlapping (score, start, end) fuzzy matches at or above threshold, best first."""
    prep = _prepare(text)
    span_tokens = [t for t, _, _ in _fuzzy_tokens(span)]
    n = len(span_tokens)
    if n == 0 or not prep.tokens:
        return []
    lo, hi = _window_bounds(n)
    threshold = FUZZY_THRESHOLD if n >= FUZZY_MIN_TOKENS else 1.0
    need = math.ceil(threshold * (n + lo) / 2 - 1e-9)
    required = _required_tokens(span)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(span_tokens)
    found: list[tuple[float, int, int]] = []
    tried: set[tuple[int, int]] = set()
    for i in _candidate_starts(prep.tokens, span_tokens, hi, need):
        matcher.set_seq1(prep.tokens[i : i + hi])
        trim = _trim_to_blocks(matcher.get_matching_blocks(), n, lo, threshold)
        if trim is None or (i + trim[0], i + trim[1]) in tried:
            continue
        a, b = i + trim[0], i + trim[1]
        tried.add((a, b))
        window = prep.tokens[a:b]
        if not _has_required(window, required):
            continue
        matcher.set_seq1(window)  # re-score the trimmed window on its own
        score = matcher.ratio()
        matched = sum(block.size for block in matcher.get_matching_blocks())
        if score >= threshold - 1e-9 and matched >= threshold * n - 1e-9:
            found.append((score, a, b))
    found.sort(key=lambda c: (-c[0], abs((c[2] - c[1]) - n), c[1]))
    peaks: list[tuple[float, int, int]] = []
    for score, a, b in found:  # non-maximum suppression: keep the best of overlapping windows
        if all(b <= pa or a >= pb for _, pa, pb in peaks):
            peaks.append((score, a, b))
    spans = prep.token_spans
    return [
        (score, *_extend_punctuation(span, text, spans[a][0], spans[b - 1][1]))
        for score, a, b in peaks
    ]


def _found(text: str, rng: tuple[int, int], status: AlignmentStatus, score: float) -> Alignment:
    start, end = rng
    return Alignment(start, end, status, text[start:end], score)


def align(span: str, text: str, *, taken: Collection[tuple[int, int]] = (),
          fuzzy: bool = True) -> Alignment:
    """Find span in text: exact, then normalized, then (unless ``fuzzy`` is False) fuzzy
    (token windows), else none.

    Prefers the first occurrence that stands as whole words, then the first, whose (start, end)
    is not in `taken`, so repeated mentions map
    to successive occurrences; if every occurrence is taken, the first is reused. Fuzzy
    matches are ranked by score, best untaken first.
    """
    needle = span.strip()
    if not needle or not text:
        return NO_ALIGNMENT
    exact = _bounded_first([(i, i + len(needle)) for i in occurrences(needle, text)], text)
    free_exact = [r for r in exact if r not in taken]
    if free_exact:
        return _found(text, free_exact[0], "exact", 1.0)
    normalized = _bounded_first(_normalized_ranges(needle, text), text)
    free_norm = [r for r in normalized if r not in taken]
    if free_norm:  # (defensive: a verbatim range would already be in `exact`)
        start, end = free_norm[0]
        status: AlignmentStatus = "exact" if text[start:end] == needle else "normalized"
        return _found(text, (start, end), status, 1.0)
    if exact or normalized:
        return _found(text, (exact or normalized)[0], "exact" if exact else "normalized", 1.0)
    if not fuzzy:
        return NO_ALIGNMENT
    candidates = _fuzzy_candidates(needle, text)
    best = _pick([(a, b) for _, a, b in candidates], taken)
    if best is None:
        return NO_ALIGNMENT
    score, start, end = candidates[best]
    return _found(text, (start, end), "fuzzy", round(score, 4))


def align_many(spans: Sequence[str], text: str) -> list[Alignment]:
    """Align spans in order; identical spans repeated map to successive occurrences."""
    taken: set[tuple[int, int]] = set()
    result: list[Alignment] = []
    for span in spans:
        alignment = align(span, text, taken=taken)
        if alignment.start is not None and alignment.end is not None:
            taken.add((alignment.start, alignment.end))
        result.append(alignment)
    return result
