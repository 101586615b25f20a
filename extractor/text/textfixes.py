"""Deterministic repairs of the translation's structure, found from the text alone.

Two slips machine translation of Chinese news makes in every genre, repaired without the model:
- a phrase written twice ("take the initiative to take the initiative" for 主动作为,
  "industrial chain chain long system" for 产业链链长制);
- the day of a dispatch fused with the first sentence after the reporter's name
  ("(reporter Cui Jiaming)26, the city ..." for （记者 崔佳明）26日，...).
"""

from __future__ import annotations

import re

from extractor.models import Repair
from extractor.text.calques import place_calques

# A phrase of 1-5 words written twice, the second time after nothing or a linking "to".
# One word twice needs no link and at least five letters ("chain chain", not "that that");
# English doubles its words with "and"/"by"/"to" ("more and more", "face to face"), so a single
# word linked by anything is left alone.
_REPEATED_PHRASE = re.compile(
    r"\b(?P<phrase>(?:[A-Za-z]+\s+){1,4}[A-Za-z]{2,})\s+(?:to\s+)?(?P=phrase)\b"
    r"|\b(?P<word>[A-Za-z]{5,})\s+(?P=word)\b",
    re.IGNORECASE,
)
_FUSED_DAY = re.compile(
    r"(?P<byline>[(（]\s*(?:reporter|correspondent|记者)s?\b[^()（）\n]{1,60}[)）])"
    r"\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s*(?:day\s*)?,",
    re.IGNORECASE,
)


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def repeated_phrases(text: str) -> list[Repair]:
    """A phrase the translation wrote twice in a row, repaired to one."""
    repairs = []
    for match in _REPEATED_PHRASE.finditer(text):
        once = match.group("phrase") or match.group("word")
        repairs.append(Repair(original=match.group(0), repaired=once, category="grammar",
                              note="phrase repeated by the translation"))
    return repairs


def fused_datelines(text: str) -> list[Repair]:
    """A dispatch's day fused onto the sentence after the byline: ``(reporter X)26,``."""
    repairs = []
    for match in _FUSED_DAY.finditer(text):
        day = int(match.group("day"))
        if not 1 <= day <= 31:
            continue
        repairs.append(Repair(
            original=match.group(0),
            repaired=f"{match.group('byline')} - On the {_ordinal(day)},",
            category="grammar",
            note="日 (day of the dispatch) fused with the first sentence",
        ))
    return repairs


def structural_repairs(text: str) -> list[Repair]:
    """Every structural repair of ``text``, in text order."""
    found = [*repeated_phrases(text), *fused_datelines(text)]
    return sorted(found, key=lambda repair: text.find(repair.original))


# -- found after the model (not listed in its prompt) -------------------------------------------
# Figures and dates the translation renders word by word: 亿 as "hundred million", 万 as "ten
# thousand", 1-11月 as "1 to 11 month", 6日下午 as "6 day afternoon"; and mojibake, UTF-8 read as
# Windows-1252 ("â€œ" for “).
_FIGURE = r"(?<![\d.,])(\d+(?:\.\d+)?)\s*"
# 亿 and 万 word by word, hyphenated, or left in pinyin; 万亿 either way
_TRILLION = re.compile(_FIGURE + r"(?:ten[- ]thousand[- ]hundred[- ]million|wan\s+yi)\b", re.I)
_HUNDRED_MILLION = re.compile(_FIGURE + r"(?:hundred[- ]million|yi)\b", re.I)
_TEN_THOUSAND = re.compile(_FIGURE + r"(?:ten[- ]thousand|wan)\b(?![- ]hundred|\s+yi\b)", re.I)
SCALE_NOTES = {_TRILLION: "万亿 rendered word by word",
               _HUNDRED_MILLION: "亿 rendered word by word",
               _TEN_THOUSAND: "万 rendered word by word"}
# 排名第二 word by word: "row the whole province second", "growth speed row No. 2"
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                  "ninth", "tenth")
_ROW_RANK = re.compile(
    r"\brow(?:s|ed)?\s+(?P<where>(?:(?!No\b|row\b)[A-Za-z-]+\s+){0,4}?)(?:No\.?\s*(?P<no>\d{1,2})\b|"
    r"(?:the\s+)?(?P<ord>" + "|".join(_ORDINAL_WORDS) + r"|\d{1,2}(?:st|nd|rd|th))\b"
    r"(?!\s+(?:batch|batches|time|times|phase|half|quarter|round|year|years)\b))", re.I)
