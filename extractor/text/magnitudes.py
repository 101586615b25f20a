"""A value and its unit as a unit family and a magnitude in base units.

``normalize_quantity(600, "billion yuan")`` gives ``("currency", 6e11, ...)``: the production
rules compare the model's targets with the text's quantities through it, and the scorer matches
targets with it. Also the word helpers both use (folding, words, plurals).
"""

from __future__ import annotations

import math
import re
from typing import Any

from extractor.text.numbers import SCALE_WORDS

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


def wordset(text: str) -> frozenset[str]:
    """A frozenset of the space-separated words in ``text``."""
    return frozenset(text.split())


KEY_STOPWORDS = frozenset({"the", "of", "and", "a", "an", "to", "for", "s"})


def fold_text(value: Any) -> str:
    """Casefold, straighten quotes/dashes and collapse whitespace."""
    if value is None:
        return ""
    return " ".join(str(value).translate(_TRANSLATE).casefold().split())


def text_words(value: Any) -> list[str]:
    """Alphanumeric words of the normalised text."""
    return _WORD_RE.findall(fold_text(value))


def singular(word: str) -> str:
    """Strip a simple English plural ending."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


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
_COUNT_NOUNS = wordset(
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
    for token in _UNIT_TOKEN_RE.findall(fold_text(unit).translate(_CJK_UNITS)):
        if token[0].isdecimal():
            scale *= _power_of_ten(token)
        elif token in SCALE_WORDS:
            scale *= SCALE_WORDS[token]
        else:
            rest.append(token)
    return scale, rest


def _unit_family(words: list[str]) -> str:
    """Unit family of the non-scale words of a unit."""
    present = set(words)
    singulars = {singular(w) for w in present}
    is_pct = bool(present & _PCT_WORDS) or {"per", "cent"} <= present
    if "per" in present and not is_pct:
        return "other:" + " ".join(sorted(singulars))
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
    if singulars & _COUNT_NOUNS or not singulars - KEY_STOPWORDS:
        return "count"
    return "other:" + " ".join(sorted(singulars - KEY_STOPWORDS))


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
