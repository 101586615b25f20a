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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.errors import EvaluationError
from extractor.evaluation.matching import MATCHERS, match_records
from extractor.models import RECORD_TABLES
from extractor.text.placenames import same_place

RECORD_TYPES = RECORD_TABLES  # scored in the registry's order
TABLE_HEADER = ["type", "gold", "pred", "tp", "P", "R", "F1"]


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
    place_right: dict[str, bool] = field(default_factory=dict)  # gold articles with a place
    original_text_chrf: float | None = None  # the unrepaired text against the gold rewrite

    @property
    def place_accuracy(self) -> float | None:
        """Share of scored articles whose place is right (None: no gold place)."""
        return sum(self.place_right.values()) / len(self.place_right) if self.place_right else None

    @property
    def repair_chrf_gain(self) -> float | None:
        """chrF of the repaired text minus chrF of the original text (same articles)."""
        if self.repaired_text_chrf is None or self.original_text_chrf is None:
            return None
        return self.repaired_text_chrf - self.original_text_chrf

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "articles_scored": self.articles_scored,
            "articles_missing": list(self.articles_missing),
            "articles_extra": list(self.articles_extra),
            "repaired_text_chrf": self.repaired_text_chrf,
            "original_text_chrf": self.original_text_chrf,
            "repair_chrf_gain": self.repair_chrf_gain,
            "place_right": sum(self.place_right.values()),
            "place_scored": len(self.place_right),
            "place_accuracy": self.place_accuracy,
            "place_per_article": dict(self.place_right),
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
    for name, check in MATCHERS[record_type].fields.items():
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


def _text_chrf(gold: dict, hypothesis: Any) -> float | None:
    reference = gold.get("repaired_text")
    if isinstance(reference, str) and isinstance(hypothesis, str) and reference and hypothesis:
        return chrf(hypothesis, reference)
    return None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score(predictions: Sequence[dict], gold: Sequence[dict],
          originals: Mapping[str, str] | None = None) -> EvalReport:
    """Score predicted exports against gold exports, paired by ``article_id``.

    ``originals`` (article id -> unrepaired text) lets the report say how much closer to the
    gold rewrite the repaired text is than the original, over the same articles. The article's
    place is scored on the articles with a prediction and a gold place.

    Raises ValueError if a gold article has no id or an id occurs twice in gold.
    """
    by_id = _index_predictions(predictions)
    per_article: dict[str, dict[str, TypeScore]] = {}
    missing: list[str] = []
    chrf_scores: list[float] = []
    original_scores: list[float] = []
    place_right: dict[str, bool] = {}
    for gold_article in gold:
        aid = _article_id(gold_article)
        if aid is None or aid in per_article:
            raise ValueError(f"gold article without a unique article_id: {aid!r}")
        pred_article = by_id.get(aid)
        if pred_article is None:
            missing.append(aid)
            pred_article = {}
        per_article[aid] = {t: score_type(t, gold_article, pred_article) for t in RECORD_TYPES}
        if aid in by_id and gold_article.get("place"):
            place_right[aid] = same_place(gold_article["place"], pred_article.get("place"))
        if (value := _text_chrf(gold_article, pred_article.get("repaired_text"))) is not None:
            original = _text_chrf(gold_article, (originals or {}).get(aid))
            if originals is None or original is not None:
                chrf_scores.append(value)
                original_scores.extend([original] if original is not None else [])
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
        repaired_text_chrf=_mean(chrf_scores),
        original_text_chrf=_mean(original_scores),
        place_right=place_right,
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
        try:
            if path.suffix == ".json":
                data = json.loads(path.read_text(encoding="utf-8"))
                items = data if isinstance(data, list) else [data]
            elif path.suffix == ".jsonl":
                lines = path.read_text(encoding="utf-8").splitlines()
                items = [json.loads(line) for line in lines if line.strip()]
            else:
                continue
        except (ValueError, UnicodeDecodeError) as err:
            raise EvaluationError(f"gold file {path} is not valid JSON: {err}") from err
        for item in items:
            if isinstance(item, dict):
                articles.append(item if "article_id" in item else {"article_id": path.stem, **item})
    if not articles:
        raise EvaluationError(f"no gold article (*.json or *.jsonl) in {directory}: "
                              "nothing to score against")
    return articles