RANK_NOTE = "排名 (rank) rendered 'row'"
MOJIBAKE_NOTE = "UTF-8 read as Windows-1252 (mojibake)"
# the notes of the forms listed once per article (at their first instance), as annotators list
# the clearest instance of a slip; the repaired text mends every instance of the form
ONCE_PER_FORM = frozenset([*SCALE_NOTES.values(), RANK_NOTE, MOJIBAKE_NOTE])
_MONTH_RANGE = re.compile(r"\b(\d{1,2})\s*(?:to|-|–|~)\s*(\d{1,2})\s+months?\b", re.I)
_DAY_PART = re.compile(r"\b(\d{1,2})\s+day\s+(morning|afternoon|evening|night)\b", re.I)
_MOJIBAKE = re.compile(r"(?:â€[\x80-\x9f\u0152-\u2122œ™˜”“]?|Ã[\x80-\xbf\u00a0-\u00bf©®±³¼½¾])+")
# a quoted phrase whose quotes are both mojibake is one repair: â€œshop small twoâ€
_MOJIBAKE_QUOTED = re.compile(r"â€[œ˜][^\n“”‘’]{1,60}?â€[\x9d™]?")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _number_text(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _scaled(match: re.Match[str], pattern: re.Pattern[str]) -> str:
    number = float(match.group(1))
    if pattern is _TRILLION:
        return f"{_number_text(number)} trillion"
    if pattern is _HUNDRED_MILLION:
        return (f"{_number_text(number / 10)} billion" if number >= 10
                else f"{_number_text(number * 100)} million")
    value = number * 10_000
    return (f"{_number_text(value / 1_000_000)} million" if value >= 1_000_000
            else _number_text(value))


def scale_repairs(text: str) -> list[Repair]:
    """Every figure in Chinese units: "200 hundred million" -> "20 billion", "15 yi" -> "1.5
    billion", "5 ten thousand" -> "50,000", "1.2 wan yi" -> "1.2 trillion"."""
    return [Repair(original=match.group(0), repaired=_scaled(match, pattern), category="number",
                   note=note)
            for pattern, note in SCALE_NOTES.items() for match in pattern.finditer(text)]


def _where(words: str) -> str:
    """ "the whole province " -> "the province"; "whole city " -> "the city"."""
    words = re.sub(r"^(?:the\s+)?whole\s+", "the ", words.strip(), flags=re.I)
    return words if not words or words.lower().startswith(("the ", "in ")) else f"the {words}"


def rank_repairs(text: str) -> list[Repair]:
    """Every rank rendered word by word: "row the whole province second" -> "ranked second in
    the province", "row No. 2" -> "ranked No. 2"."""
    found = []
    for match in _ROW_RANK.finditer(text):
        rank = f"No. {match.group('no')}" if match.group("no") else match.group("ord")
        where = _where(match.group("where"))
        place = f" {where}" if where.lower().startswith("in ") else f" in {where}" if where else ""
        found.append(Repair(original=match.group(0), repaired=f"ranked {rank}{place}",
                            category="grammar", note=RANK_NOTE))
    return found


def every_instance_repairs(text: str) -> list[Repair]:
    """The repairs of the forms listed once per article (``ONCE_PER_FORM``), at every
    instance: figures in Chinese units, ranks rendered word by word and mojibake."""
    return [*scale_repairs(text), *rank_repairs(text), *mojibake_repairs(text)]


def figure_repairs(text: str) -> list[Repair]:
    """Figures in Chinese units (``scale_repairs``), ranks rendered word by word, and months and
    days written as numbers ("1 to 11 month")."""
    found = [*scale_repairs(text), *rank_repairs(text)]
    for match in _MONTH_RANGE.finditer(text):
        first, last = int(match.group(1)), int(match.group(2))
        if 1 <= first < last <= 12:
            found.append(Repair(original=match.group(0),
                                repaired=f"{MONTH_NAMES[first - 1]} to {MONTH_NAMES[last - 1]}",
                                category="number", note="月 (month) range"))
    for match in _DAY_PART.finditer(text):
        day = int(match.group(1))
        if 1 <= day <= 31:
            found.append(Repair(original=match.group(0),
                                repaired=f"on the {match.group(2).lower()} of the {_ordinal(day)}",
                                category="grammar", note="日 (day of the month) read as 'day'"))
    return found


_BILLIONS = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*billion"
                       r"(?:\s+yuan)?\b", re.I)


