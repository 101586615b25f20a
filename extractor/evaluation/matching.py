"""Matching predicted records to gold records, one to one: per record type, how two records
are compared (names, truncations, quantities, spans, dates), the field checks on matched
pairs, and the maximum-weight assignment (Hungarian). The rules are documented in
``extractor.evaluation.evaluate``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.text.magnitudes import (
    KEY_STOPWORDS,
    Quantity,
    fold_text,
    normalize_quantity,
    singular,
    text_words,
    wordset,
)

TABLE_HEADER = ["type", "gold", "pred", "tp", "P", "R", "F1"]

# --------------------------------------------------------------------------- text

_SPAN_STOPWORDS = KEY_STOPWORDS | wordset("in on at by with is be was will its this that as")
_TITLE_WORDS = wordset(
    "secretary mayor vice deputy director comrade party general executive governor "
    "chairman chairwoman chief head minister president mr mrs ms dr"
)
_SYNONYMS = {"vice": "deputy"}




def _key_tokens(value: Any) -> list[str]:
    """Words without key stopwords, singularised."""
    return [singular(w) for w in text_words(value) if w not in KEY_STOPWORDS]


def _key(value: Any) -> str:
    """Normalised name key: "Four Groups and Eight Chains" -> "four group eight chain"."""
    return " ".join(_key_tokens(value))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Token-set Jaccard; 0.0 when both are empty."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Token-set Dice coefficient; 0.0 when both are empty."""
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


def _contains_words(a: Sequence[str], b: Sequence[str]) -> bool:
    """True if one word sequence occurs inside the other."""
    if not a or not b:
        return False
    sa, sb = f" {' '.join(a)} ", f" {' '.join(b)} "
    return sa in sb or sb in sa


def _text(record: dict, key: str) -> str:
    """A string field, tolerating absent, null and numeric values."""
    value = record.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _texts(record: dict, key: str) -> list[str]:
    """A list-of-strings field (a bare string counts as a one-item list)."""
    value = record.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


# --------------------------------------------------------------------------- spans


@dataclass(frozen=True)
class _Span:
    words: tuple[str, ...]
    content: frozenset[str]
    bigrams: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, value: Any) -> _Span:
        words = tuple(text_words(value))
        content = frozenset(singular(w) for w in words if w not in _SPAN_STOPWORDS)
        stems = [singular(w) for w in words]
        return cls(words, content, frozenset(zip(stems, stems[1:], strict=False)))

    def overlaps(self, other: _Span) -> bool:
        """Containment, or a shared word pair and content overlap >= 50 % of the shorter."""
        if _contains_words(self.words, other.words):
            return True
        if not self.bigrams & other.bigrams:
            return False
        shared = len(self.content & other.content)
        shorter = min(len(self.content), len(other.content))
        return shared >= 2 and shared / shorter >= 0.5

    def similarity(self, other: _Span) -> float:
        """Dice similarity of content words (secondary score)."""
        if self.words and self.words == other.words:
            return 1.0
        return _dice(self.content, other.content)


# --------------------------------------------------------------------------- record features


@dataclass(frozen=True)
class _OfficialF:
    canonical: str
    forms: frozenset[str]
    splits: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _InitiativeF:
    name_key: str
    name_tokens: frozenset[str]
    form_keys: frozenset[str]


@dataclass(frozen=True)
class _TargetF:
    quantity: Quantity | None
    metric: frozenset[str]
    evidence: _Span


@dataclass(frozen=True)
class _MeetingF:
    date: str | None
    name_tokens: frozenset[str]
    evidence: _Span


def _name_tokens(name: str) -> list[str]:
    """Words of a person's name without titles or possessives."""
    return [w for w in text_words(name) if w not in _TITLE_WORDS and w != "s"]


def _prepare_official(record: dict) -> _OfficialF:
    token_lists = [_name_tokens(n) for n in [_text(record, "name"), *_texts(record, "mentions")]]
    token_lists = [t for t in token_lists if t]
    canonical = "".join(_name_tokens(_text(record, "name")))
    forms = frozenset("".join(t) for t in token_lists)
    splits = frozenset((t[0], "".join(t[1:])) for t in token_lists if len(t) >= 2)
    return _OfficialF(canonical, forms, splits)


