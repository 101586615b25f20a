"""Score predicted article exports against gold exports.

Both sides are dicts in the export shape of the extraction contract
(``article_id, title, published, place, meetings, officials, initiatives,
targets, repairs`` and optionally ``repaired_text``). Articles are paired by
``article_id``; a gold article without a prediction counts as all false
negatives, a prediction without a gold article is ignored (listed in
``EvalReport.articles_extra``).

Matching
--------
Per article and record type, gold and predicted records are matched one to
one. Each type has a *match predicate* (below) plus a secondary similarity in
[0, 1]. The assignment first maximises the number of matched pairs, then the
summed similarity (Hungarian algorithm on ``1 + sim / (k + 1)``), so a greedy
mistake can never cost a match. Matched pairs are TP, unmatched predictions FP,
unmatched gold FN. A record that is not a dict, or lacks the keys a rule needs,
simply never matches.

Text normalisation: casefold, curly quotes -> straight, dashes -> ``-``,
whitespace collapsed. A *key* additionally drops punctuation, the stopwords
the/of/and/a/an/to/for and possessive ``s``, and singularises simple plurals
(``chains`` -> ``chain``, ``cities`` -> ``city``). Two *spans overlap* when,
after normalisation, one word sequence contains the other, or their content
words (minor stopwords removed) share >= 50 % of the shorter span's words, at
least two of them, and the spans share at least one adjacent word pair. The two
guards keep e.g. "Xinbreui Technology" from matching every span that mentions
"technology": evidence is verbatim, so truly overlapping spans share a run.

- **officials**: a name form is the name or any mention, with punctuation and
  title words (Secretary, Mayor, Vice, Deputy, Director, Comrade, ...) removed
  and spaces ignored. Match if any predicted form equals any gold form, or one
  is a truncation of the other (same surname = first token, one given name a
  prefix of the other, >= 1 char: "Xu Na" ~ "Xu Nanji").
  Fields: ``title``, ``organization`` (token Dice >= 0.5 after keying, with
  vice == deputy).
- **initiatives**: name keys equal, or any predicted name/mention key equals
  any gold name/mention key, or name-key token Jaccard >= 0.6.
  Fields: ``level``, ``period`` (normalised exact; spaces around ``-`` dropped).
- **targets**: same unit family, same magnitude, and (evidence spans overlap or
  metric-key Jaccard >= 0.3). Families: currency (yuan/RMB/CNY), percent (%,
  percent, pct), percentage points, rank (rank, place, top), count (projects,
  enterprises, items, units, ... or no unit), tons (tons, tons of standard
  coal: the qualifier is often dropped), else other-by-normalised-string.
  Magnitude = value x unit scale within relative tolerance 1e-6, so 600
  "billion yuan" == 6000 "hundred million yuan" == 6000 "100 million yuan".
  Scale words: ten, hundred, thousand, million, billion, trillion, wan, yi, and
  numbers that are powers of ten (other numbers such as years are ignored). A
  string value like "600 billion" lends its words to a unit lacking them; an
  unparseable value never matches. Fields: ``kind``, ``comparator`` (``≥`` and
  ``=>`` read as ``>=``, etc.), ``period`` (exact after normalisation: "by
  2024" != "2024"), ``region`` (equal, or one word sequence contains the other).
- **meetings**: both dates non-null and equal after ISO normalisation (or one a
  prefix of the other when the shorter has at least year-month), or name-key
  Jaccard >= 0.5, or evidence spans overlap. Fields: ``kind`` (normalised
  exact), ``date`` (normalised ISO, exact).
- **repairs**: ``original`` spans overlap. Field: ``category``.

A field counts as correct when both sides are empty/null. Field accuracy is
reported only for fields with at least one matched pair.

Scores
------
Precision/recall/F1 are 0.0 when undefined, except that a cell with neither
gold nor predicted records scores 1.0. Aggregates are micro (summed counts);
``EvalReport.micro.field_accuracy`` keys are ``"<type>.<field>"``.
``articles_scored`` counts gold articles that had a prediction; missing ones
still appear in ``per_article``. ``chrf`` returns 0..100 (sacreBLEU convention)
and ``repaired_text_chrf`` is its mean over articles where both sides have text.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORD_TYPES = ("meetings", "officials", "initiatives", "targets", "repairs")
TABLE_HEADER = ["type", "gold", "pred", "tp", "P", "R", "F1"]

# --------------------------------------------------------------------------- text

_TRANSLATE = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\uff05": "%",
    }
)
_WORD_RE = re.compile(r"[^\W_]+")


def _wordset(text: str) -> frozenset[str]:
    """A frozenset of the space-separated words in ``text``."""
    return frozenset(text.split())


KEY_STOPWORDS = frozenset({"the", "of", "and", "a", "an", "to", "for", "s"})
_SPAN_STOPWORDS = KEY_STOPWORDS | _wordset("in on at by with is be was will its this that as")
_TITLE_WORDS = _wordset(
    "secretary mayor vice deputy director comrade party general executive governor "
    "chairman chairwoman chief head minister president mr mrs ms dr"
)
_SYNONYMS = {"vice": "deputy"}


def _norm(value: Any) -> str:
    """Casefold, straighten quotes/dashes and collapse whitespace."""
    if value is None:
        return ""
    return " ".join(str(value).translate(_TRANSLATE).casefold().split())


def _words(value: Any) -> list[str]:
    """Alphanumeric words of the normalised text."""
    return _WORD_RE.findall(_norm(value))


def _singular(word: str) -> str:
    """Strip a simple English plural ending."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def _key_tokens(value: Any) -> list[str]:
    """Words without key stopwords, singularised."""
    return [_singular(w) for w in _words(value) if w not in KEY_STOPWORDS]


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
        words = tuple(_words(value))
        content = frozenset(_singular(w) for w in words if w not in _SPAN_STOPWORDS)
        stems = [_singular(w) for w in words]
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


