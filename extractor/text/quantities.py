"""Rule-based quantity finder: every number with a unit that states a result, goal or amount.

Used to complete the model's targets: a quantity in the text that no model target covers is
added as a target with ``source = "rule"`` (so nothing stated with a unit is missed), its
evidence being the clause it sits in. Numbers without a unit (years, counts of plan items)
and money amounts that define a class ("projects of over 2 billion yuan") are never taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.text.candidates import sentence_spans
from extractor.text.magnitudes import normalize_quantity
from extractor.text.numbers import SMALL_COUNT_WORDS, scale_factor
from extractor.text.thresholds import is_class_threshold

_NUM = r"(?P<num>(?<!\d)(?!0\d)(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"  # "03": a label
# nouns a count is stated in (the unit of a count target), singular and plural
COUNT_NOUNS = (r"projects?|enterprises?|compan(?:y|ies)|firms|factor(?:y|ies)|workshops?|"
               r"platforms?|parks|bases|cent(?:er|re)s|scenarios|buildings|demonstrations?|plots|"
               r"plants|applications|products|laboratories|academicians|"
               r"households|patents|production lines|clusters?|industr(?:y|ies)|"
               r"base stations|stations|sets|units|vehicles|standards")
# The qualifier is read from the text just before a number (a number-first search is several
# times faster than trying every qualifier at every position of the article).
_QUALIFIER_BEFORE = re.compile(
    r"(?P<qual>more than|over|exceed(?:ed|ing|s)?(?: the)?|at least|(?:shall |will )?not be less "
    r"than|not less than|no less than|"
    r"up to|no more than|not more than|about|nearly|approximately|around|close to)\s*$", re.I)
_QUALIFIER_WINDOW = 40
_SCALE = (r"(?P<scale>trillion|billion|ten thousand hundred million|hundred million|million|"
          r"ten thousand|bn\b|mn\b)?\s*")  # 万亿 word by word: "ten thousand hundred million"
_SCALE_OR_THOUSAND = (r"(?P<scale>trillion|billion|hundred million|million|ten thousand|"
                      r"thousand)?\s*")
UNIT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("percentage points", re.compile(_NUM + r"\s*percentage points?\b", re.I)),
    ("%", re.compile(_NUM + r"\s*(?:%|percent\b|per cent\b)", re.I)),
    ("yuan", re.compile(_NUM + r"\s*" + _SCALE + r"(?:yuan|RMB)\b", re.I)),
    # the currency first: "RMB845.24 billion", "RMB 2 trillion", "¥3.5 billion"
    ("yuan", re.compile(r"(?:\bRMB|\bCNY|[¥￥])\s*" + _NUM + r"(?![.,]?\d)(?:\s*(?P<scale>"
                        r"trillion|billion|hundred million|million|ten thousand|bn\b|mn\b))?"
                        r"(?!\s*(?:trillion|billion|hundred|million|ten|yuan|RMB)\b)", re.I)),
    # 亿 and 万 left in characters or pinyin: "3亿元", "5000 wan yuan"
    ("yuan", re.compile(_NUM + r"\s*(?P<scale>万亿|亿|万|(?<![a-z])yi|(?<![a-z])wan)\s*"
                        r"(?:元|yuan\b|RMB\b)", re.I)),
    ("tons of standard coal", re.compile(_NUM + r"\s*tons? of standard coal\b", re.I)),
    # "77 industrial projects", "10 thousand enterprises", "47 national-level industrial internet
    # platforms", "3 cultural and tourism projects", "600 “little giant” enterprises": up to three
    # words (a quoted name counts as one) between
    ("count", re.compile(_NUM + r"(?:\s+(?P<scale>ten thousand|thousand))?"
                         r"\s+(?:(?:[“‘\"][^”’\"\n]{1,40}[”’\"]|"
                         r"[a-z][a-z-]*(?:al|ic|ive|ed|ing|ern|level)\s+and(?=\s+[a-z])|"
                         r"(?!(?:of|and|in|to|from|yuan|rmb)\b|"
                         r"[a-z0-9-]*(?:hundred|thousand|million|billion|trillion))"
                         r"[a-z0-9][a-z0-9+-]*)\s+){0,3}"
                         r"(?P<noun>" + COUNT_NOUNS + r")\b(?!\s+(?:representatives|leaders|"
                         r"heads|delegates|staff|employees|personnel|land)\b)"
                         # the head noun: "21 are electronic information industry projects"
                         r"(?:\s+(?P<head>projects|parks|platforms|bases|clusters)\b)?", re.I)),
    # physical quantities: "3.5859 million square meters", "10 million tons", "25GW", "12000 mu"
    ("physical", re.compile(_NUM + r"\s*" + _SCALE_OR_THOUSAND
                            + r"(?P<measure>square (?:meters|metres|kilometers|kilometres)|"
                            r"cubic meters|cubic metres|"
                            r"(?:metric )?tons?(?! of standard coal)|tonnes|"
                            r"GWh|MWh|kWh|GW|MW|kW|mu|hectares|"
                            r"acres|kilometers|kilometres)\b", re.I)),
)
_YEAR_NUMBER = re.compile(r"(?:19|20)\d\d")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_WORD_NUMBERS = {"ten": 10, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100}
_ORDINAL = (r"(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
            r"\d+(?:st|nd|rd|th))")
_RANKS = (
    re.compile(r"\brank(?:s|ed|ing)?\s+(?:the\s+)?" + _ORDINAL + r"\b", re.I),
    # "will be the first in the province": a place among peers, not "the first to ..."
    re.compile(r"\b(?:be|is|are|was|become|becomes|remain|remains)\s+(?:the\s+)?" + _ORDINAL
               + r"\s+(?:place\s+)?in\s+the\s+(?:whole\s+)?(?:province|country|nation|city)\b",
               re.I),
    # "ensure first in the province" (not "the first in the province to ...", a first deed)
    re.compile(r"(?<!\bthe\s)\b(?P<ord>first|second|third)\s+in\s+the\s+(?:whole\s+)?"
               r"(?:province|country|nation)\b(?!\s+to\b)", re.I),
)
# Genre conventions for round Chinese figures (千项/千家, 百亿产业):
# "thousands of [industrial | “quoted”] projects" -> at least 1,000 projects;
# "a 10 billion industry" -> an industry of at least 10 billion yuan.
_THOUSANDS = re.compile(
    r"\bthousands of\s+(?:[“‘\"][^”’\"\n]{1,80}[”’\"]\s+|(?:[a-z-]+\s+){0,2})"
    r"(?P<noun>projects|enterprises|companies|firms)\b", re.I)
_SIZED_INDUSTRY = re.compile(
    _NUM + r"\s*(?P<scale>trillion|billion|hundred million)(?:[- ]yuan)?\s+industr(?:y|ies)\b",
    re.I)
# 家, the measure word for enterprises, translated literally: "industrial enterprises 27 families",
# "22 home intelligent factory"; a count of enterprises where the clause speaks of them.
_FAMILIES = re.compile(_NUM + r"\s+(?:families|family|homes|home)\b", re.I)
# 块/宗, the measure word for plots of land, translated literally: "45 piece industry land"
_PIECES_OF_LAND = re.compile(_NUM + r"\s+pieces?\s+(?:of\s+)?(?:[a-z-]+\s+){0,2}?land\b", re.I)
# "accounted for 955 of the above-scale enterprises": a part of a counted whole
_PART_OF = re.compile(_NUM + r"\s+of\s+the\s+(?:[a-z-]+\s+){0,3}?(?P<noun>projects|enterprises|"
                      r"companies|industries|parks)\b", re.I)
# "23 out of 34 industries", "28 of the city's 37 major industrial categories": the part is
# the figure, the whole only frames it; "Among the 12 main industries", "among the top ten"
_PART_OF_WHOLE = re.compile(
    r"(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})*)\s+(?:out\s+)?of\s+(?:the\s+)?(?:[a-z-]+'s\s+)?"
    r"(?P<whole>\d{1,3}(?:,\d{3})*)\s+(?:[a-z][a-z-]*\s+){0,3}?(?P<noun>[a-z]{2,}s)\b", re.I)
# "the province's 10 key industries", "13 key industrial chains": the parts of a plan
_FRAMED_COUNT = re.compile(r"\b\d+\s+(?:key|major|main|pillar|priority)\s+(?:industries|"
                           r"industrial chains|chains)\b", re.I)
_AMONG_THE = re.compile(r"\bamong\s+(?:the\s+)?(?:[a-z-]+'s\s+)?(?:top\s+)?(?P<whole>\d[\d,]*|"
                        r"ten|twenty|thirty|fifty|hundred)\b", re.I)
# a count written in words, of things built, signed or run: "signed five contracted projects",
# "seven provincial-level industrial parks" (not "the five pillar industries", a list's name)
_WORD_COUNT = re.compile(
    r"(?<!\bthe\s)(?<!\bthese\s)(?<!\bthose\s)\b(?P<num>" + "|".join(SMALL_COUNT_WORDS)
    + r")\s+(?:(?!(?:of|and|or|in|to|the|is|are|was|were|hundred|thousand)\b)"
    r"[a-z][a-z&-]*(?<![^s]s)\s+){0,3}?"  # modifiers, no plural: "three years above-rule ..."
    r"(?P<noun>projects|enterprises|companies|firms|factories|workshops|platforms|parks|plants|"
    r"production lines|bases|base stations|buildings|laboratories)\b", re.I)
# a multiple: "increased by 2.1 times year-on-year", "is five times that of 2002"
_MULTIPLE = re.compile(
    r"\b(?:by|is|was|are|were|be|reach(?:ed|es)?)\s+(?P<qual>more than\s+|over\s+|nearly\s+|"
    r"about\s+)?(?P<num>\d+(?:\.\d+)?|" + "|".join(SMALL_COUNT_WORDS)
    + r")\s+times\b(?!\s+(?:a|per|each|in)\b)", re.I)
# a count whose noun the clause gave before: "signed 303 projects, started 310 and put 300
# into operation", "the launch of 310 and operation of 300"
_ELLIPTICAL = re.compile(
    r"\b(?:signed|started|launched|completed|commenced|opened|landed|put|(?:launch|start|"
    r"operation|completion|signing|commencement)\s+of)\s+(?:another\s+)?(?P<num>\d{1,3}(?:,\d{3})*)"
    r"(?=\s*(?:[,;.]|and\b|into\b|throughout\b|$))", re.I)
_ENTERPRISE_WORDS = re.compile(r"\b(?:enterprises?|compan(?:y|ies)|firms?|factor(?:y|ies)|"
                               r"regulation|above-rule|above-scale|designated size)\b", re.I)
# "the number of high-tech enterprises had exceeded 3,000": a count whose noun precedes it.
_NUMBER_OF = re.compile(
    r"\bthe number of\s+(?:[\w-]+\s+){0,4}?(?P<noun>projects|enterprises|companies|firms)\b"
    r"[^,;.%]{0,60}?\b(?P<qual>reach(?:ed|es)?|exceed(?:ed|s)?|more than|over)\s+"
    + _NUM + r"\b(?!\s*(?:%|percent|percentage|yuan|RMB|trillion|billion|million|hundred))",
    re.I)
# "all industrial enterprises above designated size will ..." (全部规上企业): a goal for 100 %
# of them. Only a goal: "all enterprises attended" states no share.
_ALL_OF = re.compile(
    r"\ball\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?P<noun>enterprises|companies|firms)\b"
    r"(?:\s+above\s+(?:the\s+)?designated\s+(?:size|level|scale))?"
    r"\s+(?:will|shall|should|must|are to)\s+(?:be\s+|have\s+)?(?:fully\s+)?"
    r"(?:achieve|realize|complete|carry|implement|transform|transformed|covered|digitally)\w*",
    re.I)
# The Chinese order, noun before its count (项目359个, 企业8家): "signed industry project 359 and
# ...", "new provincial intelligent workshop 2", "little giant enterprises more than 300",
# "projects under construction have 186". The number ends its clause and has no unit after it.
_COUNT_AFTER = re.compile(
    r"\b(?P<noun>" + COUNT_NOUNS + r")\b(?P<gap>(?:\s+(?!(?:of|and|in|with|by|from|for|to)\b)"
    r"[a-z][a-z-]*){0,3}?\s+(?:have|has|had|reach(?:ed|es)?|exceed(?:ed|s)?|break through|"
    r"broke through|total(?:led|ed)?|numbered)|)\s+(?P<qual>more than\s+|over\s+|about\s+|"
    r"nearly\s+|at least\s+)?" + _NUM
    + r"(?![.,]?\d)(?=\s*(?:[,;.，；。)]|\band\b|$))", re.I)
# any other plural noun a whole number counts, up to two words after it ("18 talents", "3000
# new jobs", "1,000 industrial robots"), unless it counts time, parts of a text or of a plan, or
# people at a meeting
_ANY_COUNT = re.compile(
    r"(?<![\d.,])(?<!per )(?P<num>(?!0\d)(?:\d{1,3}(?:,\d{3})+|\d+))(?![.,]?\d)(?!\s*(?:%|-))"
    r"(?P<gap>(?:\s+(?!(?:of|and|or|in|to|from|the|a|an|for|with|by|on|at|is|are|was|were|"
    r"yuan|rmb|more|over|than|hundred|thousand|million|billion|trillion)\b)[a-z][a-z-]*){0,3}?)"
    r"\s+(?!\w+ics\s+[a-z])(?P<noun>[a-z]{2,}[^sui\W]s|people)\b"
    r"(?!\s+(?:per|representatives|leaders|heads|delegates|staff|employees|personnel)\b)", re.I)
_NOT_COUNTED = re.compile(
    r"^(?:years|months|weeks|days|hours|minutes|seconds|quarters|periods|phases|stages|times|"
    r"percents?|points|aspects|tasks|measures|areas|fields|links|steps|rounds|batches|sessions|"
    r"meetings|articles|words|things|others|members|delegates|representatives|leaders|heads|"
    r"comrades|participants|attendees|guests|principles|goals|targets|indicators|directions|"
    r"priorities|focuses|requirements|opinions|suggestions|questions|problems|categories|"
    r"types|kinds|levels|parts|sections|chapters|paragraphs|pages|lines|digits|decades|"
    r"centuries|terms|consecutive|lists|tons|tonnes|yuan|dollars|degrees|meters|metres|"
    r"kilometers|kilometres|hectares|acres|does|goes|makes|takes|sets|rises|grows|increases|"
    r"shows|requires|outlines|includes|runs|cadres|commissioners|officials|deputies|experts|"
    r"reporters|journalists|cities|counties|districts|provinces|countries|regions|venues|"
    r"chains|actions|families|homes|departments|bureaus|agencies|gbps|mbps|flops|pflops|"
    r"eflops)$", re.I)
# people are counted as a result ("employ 4000 people"), not as a meeting's attendance
_PEOPLE_NOUNS = re.compile(r"^(?:people|persons|entrepreneurs|volunteers|employees|workers|"
                           r"residents|villagers|students|visitors)$", re.I)
# a label or a date before the number: "Figure 2 shows", "Section 3", "On March 15 reporters"
_LABEL_OR_MONTH_BEFORE = re.compile(
    r"\b(?:Fig(?:ure)?|Table|Clause|Section|Article|Chapter|Group|Line|Phase|No|Item|Batch|"
    r"Round|Stage|Level|Class|Grade|Zone|Building|Room|Gate|Road|Street|Route|Jan(?:uary)?|"
    r"Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s*$")
_PROJECT_CLAUSE = re.compile(r"\bproject|\binvest", re.I)  # "41 items with a total investment"
_ATTENDANCE = re.compile(r"\b(?:attend|participa|present\b|delegat|meeting|conference)", re.I)
_LABEL_BEFORE = re.compile(r"\b(?:No|Number|Phase|Article|Item)\.?\s*$", re.I)  # "No. 1 Project"
_TOP = re.compile(r"\btop\s+(?P<n>\d+|ten|twenty|thirty|fifty|hundred)\b", re.I)
# "top 500 enterprises" names a category of companies, not a ranking or a count
_CATEGORY = re.compile(r"\b(?:top|Fortune|Global|World|China|national)\s+\d+\s+"
                       r"(?:enterprises|companies|firms)\b", re.I)
_COMPARATORS = {
    "more than": ">", "over": ">", "exceed": ">", "at least": ">=", "not less than": ">=",
    "no less than": ">=", "up to": "<=", "no more than": "<=", "not more than": "<=",
    "about": "~", "nearly": "~", "approximately": "~", "around": "~", "close to": "~",
    "shall not be less than": ">=", "will not be less than": ">=", "not be less than": ">=",
}
# a comma between the shares of a list ("rose 18.9%, 15.9% and 15.5% respectively") does not
# end the clause
_CLAUSE_BREAK = re.compile(r"[;，；]|,(?!(?:(?<=%,)|(?<=percent,)|(?<=per cent,))\s*"
                           r"(?:and\s+)?\d[\d.]*\s*(?:%|percent|per cent))")
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

@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    comparator: str
    start: int  # offsets of the number phrase in the text
    end: int
    clause: str  # verbatim clause containing it


_MEASURES = {"ton": "tons", "tonnes": "tons", "square metres": "square meters",
             "cubic metres": "cubic meters", "kilometres": "kilometers", "gw": "GW", "mw": "MW",
             "kw": "kW", "square kilometres": "square kilometers", "gwh": "GWh", "mwh": "MWh",
             "kwh": "kWh"}


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
    qualifier = _QUALIFIER_BEFORE.search(text, max(0, match.start() - _QUALIFIER_WINDOW),
                                         match.start())
    return Quantity(value, f"{high_scale} yuan",
                    _comparator(qualifier.group("qual") if qualifier else None),
                    match.start("high"), match.end(), _clause_at(text, match.start(), match.end()))


def plural_noun(noun: str) -> str:
    """The unit of a count: "enterprise" -> "enterprises", "factory" -> "factories"."""
    noun = noun.lower()
    if noun.endswith("y") and not noun.endswith("ey"):
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _comparator(qualifier: str | None) -> str:
    if not qualifier:
        return "="
    lowered = qualifier.lower()
    return next((op for word, op in _COMPARATORS.items() if lowered.startswith(word)), "=")


def _clause_at(text: str, start: int, end: int) -> str:
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


def find_quantities(text: str) -> list[Quantity]:
    """Every number-with-unit and ranking in the text, in order of position."""
    found: list[Quantity] = []
    for unit, pattern in UNIT_PATTERNS:
        for match in pattern.finditer(text):
            if unit == "count" and _YEAR_NUMBER.fullmatch(match.group("num")):
                continue  # "2023 key projects" is a year
            label, value = unit, _number(match.group("num"))
            if unit == "yuan":
                label = _yuan(text, match).unit
            elif unit == "count":  # "10 thousand enterprises" is 10,000 enterprises
                label = plural_noun(match.group("head") or match.group("noun"))
                value *= scale_factor(match.group("scale") or "")
            elif unit == "physical":
                label = " ".join([*(match.group("scale") or "").lower().split(),
                                  _MEASURES.get(match.group("measure").lower(),
                                                match.group("measure").lower())])
            qualifier = _QUALIFIER_BEFORE.search(
                text, max(0, match.start() - _QUALIFIER_WINDOW), match.start())
            start = qualifier.start() if qualifier else match.start()
            found.append(Quantity(value, label,
                                  _comparator(qualifier.group("qual") if qualifier else None),
                                  match.start("num"), match.end(),
                                  _clause_at(text, start, match.end())))
    split = [_split_figure(text, m) for m in _SPLIT_FIGURE.finditer(text)]
    found = [q for q in found if not any(s.start <= q.start < s.end for s in split)] + split
    for match in (m for pattern in _RANKS for m in pattern.finditer(text)):
        token = match.group("ord").lower()
        value = _ORDINALS.get(token) or int(re.sub(r"\D", "", token))
        found.append(Quantity(float(value), "rank", "=", match.start("ord"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _TOP.finditer(text):
        token = match.group("n").lower()
        value = _WORD_NUMBERS.get(token) or int(token)
        found.append(Quantity(float(value), "rank", "<=", match.start(), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _COUNT_AFTER.finditer(text):
        if _YEAR_NUMBER.fullmatch(match.group("num")) or "." in match.group("num"):
            continue  # a year; "Industry 4.0" names a stage, a count is whole
        found.append(Quantity(_number(match.group("num")), plural_noun(match.group("noun")),
                              _comparator(match.group("qual")), match.start("num"),
                              match.end(), _clause_at(text, match.start(), match.end())))
    for match in _NUMBER_OF.finditer(text):
        found.append(Quantity(_number(match.group("num")), match.group("noun").lower(),
                              _comparator(match.group("qual")), match.start("num"),
                              match.end(), _clause_at(text, match.start(), match.end())))
    for match in _FAMILIES.finditer(text):
        clause = _clause_at(text, match.start(), match.end())
        sentence = next((text[a:b] for a, b in sentence_spans(text) if a <= match.start() < b),
                        clause)
        if (_ENTERPRISE_WORDS.search(sentence)
                and not _YEAR_NUMBER.fullmatch(match.group("num"))):
            found.append(Quantity(_number(match.group("num")), "enterprises", "=",
                                  match.start("num"), match.end(), clause))
    for match in _PIECES_OF_LAND.finditer(text):
        found.append(Quantity(_number(match.group("num")), "plots", "=", match.start("num"),
                              match.end(), _clause_at(text, match.start(), match.end())))
    for match in _PART_OF.finditer(text):
        if not _YEAR_NUMBER.fullmatch(match.group("num")):
            found.append(Quantity(_number(match.group("num")), match.group("noun").lower(), "=",
                                  match.start("num"), match.end(),
                                  _clause_at(text, match.start(), match.end())))
    for match in _ALL_OF.finditer(text):
        found.append(Quantity(100.0, "%", "=", match.start(), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _THOUSANDS.finditer(text):
        found.append(Quantity(1000.0, match.group("noun").lower(), ">=", match.start(),
                              match.end(), _clause_at(text, match.start(), match.end())))
    for match in _SIZED_INDUSTRY.finditer(text):
        found.append(Quantity(_number(match.group("num")), f"{match.group('scale').lower()} yuan",
                              ">=", match.start("num"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _WORD_COUNT.finditer(text):
        qualifier = _QUALIFIER_BEFORE.search(text, max(0, match.start() - _QUALIFIER_WINDOW),
                                             match.start())
        found.append(Quantity(float(SMALL_COUNT_WORDS[match.group("num").lower()]),
                              match.group("noun").lower(),
                              _comparator(qualifier.group("qual") if qualifier else None),
                              match.start("num"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _MULTIPLE.finditer(text):
        number = match.group("num")
        value = float(SMALL_COUNT_WORDS.get(number.lower()) or _number(number))
        found.append(Quantity(value, "times", _comparator(match.group("qual")),
                              match.start("num"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    for match in _PART_OF_WHOLE.finditer(text):
        found.append(Quantity(_number(match.group("num")), match.group("noun").lower(), "=",
                              match.start("num"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    covered = [(q.start, q.end) for q in found]
    for match in _ANY_COUNT.finditer(text):
        start = match.start("num")
        if (any(a <= start < b for a, b in covered) or _NOT_COUNTED.match(match.group("noun"))
                or _YEAR_NUMBER.fullmatch(match.group("num"))
                or _LABEL_OR_MONTH_BEFORE.search(text, max(0, start - 12), start)):
            continue
        noun, clause = match.group("noun").lower(), _clause_at(text, match.start(), match.end())
        if ((noun == "items" and not _PROJECT_CLAUSE.search(clause))
                or (_PEOPLE_NOUNS.match(noun) and _ATTENDANCE.search(clause))):
            continue  # "the plan has 10 items"; "300 people attended"
        qualifier = _QUALIFIER_BEFORE.search(text, max(0, start - _QUALIFIER_WINDOW), start)
        found.append(Quantity(_number(match.group("num")), noun,
                              _comparator(qualifier.group("qual") if qualifier else None),
                              start, match.end(), clause))
    found.extend(_elliptical_counts(text, found))
    counted_classes = _counted_classes(text)
    for match in counted_classes:
        noun = (match.group("noun") or match.group("noun2")).lower()
        unit = "industries" if noun.startswith("industr") else noun.rstrip("s") + "s"
        found.append(Quantity(float(match.group("count")), unit,
                              "=", match.start("count"), match.end(),
                              _clause_at(text, match.start(), match.end())))
    classes = [(m.start(), m.end()) for m in _SIZE_CLASS.finditer(text)]
    counted = [(m.start(), m.end()) for m in counted_classes]
    found = [q for q in found
             if not (q.unit.endswith("yuan") and any(s <= q.start < e for s, e in classes))
             and not (q.unit.endswith("yuan") and any(s <= q.start < e for s, e in counted))]
    categories = [(m.start(), m.end()) for m in _CATEGORY.finditer(text)]
    categories += [(m.start("whole"), m.end("whole")) for m in _PART_OF_WHOLE.finditer(text)]
    categories += [(m.start(), m.end()) for pattern in (_AMONG_THE, _FRAMED_COUNT)
                   for m in pattern.finditer(text)]
    found = [q for q in found if not any(s <= q.start < e for s, e in categories)]
    found = [q for q in found if not _LABEL_BEFORE.search(text, max(0, q.start - 8), q.start)
             and not text[:q.start].endswith("+")]  # the "4" of a "1+4" label
    unique = {(q.start, q.unit): q for q in found}
    ordered = sorted(unique.values(), key=lambda q: q.start)
    thresholds = class_thresholds(text, ordered)
    return [q for q in ordered if q not in thresholds]


def _elliptical_counts(text: str, found: list[Quantity]) -> list[Quantity]:
    """Counts without their noun, in the unit of the count before them in their sentence."""
    added = []
    for match in _ELLIPTICAL.finditer(text):
        start = match.start("num")
        sentence = next(((a, b) for a, b in sentence_spans(text) if a <= start < b), (start, start))
        before = [q for q in found if sentence[0] <= q.start < start and not q.unit.endswith(
            ("yuan", "%", "points", "rank", "times"))]
        if before and not any(q.start == start for q in found):
            unit = max(before, key=lambda q: q.start).unit
            added.append(Quantity(_number(match.group("num")), unit, "=", start, match.end(),
                                  _clause_at(text, match.start(), match.end())))
    return added


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
            found.append(Quantity(_number(match.group("num").rstrip(".,")), f"{scale} yuan", "=",
                                  match.start(), match.end(),
                                  _clause_at(text, match.start(), match.end())))
    return found


_CHINESE_SCALES = {"万亿": "trillion", "亿": "hundred million", "万": "ten thousand",
                   "yi": "hundred million", "wan": "ten thousand", "bn": "billion",
                   "mn": "million", "ten thousand hundred million": "trillion"}
# 亿 and 万 in characters or pinyin; "RMB845.24bn"


def _yuan(text: str, match: re.Match[str]) -> Quantity:
    scale = (match.group("scale") or "").lower()
    label = f"{_CHINESE_SCALES.get(scale, scale)} yuan".strip()
    return Quantity(_number(match.group("num")), label, "=", match.start("num"), match.end(),
                    _clause_at(text, match.start(), match.end()))


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
