"""Rule-based quantity finder: every number with a unit that states a result, goal or amount.

Used to complete the model's targets: a quantity in the text that no model target covers is
added as a target with ``source = "rule"`` (so nothing stated with a unit is missed), its
evidence being the clause it sits in. Numbers without a unit (years, counts of plan items)
and money amounts that define a class ("projects of over 2 billion yuan") are never taken.
"""

from __future__ import annotations

import re

from extractor.text.counts import add_counts, frame_spans
from extractor.text.figure import (
    COUNT_NOUNS,
    NUM,
    QUALIFIER_BEFORE,
    QUALIFIER_WINDOW,
    YEAR_NUMBER,
    Quantity,
    clause_at,
    comparator_for,
    plural_noun,
    to_number,
)
from extractor.text.magnitudes import normalize_quantity
from extractor.text.numbers import ONE_TO_TEN, scale_factor
from extractor.text.thresholds import is_class_threshold

# 万亿 word by word: "ten thousand hundred million", hyphenated or not ("1 ten-thousand
# hundred-million yuan", "1609 hundred-million yuan"); 亿 as "100 million" after a figure ("1046
# 100 million yuan" is 104.6 billion)
_SCALE = (r"(?P<scale>trillion|billion|ten[- ]thousand[- ]hundred[- ]million|hundred[- ]million|"
          r"100 million(?=\s+(?:yuan|RMB)\b)|million|ten[- ]thousand|bn\b|mn\b)?\s*")
# 千亿 with no number before it: "striving to break thousand hundred million", "thousand yi"
# (100 billion)
_BARE_THOUSAND_YI = re.compile(
    r"(?<![\d.,])(?<![\d.,]\s)(?<!\bten-)"
    + "".join(rf"(?<!\b{word}\s)" for word in ("a", *ONE_TO_TEN))
    + r"\bthousand(?:[- ]hundred[- ]million|\s+yi)(?:\s+yuan)?\b"
    # "-level" names a class ("thousand yi level enterprises") unless it ends the clause
    # ("the titanium industry reach thousand yi level")
    r"(?:[- ]level(?=\s*(?:[,;.，；。]|$)))?(?![- ]level)", re.I)
# 以上 after a figure: "3000 hundred million yuan above" is at least it
_AT_LEAST_AFTER = re.compile(r"\s*(?:(?:and|or)\s+)?(?:above|more)\b(?=\s*(?:[,;.)，；。]|$))",
                             re.I)
# the first figure of a pair shares the unit of the second: "faster by 5.6 and 13.6
# percentage points", "rose 4, 6 and 9 per cent"
_PAIRED = re.compile(r"(?<![\d.,])(?P<num>\d+(?:\.\d+)?)\s*(?:,\s*|\s+and\s+)(?=(?:\d+(?:\.\d+)?\s*"
                     r",\s*)*(?:\d+(?:\.\d+)?\s*,?\s*and\s+)?\d+(?:\.\d+)?\s*"
                     r"(?P<unit>percentage points?|%|percent\b|per cent\b))", re.I)
# a range: "80 to 100 industrial companies", "one or two enterprises" (the lower bound, at least)
_RANGE = re.compile(r"(?<![\d.])(?<!\bfrom\s)\b(?P<low>\d[\d,]*|" + "|".join(ONE_TO_TEN) + r")\s+"
                    r"(?:to|or|-|~)\s+(?=(?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|"
                    r"eleven|twelve|twenty)\b)", re.I)
# "responsible persons of 40 key enterprises attended": the enterprises came to a meeting
_ATTENDING_FOR = re.compile(r"\b(?:persons|representatives|heads|leaders|people)\s+"
                            r"(?:in charge\s+)?of\s+(?:more than\s+|over\s+|nearly\s+|about\s+)?$",
                            re.I)
_SCALE_OR_THOUSAND = (r"(?P<scale>trillion|billion|hundred million|million|ten thousand|"
                      r"thousand|万|亿)?\s*")  # "3000万吨", "1.26亿 cubic meters"