# --------------------------------------------------------------------------- quantities

_SCALE_WORDS = {
    "ten": 10.0,
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "wan": 1e4,
    "yi": 1e8,
}
_UNIT_TOKEN_RE = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+|[%¥$]")
_VALUE_RE = re.compile(
    r"^[~<>=≈≥≤\s]*([-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?)(.*)$", re.S | re.I
)
_CJK_UNITS = str.maketrans({"亿": " yi ", "万": " wan ", "元": " yuan "})
_POINT_WORDS = frozenset({"point", "points", "pt", "pts"})
_PCT_WORDS = frozenset({"%", "percent", "percentage", "pct"})
_CURRENCY_WORDS = frozenset({"yuan", "rmb", "cny", "renminbi", "¥"})
_DOLLAR_WORDS = frozenset({"usd", "dollar", "dollars", "$"})
_TON_WORDS = frozenset({"ton", "tons", "tonne", "tonnes", "tce"})
_RANK_WORDS = frozenset({"rank", "ranking", "ranked", "place", "position", "top"})
_COUNT_NOUNS = _wordset(
    "project enterprise company firm item unit piece set platform park base center "
    "centre factory workshop household person people talent patent product case "
    "scenario line site institution organization zone cluster chain school job "
    "number count individual ge jia xiang"
)


Quantity = tuple[str, float, str]


def _coerce_value(value: Any) -> tuple[float | None, str]:
    """Number and trailing text of a value (``"600 billion"`` -> ``(600.0, "billion")``)."""
    if isinstance(value, bool):
        return None, ""
    if isinstance(value, int | float):
        number = float(value)
        return (number, "") if math.isfinite(number) else (None, "")
    if not isinstance(value, str):
        return None, ""
    match = _VALUE_RE.match(value.translate(_TRANSLATE).strip())
    if not match:
        return None, ""
    number = float(match.group(1).replace(",", ""))
    return (number, match.group(2)) if math.isfinite(number) else (None, "")