def yi_as_billion_repairs(text: str) -> list[Repair]:
    """An amount of 1,000 billion or more that is ten times another amount of the text: the
    same figure with 亿 (a hundred million) read as "billion" ("2180 billion yuan" beside "218
    billion yuan"); and "1000 billion", 千亿 word by word (a trillion is written "trillion")."""
    amounts = [(m, float(m.group(1).replace(",", ""))) for m in _BILLIONS.finditer(text)]
    in_millions = {round(value * 1000) for _, value in amounts}
    return [Repair(original=m.group(0),
                   repaired=f"{_number_text(value / 10)} billion"
                   + (" yuan" if m.group(0).lower().endswith("yuan") else ""),
                   category="number", note="亿 read as billion: ten times the figure")
            for m, value in amounts
            if value >= 1000 and (round(value * 100) in in_millions or value == 1000)]


# 千亿 and 百亿 with 亿 read as "billion": "thousand-billion-level enterprises" (千亿级), "the
# manufacturing thousand billion yuan scale". No English writes "thousand billion"; once an
# article does, its "hundred-billion-level" is 百亿级 by the same slip.
_THOUSAND_BILLION = re.compile(r"(?<![\w-])(?<!ten )(?<!ten-)thousand[- ]billion(?:-level)?\b",
                               re.I)
_HUNDRED_BILLION_LEVEL = re.compile(r"(?<![\w-])hundred-billion-level\b", re.I)


def thousand_billion_repairs(text: str) -> list[Repair]:
    """千亿 written "thousand billion" (100 billion) and, in the same article, 百亿级 written
    "hundred-billion-level" (10 billion)."""
    found = [(m.group(0), "100", "千") for m in _THOUSAND_BILLION.finditer(text)]
    if found:
        found += [(m.group(0), "10", "百") for m in _HUNDRED_BILLION_LEVEL.finditer(text)]
    return [Repair(original=written, repaired=_billion_written_as(written, figure),
                   category="number", note=f"{chinese}亿 with 亿 read as billion")
            for written, figure, chinese in found]


def _billion_written_as(written: str, figure: str) -> str:
    """``figure`` billion in the form of ``written``: "100-billion-yuan-level" for
    "thousand-billion-level", "100 billion" for "thousand billion", else "100-billion-yuan"."""
    if written.lower().endswith("level"):
        return f"{figure}-billion-yuan-level"
    return f"{figure} billion" if " " in written else f"{figure}-billion-yuan"


def mojibake_repairs(text: str) -> list[Repair]:
    """Runs of mojibake, repaired by ftfy (a lone "â€", its last byte lost, is a closing
    quote); a phrase between mojibake quotes is one repair."""
    import ftfy

    found = []
    quoted = [(m.start(), m.end()) for m in _MOJIBAKE_QUOTED.finditer(text)]
    runs = [*_MOJIBAKE_QUOTED.finditer(text),
            *(m for m in _MOJIBAKE.finditer(text)
              if not any(start <= m.start() < end for start, end in quoted))]
    for match in sorted(runs, key=lambda m: m.start()):
        fixed = ftfy.fix_encoding(match.group(0)).replace("â€", "”")
        if fixed != match.group(0):
            found.append(Repair(original=match.group(0), repaired=fixed, category="grammar",
                                note=MOJIBAKE_NOTE))
    return found


def mojibake_quoted(text: str) -> list[str]:
    """The phrases between mojibake quotes ("â€œDigital Fujianâ€" -> "Digital Fujian"), as
    they stand in the text, without the quotes."""
    return list(dict.fromkeys(
        inner for m in _MOJIBAKE_QUOTED.finditer(text)
        if (inner := re.sub(r"^â€[œ˜]|â€[\x9d™]?$", "", m.group(0)).strip())))


def place_calque_repairs(text: str) -> list[Repair]:
    """Place names translated character by character ("Ginger weir district" -> "Jiangyan
    District"; extractor/text/calques.py)."""
    return [Repair(original=found.text, repaired=found.repaired, category="name",
                   note=f"{found.place.chinese}: a place name translated character by character")
            for found in place_calques(text)]


def post_model_repairs(text: str) -> list[Repair]:
    """Figure, date, encoding and place-name repairs found by rule after the model, in text
    order."""
    found = [*figure_repairs(text), *yi_as_billion_repairs(text), *thousand_billion_repairs(text),
             *mojibake_repairs(text), *place_calque_repairs(text)]
    return sorted(found, key=lambda repair: text.find(repair.original))