UNIT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("percentage points", re.compile(NUM + r"\s*percentage points?\b", re.I)),
    ("%", re.compile(NUM + r"\s*(?:%|percent\b|per cent\b)", re.I)),
    ("yuan", re.compile(NUM + r"\s*" + _SCALE + r"(?:yuan|RMB)\b", re.I)),
    # the currency first: "RMB845.24 billion", "RMB 2 trillion", "¥3.5 billion"
    ("yuan", re.compile(r"(?:\bRMB|\bCNY|[¥￥])\s*" + NUM + r"(?![.,]?\d)(?:\s*(?P<scale>"
                        r"trillion|billion|hundred million|million|ten thousand|bn\b|mn\b))?"
                        r"(?!\s*(?:trillion|billion|hundred|million|ten|yuan|RMB)\b)", re.I)),
    # 亿 and 万 left in characters or pinyin: "3亿元", "5000 wan yuan"
    ("yuan", re.compile(NUM + r"\s*(?P<scale>万亿|亿|万|(?<![a-z])wan\s+yi|(?<![a-z])yi|"
                        r"(?<![a-z])wan)\s*"
                        r"(?:元|yuan\b|RMB\b)", re.I)),
    # 亿 with no unit after it, where the clause speaks of money: "output value realized 1587.4
    # hundred millions" (see _MONEY_CLAUSE)
    ("money", re.compile(NUM + r"\s+(?P<scale>hundred[- ]millions?)(?=\s*(?:[,;.，；。]|$))",
                         re.I)),
    # 亿 with no unit after it is yuan: "output value reach 500亿"
    ("yuan", re.compile(NUM + r"\s*(?P<scale>万亿|亿)(?![\u4e00-\u9fff]|\s*[A-Za-z])", re.I)),
    ("tons of standard coal", re.compile(NUM + r"\s*tons? of standard coal\b", re.I)),
    # US dollars, not a conversion in brackets after a yuan figure: "7.92 billion US dollars",
    # "US$8.5 billion"
    ("usd", re.compile(r"(?<!\()(?<!\(\s)(?:\bUS\s?\$|\bUSD\s*)" + NUM + r"(?:\s*(?P<scale>"
                       r"trillion|billion|hundred million|million|ten thousand|bn\b|mn\b))?",
                       re.I)),
    ("usd", re.compile(r"(?<!\()(?<!\(\s)(?<!yuan or )" + NUM
                       + r"\s*(?P<scale>trillion|billion|hundred million|million|ten thousand)?"
                       r"\s*(?:US dollars|USD)\b", re.I)),
    # "77 industrial projects", "10 thousand enterprises", "47 national-level industrial internet
    # platforms", "3 cultural and tourism projects", "600 “little giant” enterprises": up to three
    # words (a quoted name counts as one) between
    ("count", re.compile(NUM + r"(?:\s+(?P<scale>ten thousand|thousand|million))?"
                         r"\s+(?:(?:[“‘\"][^”’\"\n]{1,40}[”’\"]|"
                         r"[a-z][a-z-]*(?:al|ic|ive|ed|ing|ern|level)\s+and(?=\s+[a-z])|"
                         r"small\s+and\s+medium(?:[- ]sized)?|"  # 中小企业
                         r"and\s+other|"  # 等: "8 urban construction and other projects"
                         r"(?!(?:of|and|in|to|from|yuan|rmb|family|families|homes?|items?|"
                         r"months?|years?|days?|"  # "1 to 4 month new sign project": a time
                         r"bars?)\b|"
                         r"[a-z0-9-]*(?:hundred|thousand|million|billion|trillion))"
                         r"[a-z0-9][a-z0-9+&-]*)\s+){0,3}"
                         r"(?P<noun>" + COUNT_NOUNS + r")\b(?!\s+(?:representatives?|leaders?|"
                         r"heads?|delegates?|staff|employees|personnel|land)\b)"
                         # the head noun: "21 are electronic information industry projects"
                         r"(?:\s+(?P<head>projects|parks|platforms|bases|clusters)\b)?", re.I)),
    # physical quantities: "3.5859 million square meters", "10 million tons", "25GW", "12000 mu"
    ("physical", re.compile(NUM + r"\s*" + _SCALE_OR_THOUSAND
                            + r"(?P<measure>square (?:meters|metres|kilometers|kilometres)|"
                            r"吨|立方米|千瓦时|千瓦|亩|平方米|kilolit(?:er|re)s|"
                            r"cubic meters|cubic metres|"
                            r"(?:metric )?tons?(?! of standard coal)|tonnes|"
                            r"GWh|MWh|kWh|GW|MW|kW|kilowatt[- ]hours?|kilowatts?|megawatts?|"
                            r"mu|hectares|"
                            r"acres|kilometers|kilometres)\b", re.I)),
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_WORD_NUMBERS = {"three": 3, "five": 5, "ten": 10, "twenty": 20, "thirty": 30, "fifty": 50,
                 "hundred": 100}
