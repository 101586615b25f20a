"""One figure found in a text (``Quantity``) and what every finder shares: the number, the
qualifier before it ("more than": ">"), the clause it stands in, the nouns a count is stated in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.text.candidates import sentence_spans

NUM = r"(?P<num>(?<!\d)(?!0\d)(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"  # "03": a label
# nouns a count is stated in (the unit of a count target), singular and plural
COUNT_NOUNS = (r"projects?|enterprises?|compan(?:y|ies)|firms|factor(?:y|ies)|workshops?|"
               r"platforms?|parks?|bases|cent(?:er|re)s|scenarios|buildings|demonstrations?|plots|"
               r"plants|applications|products|laboratories|academicians|"
               r"households|patents|production lines|clusters?|industr(?:y|ies)|"
               r"base stations?|stations|sets|units|vehicles?|standards")
# The qualifier is read from the text just before a number (a number-first search is several
# times faster than trying every qualifier at every position of the article).
QUALIFIER_BEFORE = re.compile(
    r"(?P<qual>more than|over|exceed(?:ed|ing|s)?(?: the)?|"
    r"(?:break(?:s|ing)?|broke|surpass(?:ed|es|ing)?)(?: through)?|at least|"
    r"(?:shall |will )?not be less "
    r"than|not less than|no less than|"
    r"up to|no more than|not more than|about|nearly|approximately|around|close to)\s*$", re.I)
QUALIFIER_WINDOW = 40
YEAR_NUMBER = re.compile(r"(?:19|20)\d\d")
_COMPARATORS = {
    "more than": ">", "over": ">", "exceed": ">", "break": ">", "broke": ">", "surpass": ">",
    "at least": ">=", "not less than": ">=",
    "no less than": ">=", "up to": "<=", "no more than": "<=", "not more than": "<=",
    "about": "~", "nearly": "~", "near": "~", "approximately": "~", "around": "~", "close to": "~",
    "shall not be less than": ">=", "will not be less than": ">=", "not be less than": ">=",
}
# a comma between the shares of a list ("rose 18.9%, 15.9% and 15.5% respectively") does not
# end the clause
_CLAUSE_BREAK = re.compile(r"[;，；]|,(?!(?:(?<=%,)|(?<=percent,)|(?<=per cent,))\s*"
                           r"(?:and\s+)?\d[\d.]*\s*(?:%|percent|per cent))")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    comparator: str
    start: int  # offsets of the number phrase in the text
    end: int
    clause: str  # verbatim clause containing it


def plural_noun(noun: str) -> str:
    """The unit of a count: "enterprise" -> "enterprises", "factory" -> "factories"."""
    noun = noun.lower()
    if noun.endswith("y") and not noun.endswith("ey"):
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"


def to_number(text: str) -> float:
    return float(text.replace(",", ""))


def comparator_for(qualifier: str | None) -> str:
    if not qualifier:
        return "="
    lowered = qualifier.lower()
    return next((op for word, op in _COMPARATORS.items() if lowered.startswith(word)), "=")


def clause_at(text: str, start: int, end: int) -> str:
    """The verbatim clause (between commas/semicolons, within its sentence) around a span."""
    for first, last in sentence_spans(text):
        if first <= start < last:
            sentence = text[first:last]
            left = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence)
                        if m.end() <= start - first), default=0)
            right = next((m.start() for m in _CLAUSE_BREAK.finditer(sentence, end - first)),
                         len(sentence))
            return sentence[left:right].strip()
    return text[start:end]