def _power_of_ten(token: str) -> float:
    """``"100"`` -> 100.0, ``"10,000"`` -> 10000.0; other numbers (years...) -> 1.0."""
    number = float(token.replace(",", ""))
    return number if 0 < number < 1e30 and re.fullmatch(r"10*", f"{number:.0f}") else 1.0


def _unit_tokens(unit: str) -> tuple[float, list[str]]:
    """Split a unit string into its scale factor and its remaining words."""
    scale, rest = 1.0, []
    for token in _UNIT_TOKEN_RE.findall(_norm(unit).translate(_CJK_UNITS)):
        if token[0].isdecimal():
            scale *= _power_of_ten(token)
        elif token in _SCALE_WORDS:
            scale *= _SCALE_WORDS[token]
        else:
            rest.append(token)
    return scale, rest


def _unit_family(words: list[str]) -> str:
    """Unit family of the non-scale words of a unit."""
    present = set(words)
    singular = {_singular(w) for w in present}
    is_pct = bool(present & _PCT_WORDS) or {"per", "cent"} <= present
    if "per" in present and not is_pct:
        return "other:" + " ".join(sorted(singular))
    points = present & _POINT_WORDS and (is_pct or present <= _POINT_WORDS)
    if points or present & {"pp", "ppt", "ppts"}:
        return "percentage points"
    if is_pct:
        return "percent"
    if present & _CURRENCY_WORDS:
        return "currency"
    if present & _DOLLAR_WORDS:
        return "currency:usd"
    if present & _TON_WORDS or {"standard", "coal"} <= present:
        return "tons"
    if present & _RANK_WORDS:
        return "rank"
    if singular & _COUNT_NOUNS or not singular - KEY_STOPWORDS:
        return "count"
    return "other:" + " ".join(sorted(singular - KEY_STOPWORDS))


def normalize_quantity(value: Any, unit: Any) -> Quantity | None:
    """``(family, magnitude, unit label)`` of a value/unit pair, or None if unusable.

    ``normalize_quantity(600, "billion yuan")`` -> ``("currency", 6e11, ...)``. Text
    after a string value ("600 billion") is used only for what the unit lacks.
    """
    number, trailing = _coerce_value(value)
    if number is None:
        return None
    unit_scale, unit_words = _unit_tokens(unit if isinstance(unit, str) else "")
    value_scale, value_words = _unit_tokens(trailing)
    scale = unit_scale if unit_scale != 1.0 else value_scale
    words = unit_words or value_words
    family = _unit_family(words)
    return family, number * scale, f"{family}|{' '.join(words)}|{scale:g}"


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
    return [w for w in _words(name) if w not in _TITLE_WORDS and w != "s"]


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
    match = _DATE_RE.match(_norm(value)) if isinstance(value, str | int) else None
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
        return _norm(_text(gold, key)) == _norm(_text(pred, key))

    return check


def _period(gold: dict, pred: dict) -> bool:
    """Normalised exact match, ignoring spaces around dashes."""

    def clean(record: dict) -> str:
        return re.sub(r"\s*-\s*", "-", _norm(_text(record, "period")))

    return clean(gold) == clean(pred)


def _lenient_tokens(key: str) -> FieldCheck:
    def check(gold: dict, pred: dict) -> bool:
        a, b = _text(gold, key).strip(), _text(pred, key).strip()
        empty = _both_or_neither(a, b)
        if empty is not None:
            return empty
        ta = frozenset(_SYNONYMS.get(t, t) for t in _key_tokens(a))
        tb = frozenset(_SYNONYMS.get(t, t) for t in _key_tokens(b))
        return _norm(a) == _norm(b) or _dice(ta, tb) >= 0.5

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
        value = _norm(_text(record, "comparator")).replace(" ", "")
        return _COMPARATORS.get(value, value)

    return clean(gold) == clean(pred)


def _region(gold: dict, pred: dict) -> bool:
    """Equal, or one region's word sequence contains the other's."""
    a, b = _words(_text(gold, "region")), _words(_text(pred, "region"))
    return a == b or _contains_words(a, b)