_ORDINAL = (r"(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
            r"\d+(?:st|nd|rd|th))")
_RANKS = (
    re.compile(r"\brank(?:s|ed|ing)?\s+(?:the\s+)?" + _ORDINAL + r"\b", re.I),
    # "will be the first in the province": a place among peers, not "the first to ..."
    re.compile(r"\b(?:be|is|are|was|become|becomes|remain|remains)\s+(?:the\s+)?" + _ORDINAL
               + r"\s+(?:place\s+)?in\s+the\s+(?:whole\s+)?(?:province|country|nation|city)\b",
               re.I),
    # 排名第九 word by word: "in the country ... row ninth", "the province rank No. 2", "arranged
    # second position"
    re.compile(r"\b(?:rank(?:s|ed|ing)?|row(?:s|ed)?|arrang(?:e|es|ed))\s+"
               r"(?:(?!No\b)[A-Za-z-]+\s+){0,4}?"
               r"(?:No\.?\s*(?P<no>\d{1,3})\b|(?:the\s+)?" + _ORDINAL + r"\b"
               r"(?!\s+(?:batch|batches|time|times|phase|half|quarter|round|consecutive|year|"
               r"years|straight)\b))", re.I),
    # the second of a pair: "respectively row the whole province sixth and fourth position"
    re.compile(r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\s+and\s+"
               + _ORDINAL + r"\s+(?:positions?|places?)\b", re.I),
    # an ordinal ending its clause after "is": "in southern Jiangsu is second", "the increase in
    # the province is the fourth", "growth speed is the first of southern Jiangsu"
    re.compile(r"\b(?:is|was|are|were)\s+(?:the\s+)?" + _ORDINAL + r"(?:\s+(?:place|position))?"
               r"(?:\s+(?:of|in|among)\s+(?:the\s+)?(?:whole\s+)?(?:(?:southern|northern|eastern|"
               r"western|central)\s+)?(?:[A-Z][A-Za-z-]*|province|city|country|nation|region|"
               r"county|district))?(?=\s*(?:[,;.]|$))"),
    # 稳居全省第二位 word by word: "steady sit whole province second position", "occupied the
    # first place among the 12 cities"
    re.compile(r"\b(?:sits?|sat|occup(?:y|ies|ied)|stands?|stood)\s+(?:[A-Za-z-]+\s+){0,4}?"
               r"(?:the\s+)?" + _ORDINAL + r"\s+(?:position|place)\b", re.I),
    # "ensure first in the province" (not "the first in the province to ...", a first deed)
    re.compile(r"(?<!\bthe\s)\b(?P<ord>first|second|third)\s+in\s+the\s+(?:whole\s+)?"
               r"(?:province|country|nation)\b(?!\s+to\b)", re.I),
)
_LABEL_BEFORE = re.compile(r"\b(?:No|Number|Phase|Article|Item)\.?\s*$", re.I)  # "No. 1 Project"
# 前十 word by word: "enter the whole province front 10", "row front three"
_TOP = re.compile(r"\b(?:top|front)\s+(?P<n>\d+|three|five|ten|twenty|thirty|fifty|hundred)\b"
                  r"(?!\s+(?:quarters?|months?|years?|days?|weeks?)\b)", re.I)
# "top 500 enterprises", "World top 500 enterprise" name a category of companies, not a ranking
# or a count
_CATEGORY = re.compile(r"\b(?:(?:Fortune|Global|World|China|national)\s+(?:top\s+)?|top\s+)\d+\s+"
                       r"(?:[a-z]+\s+)?(?:enterprises?|compan(?:y|ies)|firms?)\b", re.I)
_GOAL_WORDS = re.compile(r"\b(?:strive|striv|goal|target|aim|plan to|by (?:the end of )?20\d\d|"
                         r"will (?:reach|exceed|realize|achieve))", re.I)
_FUNDING_WORDS = re.compile(r"\b(?:fund|funds|subsid\w*|special funds|financial support)\b",
                            re.I)
_YEAR = re.compile(r"\b(?:by (?:the end of )?)?(20\d\d)\b", re.I)
_SCALE_WORD = (r"(?:trillion|(?:hundred|thousand|ten)[- ]billion|billion|hundred[- ]million|"
               r"million)")
