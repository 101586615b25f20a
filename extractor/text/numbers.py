"""Numbers written in evidence: numerals, magnitude words ("600 billion", "hundred
million"), number words ("second", "thousands of", "all"), and whether a target's value (in its
unit) is stated in its evidence."""

from __future__ import annotations

import math
import re

# A numeral glued to letters ("5G", "3D", "A1") is part of a name, not a quantity.
_NUMBER_RE = re.compile(
    r"(?<![\dA-Za-z])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?![\dA-Z])"
)

# The number-scale words of the genre's English, one table for the whole project (the
# scorer's and the rules' magnitudes read it too): "600 billion", "3 mn", and the literal
# renderings of 万 and 亿 ("wan", "yi"). "ten" scales only before "thousand" in running text.
SCALE_WORDS: dict[str, float] = {
    "ten": 10.0, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "trillion": 1e12, "wan": 1e4, "yi": 1e8,
}
_MAGNITUDE_RE = re.compile(
    r"(?:\s*-?\s*(?:ten(?=\s+thousand)|hundred|thousand|million|mn|mln|billion|bn|trillion)\b)+",
    re.IGNORECASE,
)

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
}  # fmt: skip
_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000,
}  # fmt: skip
SMALL_COUNT_WORDS = {word: n for word, n in _CARDINALS.items() if 2 <= n <= 20}  # "two"..
ONE_TO_TEN = {word: n for word, n in _CARDINALS.items() if 1 <= n <= 10}  # "one".."ten"
_ALL_RE = re.compile(r"\b(?:all|every)\b", re.IGNORECASE)
_PLURAL_QUANTITIES = {"dozens": 12.0, "hundreds": 100.0, "thousands": 1e3, "millions": 1e6}
_TENS = [word for word, n in _CARDINALS.items() if n in range(20, 100, 10)]  # "twenty"...
_ONES = [word for word, n in _CARDINALS.items() if 1 <= n <= 9]
_WORD_NUMBER_RE = re.compile(
    r"\b(?:(?P<plural>dozens|hundreds|thousands|millions)\s+of"
    r"|(?P<tens>" + "|".join(_TENS) + r")[- ](?P<ones>" + "|".join(_ONES) + r")"
    r"|(?P<word>" + "|".join(sorted({*_ORDINALS, *_CARDINALS}, key=len, reverse=True)) + r"))\b",
    re.IGNORECASE,
)


def parse_numbers(s: str) -> list[float]:
    """Every numeral written in s, in order: "6,000" -> 6000, "15.1%" -> 15.1, "20th" -> 20.

    Only digits are parsed here; magnitude words ("600 billion") and number words ("second")
    are handled by `value_in_evidence`.
    """
    return [float(m.group().replace(",", "")) for m in _NUMBER_RE.finditer(s)]


def scale_factor(words: str) -> float:
    """Multiplier of a run of magnitude words: "hundred million" -> 1e8, "ten thousand" -> 1e4."""
    factor = 1.0
    for word in re.findall(r"[a-z]+", words.casefold()):
        factor *= SCALE_WORDS[word]
    return factor


def _unit_multiplier(unit: str | None) -> float:
    """Multiplier carried by a unit's leading magnitude: "hundred million yuan" -> 1e8."""
    if not unit:
        return 1.0
    unit = unit.strip()
    factor = 1.0
    lead = _NUMBER_RE.match(unit)
    if lead:  # "10,000 yuan"
        factor = float(lead.group().replace(",", ""))
        unit = unit[lead.end() :]
    mag = _MAGNITUDE_RE.match(unit)
    return factor * (scale_factor(mag.group()) if mag else 1.0)


def _evidence_quantities(evidence: str) -> list[tuple[float, float]]:
    """(number as written, magnitude multiplier) for each numeral and number word in evidence."""
    found: list[tuple[float, float]] = []
    covered: list[tuple[int, int]] = []  # magnitude words already read after a number
    for m in _NUMBER_RE.finditer(evidence):
        mag = _MAGNITUDE_RE.match(evidence, m.end())
        found.append((float(m.group().replace(",", "")), scale_factor(mag.group()) if mag else 1.0))
        if mag:
            covered.append(mag.span())
    for m in _WORD_NUMBER_RE.finditer(evidence):
        if any(a <= m.start() < b for a, b in covered):
            continue
        if m.group("plural"):
            found.append((_PLURAL_QUANTITIES[m.group("plural").casefold()], 1.0))
            continue
        if m.group("tens"):  # "Twenty-two"
            number = _CARDINALS[m.group("tens").casefold()] + _CARDINALS[m.group("ones").casefold()]
        else:
            word = m.group("word").casefold()
            number = _ORDINALS.get(word) or _CARDINALS[word]
        mag = _MAGNITUDE_RE.match(evidence, m.end())
        found.append((float(number), scale_factor(mag.group()) if mag else 1.0))
        if mag:
            covered.append(mag.span())
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def value_in_evidence(value: float, unit: str | None, evidence: str) -> bool:
    """True when the target's number occurs in the evidence, in any equivalent spelling.

    Matches the bare figure ("15.1%" for 15.1, "6,000" for 6000), the same magnitude written
    differently (6000 "hundred million yuan" vs "600 billion"), ordinals and small number
    words ("fourth" -> 4, "top ten" -> 10, "thousands of" -> 1000), and "all"/"every" for
    100 %. The sign is ignored ("fell by 5%" supports -5). A figure followed by its own
    magnitude word only matches by magnitude.
    """
    target = abs(value)
    is_percent = (unit or "").strip().casefold() in ("%", "percent")
    if is_percent and _close(target, 100.0) and _ALL_RE.search(evidence):
        return True  # "all enterprises above designated size" -> 100 %
    absolute = target * _unit_multiplier(unit)
    for number, factor in _evidence_quantities(evidence):
        if _close(number * factor, absolute) or (factor == 1.0 and _close(number, target)):
            return True
    return False