def _date(gold: dict, pred: dict) -> bool:
    a, b = _norm_date(gold.get("date")), _norm_date(pred.get("date"))
    if a is None and b is None:
        return _norm(_text(gold, "date")) == _norm(_text(pred, "date"))
    return a == b


@dataclass(frozen=True)
class _Matcher:
    prepare: Callable[[dict], Any]
    compare: Callable[[Any, Any], float | None]
    fields: dict[str, FieldCheck]


_MATCHERS: dict[str, _Matcher] = {
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
    matcher = _MATCHERS[record_type]
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


# --------------------------------------------------------------------------- scores


def _ratio(num: int, den: int, empty: float) -> float:
    return num / den if den else empty


@dataclass
class TypeScore:
    """TP/FP/FN counts for one record type, plus field accuracy on matched pairs."""

    record_type: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    field_correct: dict[str, int] = field(default_factory=dict)
    field_total: dict[str, int] = field(default_factory=dict)

    @property
    def gold_count(self) -> int:
        return self.tp + self.fn

    @property
    def pred_count(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp, 1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn, 1.0 if self.fp == 0 else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def field_accuracy(self) -> dict[str, float]:
        """Share of matched pairs with each field correct (fields with pairs only)."""
        return {k: self.field_correct.get(k, 0) / n for k, n in self.field_total.items() if n}

    def add(self, other: TypeScore, prefix: str = "") -> None:
        """Accumulate another score's counts in place (field names get ``prefix``)."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        for name, total in other.field_total.items():
            key, correct = prefix + name, other.field_correct.get(name, 0)
            self.field_total[key] = self.field_total.get(key, 0) + total
            self.field_correct[key] = self.field_correct.get(key, 0) + correct

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_type": self.record_type,
            "gold": self.gold_count,
            "pred": self.pred_count,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "field_accuracy": self.field_accuracy,
        }

    def row(self, label: str | None = None) -> list[str]:
        """Table row: type, gold, pred, tp, P, R, F1."""
        numbers = (self.precision, self.recall, self.f1)
        counts = (self.gold_count, self.pred_count, self.tp)
        return [label or self.record_type, *map(str, counts), *(f"{x:.3f}" for x in numbers)]


@dataclass
class EvalReport:
    """Scores over a set of articles (micro-averaged)."""

    per_type: dict[str, TypeScore]
    micro: TypeScore
    per_article: dict[str, dict[str, TypeScore]]
    repaired_text_chrf: float | None
    articles_scored: int
    articles_missing: list[str]
    articles_extra: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "articles_scored": self.articles_scored,
            "articles_missing": list(self.articles_missing),
            "articles_extra": list(self.articles_extra),
            "repaired_text_chrf": self.repaired_text_chrf,
            "micro": self.micro.to_dict(),
            "per_type": {t: s.to_dict() for t, s in self.per_type.items()},
            "per_article": {
                a: {t: s.to_dict() for t, s in scores.items()}
                for a, scores in self.per_article.items()
            },
        }

    def table_rows(self) -> list[list[str]]:
        """Rows (see ``TABLE_HEADER``): one per record type, then "micro"."""
        rows = [self.per_type[t].row() for t in RECORD_TYPES if t in self.per_type]
        return [*rows, self.micro.row("micro")]


# --------------------------------------------------------------------------- chrF


def _char_ngrams(text: str, n: int) -> Counter[str]:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def chrf(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    """Sentence chrF on a 0..100 scale (sacreBLEU default: whitespace removed, case kept).

    Character n-gram precision and recall for orders 1..n are averaged over the
    orders both strings are long enough for, then combined as F-beta. Two empty
    strings score 100, one empty string scores 0.
    """
    hyp = "".join(str(hypothesis or "").split())
    ref = "".join(str(reference or "").split())
    if not hyp or not ref:
        return 100.0 if hyp == ref else 0.0
    precisions, recalls = [], []
    for order in range(1, n + 1):
        h, r = _char_ngrams(hyp, order), _char_ngrams(ref, order)
        if not h or not r:
            continue
        matches = sum((h & r).values())
        precisions.append(matches / h.total())
        recalls.append(matches / r.total())
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    b2 = beta * beta
    return 100.0 * (1 + b2) * p * r / (b2 * p + r)


# --------------------------------------------------------------------------- scoring


def _records(article: dict, record_type: str) -> list[dict]:
    """Records of one type; non-dict items become ``{}`` (they never match)."""
    value = article.get(record_type)
    if not isinstance(value, list | tuple):
        return []
    return [r if isinstance(r, dict) else {} for r in value]


def score_type(record_type: str, gold: dict, pred: dict) -> TypeScore:
    """Score one record type of one article."""
    gold_records, pred_records = _records(gold, record_type), _records(pred, record_type)
    pairs = match_records(record_type, gold_records, pred_records)
    result = TypeScore(
        record_type,
        tp=len(pairs),
        fp=len(pred_records) - len(pairs),
        fn=len(gold_records) - len(pairs),
    )
    for name, check in _MATCHERS[record_type].fields.items():
        correct = sum(bool(check(gold_records[g], pred_records[p])) for g, p in pairs)
        result.field_total[name] = len(pairs)
        result.field_correct[name] = correct
    return result


def _article_id(article: Any) -> str | None:
    if not isinstance(article, dict):
        return None
    value = article.get("article_id")
    return str(value) if value not in (None, "") else None


def _index_predictions(predictions: Iterable[Any]) -> dict[str, dict]:
    """Predictions by article id; items without an id are skipped, the last duplicate wins."""
    return {aid: p for p in predictions if (aid := _article_id(p)) is not None}


def _repaired_chrf(gold: dict, pred: dict) -> float | None:
    reference, hypothesis = gold.get("repaired_text"), pred.get("repaired_text")
    if isinstance(reference, str) and isinstance(hypothesis, str) and reference and hypothesis:
        return chrf(hypothesis, reference)
    return None


def score(predictions: Sequence[dict], gold: Sequence[dict]) -> EvalReport:
    """Score predicted exports against gold exports, paired by ``article_id``.

    Raises ValueError if a gold article has no id or an id occurs twice in gold.
    """
    by_id = _index_predictions(predictions)
    per_article: dict[str, dict[str, TypeScore]] = {}
    missing: list[str] = []
    chrf_scores: list[float] = []
    for gold_article in gold:
        aid = _article_id(gold_article)
        if aid is None or aid in per_article:
            raise ValueError(f"gold article without a unique article_id: {aid!r}")
        pred_article = by_id.get(aid)
        if pred_article is None:
            missing.append(aid)
            pred_article = {}
        per_article[aid] = {t: score_type(t, gold_article, pred_article) for t in RECORD_TYPES}
        if (value := _repaired_chrf(gold_article, pred_article)) is not None:
            chrf_scores.append(value)
    per_type = {t: TypeScore(t) for t in RECORD_TYPES}
    micro = TypeScore("micro")
    for scores in per_article.values():
        for record_type, type_score in scores.items():
            per_type[record_type].add(type_score)
            micro.add(type_score, prefix=f"{record_type}.")
    return EvalReport(
        per_type=per_type,
        micro=micro,
        per_article=per_article,
        repaired_text_chrf=sum(chrf_scores) / len(chrf_scores) if chrf_scores else None,
        articles_scored=len(per_article) - len(missing),
        articles_missing=missing,
        articles_extra=sorted(set(by_id) - set(per_article)),
    )


def load_gold(directory: Path) -> list[dict]:
    """Load gold articles from ``*.json`` (one object or a list) and ``*.jsonl`` files.

    Files are read in name order; an object without ``article_id`` gets the file stem.
    """
    articles: list[dict] = []
    for path in sorted(Path(directory).iterdir()):
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            items = data if isinstance(data, list) else [data]
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            items = [json.loads(line) for line in lines if line.strip()]
        else:
            continue
        for item in items:
            if isinstance(item, dict):
                articles.append(item if "article_id" in item else {"article_id": path.stem, **item})
    return articles