# A size class named by its amount (千亿级 / 百亿 enterprises): "6 trillion-level industries",
# "5 enterprises of 100 billion level", "10-billion industries", "billion-yuan projects". The
# amount names the class; the count before it is the figure.
_SIZE_CLASS = re.compile(
    r"(?:\b\d[\d,.]*\s*|\b)" + _SCALE_WORD + r"(?:[- ]yuan)?(?:(?:[- ]level)\b|"
    r"(?=\s+(?:industries|enterprises|projects|clusters|parks)\b))", re.I)
_COUNTED_CLASS = re.compile(
    r"\b(?P<count>\d{1,3})\s+(?:(?P<scale>" + _SCALE_WORD + r")(?:[- ]yuan)?(?P<level>[- ]level)?"
    r"\s+(?P<noun>industr(?:y|ies)|enterprises?|projects?|clusters?)\b|"
    r"(?P<noun2>industr(?:y|ies)|enterprises?|projects?|clusters?)\s+of\s+(?:[\d.,]+\s*)?"
    + _SCALE_WORD + r"(?:[- ]yuan)?[- ]level\b)", re.I)
_MEASURES = {"ton": "tons", "tonnes": "tons", "square metres": "square meters",
             "cubic metres": "cubic meters", "kilometres": "kilometers", "gw": "GW", "mw": "MW",
             "kw": "kW", "square kilometres": "square kilometers", "gwh": "GWh", "mwh": "MWh",
             "kwh": "kWh", "kilowatt hours": "kWh", "kilowatt-hours": "kWh",
             "kilowatt hour": "kWh", "kilowatt-hour": "kWh", "kilowatts": "kW", "kilowatt": "kW",
             "megawatts": "MW", "megawatt": "MW", "吨": "tons", "立方米": "cubic meters",
             "千瓦时": "kWh", "千瓦": "kW", "亩": "mu", "平方米": "square meters",
             "kilolitres": "kiloliters"}
# a figure written in two parts, as 亿 and 万 are: "35 billion 628 million yuan", "398 million
# 660 thousand yuan" (35.628 billion yuan, 398.66 million yuan)
_SPLIT_FIGURE = re.compile(
    r"(?<![\d.,])(?P<high>\d+(?:\.\d+)?)\s+(?P<high_scale>trillion|billion|hundred million|million)"
    r"\s+(?P<low>\d{1,4})\s+(?P<low_scale>billion|hundred million|million|ten thousand|thousand)"
    r"\s+(?P<unit>yuan|RMB)\b", re.I)


def _split_figure(text: str, match: re.Match[str]) -> Quantity:
    high_scale = match.group("high_scale").lower()
    total = (float(match.group("high")) * scale_factor(high_scale)
             + float(match.group("low")) * scale_factor(match.group("low_scale")))
    value = round(total / scale_factor(high_scale), 6)
    qualifier = QUALIFIER_BEFORE.search(text, max(0, match.start() - QUALIFIER_WINDOW),
                                         match.start())
    return Quantity(value, f"{high_scale} yuan",
                    comparator_for(qualifier.group("qual") if qualifier else None),
                    match.start("high"), match.end(), clause_at(text, match.start(), match.end()))


_MONEY_CLAUSE = re.compile(r"\b(?:output value|investment|invest|revenue|income|sales|GDP|"
                           r"profits?|tax|funds?|capital)\b", re.I)