def _is_truncation(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Same surname and one given name is a prefix of the other."""
    return a[0] == b[0] and (a[1].startswith(b[1]) or b[1].startswith(a[1]))


def _compare_officials(gold: _OfficialF, pred: _OfficialF) -> float | None:
    if gold.canonical and gold.canonical == pred.canonical:
        return 1.0
    if gold.forms & pred.forms:
        return 0.9
    if any(_is_truncation(g, p) for g in gold.splits for p in pred.splits):
        return 0.6
    return None


def _prepare_initiative(record: dict) -> _InitiativeF:
    name = _text(record, "name")
    keys = {_key(n) for n in [name, *_texts(record, "mentions")]}
    keys.discard("")
    return _InitiativeF(_key(name), frozenset(_key_tokens(name)), frozenset(keys))


def _compare_initiatives(gold: _InitiativeF, pred: _InitiativeF) -> float | None:
    if gold.name_key and gold.name_key == pred.name_key:
        return 1.0
    if gold.form_keys & pred.form_keys:
        return 0.9
    similarity = _jaccard(gold.name_tokens, pred.name_tokens)
    return similarity if similarity >= 0.6 else None


def _prepare_target(record: dict) -> _TargetF:
    quantity = normalize_quantity(record.get("value"), record.get("unit"))
    metric = frozenset(_key_tokens(_text(record, "metric")))
    return _TargetF(quantity, metric, _Span.of(_text(record, "evidence")))


def _same_quantity(a: Quantity, b: Quantity) -> bool:
    """Same unit family and magnitude within relative tolerance 1e-6."""
    return a[0] == b[0] and math.isclose(a[1], b[1], rel_tol=1e-6, abs_tol=1e-12)


def _compare_targets(gold: _TargetF, pred: _TargetF) -> float | None:
    gq, pq = gold.quantity, pred.quantity
    if gq is None or pq is None or not _same_quantity(gq, pq):
        return None
    metric_sim = _jaccard(gold.metric, pred.metric)
    if not (metric_sim >= 0.3 or gold.evidence.overlaps(pred.evidence)):
        return None
    same_unit = float(gq[2] == pq[2])
    return 0.5 * metric_sim + 0.3 * gold.evidence.similarity(pred.evidence) + 0.2 * same_unit


_DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


def _norm_date(value: Any) -> str | None:
    """ISO-style date prefix ("2024-7-22" -> "2024-07-22"), or None."""
    match = _DATE_RE.match(fold_text(value)) if isinstance(value, str | int) else None
    if not match:
        return None
    year, month, day = match.groups()
    parts = [year]
    if month and 1 <= int(month) <= 12:
        parts.append(f"{int(month):02d}")
        if day and 1 <= int(day) <= 31:
            parts.append(f"{int(day):02d}")
    return "-".join(parts)


def _dates_match(a: str | None, b: str | None) -> bool:
    """Equal dates, or prefix-compatible when the shorter has a month."""
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return a == b or (len(shorter) >= 7 and longer.startswith(shorter))


def _prepare_meeting(record: dict) -> _MeetingF:
    name_tokens = frozenset(_key_tokens(_text(record, "name")))
    evidence = _Span.of(_text(record, "evidence"))
    return _MeetingF(_norm_date(record.get("date")), name_tokens, evidence)


def _compare_meetings(gold: _MeetingF, pred: _MeetingF) -> float | None:
    same_date = _dates_match(gold.date, pred.date)
    name_sim = _jaccard(gold.name_tokens, pred.name_tokens)
    if not (same_date or name_sim >= 0.5 or gold.evidence.overlaps(pred.evidence)):
        return None
    return 0.4 * name_sim + 0.3 * gold.evidence.similarity(pred.evidence) + 0.3 * same_date


def _prepare_repair(record: dict) -> _Span:
    return _Span.of(_text(record, "original"))


def _compare_repairs(gold: _Span, pred: _Span) -> float | None:
    return gold.similarity(pred) if gold.overlaps(pred) else None


# --------------------------------------------------------------------------- field checks

FieldCheck = Callable[[dict, dict], bool]


def _both_or_neither(a: str, b: str) -> bool | None:
    """True/False when one or both sides are empty, None when both are filled."""
    if not a or not b:
        return not a and not b
    return None


def _exact(key: str) -> FieldCheck:
    def check(gold: dict, pred: dict) -> bool:
        return fold_text(_text(gold, key)) == fold_text(_text(pred, key))

    return check


def _period(gold: dict, pred: dict) -> bool:
    """Normalised exact match, ignoring spaces around dashes."""

    def clean(record: dict) -> str:
        return re.sub(r"\s*-\s*", "-", fold_text(_text(record, "period")))

    return clean(gold) == clean(pred)


def _lenient_tokens(key: str) -> FieldCheck:
    def check(gold: dict, pred: dict) -> bool:
        a, b = _text(gold, key).strip(), _text(pred, key).strip()
        empty = _both_or_neither(a, b)
        if empty is not None:
            return empty
        ta = frozenset(_SYNONYMS.get(t, t) for t in _key_tokens(a))
        tb = frozenset(_SYNONYMS.get(t, t) for t in _key_tokens(b))
        return fold_text(a) == fold_text(b) or _dice(ta, tb) >= 0.5

    return check


_COMPARATORS = {
    "≥": ">=",
    "=>": ">=",
    "≤": "<=",
    "=<": "<=",
    "==": "=",
    "≈": "~",
    "about": "~",
    "approx": "~",
    "approximately": "~",
    "≒": "~",
}


def _comparator(gold: dict, pred: dict) -> bool:
    def clean(record: dict) -> str:
        value = fold_text(_text(record, "comparator")).replace(" ", "")
        return _COMPARATORS.get(value, value)

    return clean(gold) == clean(pred)


def _region(gold: dict, pred: dict) -> bool:
    """Equal, or one region's word sequence contains the other's."""
    a, b = text_words(_text(gold, "region")), text_words(_text(pred, "region"))
    return a == b or _contains_words(a, b)


def _date(gold: dict, pred: dict) -> bool:
    a, b = _norm_date(gold.get("date")), _norm_date(pred.get("date"))
    if a is None and b is None:
        return fold_text(_text(gold, "date")) == fold_text(_text(pred, "date"))
    return a == b


@dataclass(frozen=True)
class _Matcher:
    prepare: Callable[[dict], Any]
    compare: Callable[[Any, Any], float | None]
    fields: dict[str, FieldCheck]


MATCHERS: dict[str, _Matcher] = {
    "meetings": _Matcher(
        _prepare_meeting, _compare_meetings, {"kind": _exact("kind"), "date": _date}
    ),
    "officials": _Matcher(
        _prepare_official,
        _compare_officials,
        {"title": _lenient_tokens("title"), "organization": _lenient_tokens("organization")},
    ),
    "initiatives": _Matcher(
        _prepare_initiative, _compare_initiatives, {"level": _exact("level"), "period": _period}
    ),
    "targets": _Matcher(
        _prepare_target,
        _compare_targets,
        {
            "kind": _exact("kind"),
            "comparator": _comparator,
            "period": _period,
            "region": _region,
        },
    ),
    "repairs": _Matcher(_prepare_repair, _compare_repairs, {"category": _exact("category")}),
}

# --------------------------------------------------------------------------- assignment


def _max_weight_assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one assignment (Hungarian); pairs of weight <= 0 are dropped."""
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    if not rows or not cols:
        return []
    transposed = rows > cols
    matrix = [list(c) for c in zip(*weights, strict=True)] if transposed else weights
    pairs = _hungarian([[-w for w in row] for row in matrix])
    pairs = [(i, j) for i, j in pairs if matrix[i][j] > 0]
    return [(j, i) for i, j in pairs] if transposed else pairs


def _hungarian(cost: list[list[float]]) -> list[tuple[int, int]]:
    """Minimum-cost assignment of every row (rows <= columns), O(n^2 m)."""
    n, m = len(cost), len(cost[0])
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)
    for row in range(1, n + 1):
        owner[0], col0 = row, 0
        min_v, used = [math.inf] * (m + 1), [False] * (m + 1)
        while owner[col0]:
            used[col0] = True
            row0, delta, col1 = owner[col0], math.inf, 0
            for col in range(1, m + 1):
                if used[col]:
                    continue
                reduced = cost[row0 - 1][col - 1] - u[row0] - v[col]
                if reduced < min_v[col]:
                    min_v[col], way[col] = reduced, col0
                if min_v[col] < delta:
                    delta, col1 = min_v[col], col
            for col in range(m + 1):
                if used[col]:
                    u[owner[col]] += delta
                    v[col] -= delta
                else:
                    min_v[col] -= delta
            col0 = col1
        while col0:
            col1 = way[col0]
            owner[col0] = owner[col1]
            col0 = col1
    return [(owner[c] - 1, c - 1) for c in range(1, m + 1) if owner[c]]


def match_records(
    record_type: str, gold: Sequence[dict], pred: Sequence[dict]
) -> list[tuple[int, int]]:
    """One-to-one matched ``(gold index, pred index)`` pairs for one record type."""
    matcher = MATCHERS[record_type]
    gold_f = [matcher.prepare(r) for r in gold]
    pred_f = [matcher.prepare(r) for r in pred]
    bonus_scale = min(len(gold), len(pred)) + 1
    weights = []
    for g in gold_f:
        row = []
        for p in pred_f:
            sim = matcher.compare(g, p)
            row.append(0.0 if sim is None else 1.0 + max(0.0, min(sim, 1.0)) / bonus_scale)
        weights.append(row)
    return sorted(_max_weight_assignment(weights))