def find_quantities(text: str) -> list[Quantity]:
    """Every number-with-unit and ranking in the text, in order of position."""
    found: list[Quantity] = []
    for unit, pattern in UNIT_PATTERNS:
        for match in pattern.finditer(text):
            if unit == "count" and YEAR_NUMBER.fullmatch(match.group("num")):
                continue  # "2023 key projects" is a year
            label, value = unit, to_number(match.group("num"))
            if unit == "money":
                if not _MONEY_CLAUSE.search(clause_at(text, match.start(), match.end())):
                    continue
                label = "hundred million yuan"
            elif unit == "yuan":
                label = _yuan(text, match).unit
            elif unit == "usd":
                scale = _CHINESE_SCALES.get((match.group("scale") or "").lower(),
                                            (match.group("scale") or "").lower())
                label = f"{scale} US dollars".strip()
            elif unit == "count":  # "10 thousand enterprises" is 10,000 enterprises
                label = plural_noun(match.group("head") or match.group("noun"))
                value *= scale_factor(match.group("scale") or "")
            elif unit == "physical":
                scale = (match.group("scale") or "").lower()
                label = " ".join([*_CHINESE_SCALES.get(scale, scale).split(),
                                  _MEASURES.get(match.group("measure").lower(),
                                                match.group("measure").lower())])
            qualifier = QUALIFIER_BEFORE.search(
                text, max(0, match.start() - QUALIFIER_WINDOW), match.start())
            start = qualifier.start() if qualifier else match.start()
            comparator = comparator_for(qualifier.group("qual") if qualifier else None)
            if unit == "yuan" and re.match(r"\s*(?:per|/)\s*mu\b", text[match.end():]):
                label = f"{label} per mu"  # "tax revenue of 300,000 yuan per mu"
            elif (comparator == "=" and unit in ("yuan", "physical")
                  and _AT_LEAST_AFTER.match(text, match.end())):
                comparator = ">="
            found.append(Quantity(value, label, comparator,
                                  match.start("num"), match.end(),
                                  clause_at(text, start, match.end())))
    split = [_split_figure(text, m) for m in _SPLIT_FIGURE.finditer(text)]
    found = [q for q in found if not any(s.start <= q.start < s.end for s in split)] + split
    for match in (m for pattern in _RANKS for m in pattern.finditer(text)):
        token = (match.groupdict().get("no") or match.group("ord")).lower()
        value = _ORDINALS.get(token) or int(re.sub(r"\D", "", token))
        at = match.start("no") if match.groupdict().get("no") else match.start("ord")
        found.append(Quantity(float(value), "rank", "=", at, match.end(),
                              clause_at(text, match.start(), match.end())))
    for match in _TOP.finditer(text):
        token = match.group("n").lower()
        value = _WORD_NUMBERS.get(token) or int(token)
        found.append(Quantity(float(value), "rank", "<=", match.start(), match.end(),
                              clause_at(text, match.start(), match.end())))
    found = add_counts(text, found)
    found += [Quantity(to_number(m.group("num")), "percentage points" if "point" in
                       m.group("unit").lower() else "%", "=", m.start("num"), m.end("num"),
                       clause_at(text, m.start(), m.end())) for m in _PAIRED.finditer(text)
              if " and " in text[m.start():m.end("unit")]
              and not YEAR_NUMBER.fullmatch(m.group("num"))]
    found += [Quantity(100.0, "billion yuan", "=", m.start(), m.end(),
                       clause_at(text, m.start(), m.end()))
              for m in _BARE_THOUSAND_YI.finditer(text)]
    counted_classes = _counted_classes(text)
    for match in counted_classes:
        noun = (match.group("noun") or match.group("noun2")).lower()
        unit = "industries" if noun.startswith("industr") else noun.rstrip("s") + "s"
        found.append(Quantity(float(match.group("count")), unit,
                              "=", match.start("count"), match.end(),
                              clause_at(text, match.start(), match.end())))
    classes = [(m.start(), m.end()) for m in _SIZE_CLASS.finditer(text)]
    counted = [(m.start(), m.end()) for m in counted_classes]
    found = [q for q in found
             if not (q.unit.endswith("yuan") and any(s <= q.start < e for s, e in classes))
             and not (q.unit.endswith("yuan") and any(s <= q.start < e for s, e in counted))]
    categories = [(m.start(), m.end()) for m in _CATEGORY.finditer(text)]
    categories += frame_spans(text)
    found = [q for q in found if not any(s <= q.start < e for s, e in categories)]
    found = [q for q in found if (q.unit == "rank"  # "rank No. 2" is a rank, not a label
                                  or not _LABEL_BEFORE.search(text, max(0, q.start - 8), q.start))
             and not text[:q.start].endswith("+")]  # the "4" of a "1+4" label
    found = [q for q in found if not _ATTENDING_FOR.search(text, max(0, q.start - 40), q.start)]
    unique = {(q.start, q.unit): q for q in found}
    ordered = _lower_bounds(text, sorted(unique.values(), key=lambda q: q.start))
    thresholds = class_thresholds(text, ordered)
    return [q for q in ordered if q not in thresholds]


def _lower_bounds(text: str, quantities: list[Quantity]) -> list[Quantity]:
    """A count stated as a range ("80 to 100 companies", "one or two enterprises") is its lower
    bound, at least."""
    kept = list(quantities)
    for match in _RANGE.finditer(text):
        for index, high in enumerate(kept):
            if (high.start != match.end() or high.unit.endswith(("yuan", "%", "points", "rank"))
                    or re.match(r"[\d,]*\s+(?:ten thousand|thousand|million)\b",
                                text[high.start:])):
                continue  # not a count's upper bound, or one with a scale ("8 to 10 thousand")
            low = match.group("low").lower()
            value = float(ONE_TO_TEN.get(low) or to_number(low))
            kept[index] = Quantity(value, high.unit, ">=", match.start("low"), high.end,
                                   high.clause)
    return sorted(kept, key=lambda q: q.start)


def class_thresholds(text: str, quantities: list[Quantity] | None = None) -> list[Quantity]:
    """The money amounts of ``text`` that define a class (see ``is_class_threshold``), and the
    amounts that name a size class ("6 trillion-level industries": 6 trillion yuan)."""
    if quantities is None:
        return [*[q for q in (_yuan(text, m) for m in UNIT_PATTERNS[2][1].finditer(text))
                  if is_class_threshold(text, q.start, q.end)], *_size_class_amounts(text)]
    return [q for q in quantities
            if q.unit.endswith("yuan") and is_class_threshold(text, q.start, q.end)]


def _counted_classes(text: str) -> list[re.Match[str]]:
    """"6 trillion-level industries", "4 trillion industries", "5 enterprises of 100 billion
    level": a count of a size class. Without "level" only a one-digit count of trillions reads
    so ("10 billion yuan enterprises" is a class with no count; "a 10 billion industry" an
    amount)."""
    found = []
    for match in _COUNTED_CLASS.finditer(text):
        if (match.group("scale") and not match.group("level")
                and not (len(match.group("count")) == 1
                         and match.group("scale").lower() == "trillion")):
            continue
        found.append(match)
    return found


def _size_class_amounts(text: str) -> list[Quantity]:
    """What a size class's amount would be read as: "4 trillion industries" as 4 trillion yuan,
    "100 billion level" as 100 billion yuan."""
    found = []
    classes = [(m.start(), m.end())
               for m in [*_SIZE_CLASS.finditer(text), *_counted_classes(text)]]
    for match in re.finditer(r"(?P<num>\d[\d,.]*)\s*(?P<scale>" + _SCALE_WORD + r")", text, re.I):
        if any(start <= match.start() < end for start, end in classes):
            scale = " ".join(match.group("scale").lower().replace("-", " ").split())
            found.append(Quantity(to_number(match.group("num").rstrip(".,")), f"{scale} yuan", "=",
                                  match.start(), match.end(),
                                  clause_at(text, match.start(), match.end())))
    return found


_CHINESE_SCALES = {"万亿": "trillion", "亿": "hundred million", "万": "ten thousand",
                   "yi": "hundred million", "wan": "ten thousand", "wan yi": "trillion",
                   "100 million": "hundred million",
                   "bn": "billion", "mn": "million", "ten thousand hundred million": "trillion"}


# 亿 and 万 in characters or pinyin; "RMB845.24bn"
def _yuan(text: str, match: re.Match[str]) -> Quantity:
    scale = " ".join((match.group("scale") or "").lower().replace("-", " ").split())
    label = f"{_CHINESE_SCALES.get(scale, scale)} yuan".strip()
    return Quantity(to_number(match.group("num")), label, "=", match.start("num"), match.end(),
                    clause_at(text, match.start(), match.end()))


def guess_kind(clause: str, sentence: str, unit: str = "yuan") -> str:
    """funding (money, with a fund or subsidy in its clause), target (a goal in its sentence)
    or actual."""
    if _FUNDING_WORDS.search(clause) and unit.endswith("yuan"):
        return "funding"
    return "target" if _GOAL_WORDS.search(sentence) else "actual"


def stated_comparator(sentence: str, value: float, unit: str) -> str:
    """The comparator of the sentence's quantity that equals ``value unit`` ("more than 600
    billion yuan" gives ">"), "=" when none of its quantities does."""
    wanted = normalize_quantity(value, unit)
    for quantity in find_quantities(sentence):
        found = normalize_quantity(quantity.value, quantity.unit)
        if wanted is not None and found is not None and found[:2] == wanted[:2]:
            return quantity.comparator
    return "="


def guess_period(sentence: str) -> str | None:
    match = _YEAR.search(sentence)
    return match.group(0).lower() if match else None
