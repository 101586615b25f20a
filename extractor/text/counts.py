"""Counts written the genre's other ways: in the Chinese order ("signed industry project 359"),
with a measure word ("27 families"), in words ("five contracted projects"), as a part of a whole
("23 out of 34 industries"), as a multiple ("2.1 times"), without their noun ("started 310"),
and any plural noun a whole number counts ("18 talents"). ``quantities.find_quantities`` calls
``add_counts`` after the figures with units."""

from __future__ import annotations

import re

from extractor.text.candidates import sentence_spans
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
from extractor.text.numbers import SMALL_COUNT_WORDS, scale_factor

# Genre conventions for round Chinese figures (千项/千家, 百亿产业):
# "thousands of [industrial | “quoted”] projects" -> at least 1,000 projects;
# "a 10 billion industry" -> an industry of at least 10 billion yuan.
_THOUSANDS = re.compile(
    r"\bthousands of\s+(?:[“‘\"][^”’\"\n]{1,80}[”’\"]\s+|(?:[a-z-]+\s+){0,2})"
    r"(?P<noun>projects|enterprises|companies|firms)\b", re.I)
_SIZED_INDUSTRY = re.compile(
    NUM + r"\s*(?P<scale>trillion|billion|hundred million)(?:[- ]yuan)?\s+industr(?:y|ies)\b",
    re.I)
# 家, the measure word for enterprises, translated literally: "industrial enterprises 27 families",
# "22 home intelligent factory"; a count of enterprises where the clause speaks of them.
_FAMILIES = re.compile(NUM + r"\s+(?:families|family|homes|home)\b", re.I)
# 块/宗, the measure word for plots of land, translated literally: "45 piece industry land"
_PIECES_OF_LAND = re.compile(NUM + r"\s+pieces?\s+(?:of\s+)?(?:[a-z-]+\s+){0,2}?land\b", re.I)
# "accounted for 955 of the above-scale enterprises": a part of a counted whole
_PART_OF = re.compile(NUM + r"\s+of\s+the\s+(?:[a-z-]+\s+){0,3}?(?P<noun>projects|enterprises|"
                      r"companies|industries|parks)\b", re.I)
# "23 out of 34 industries", "28 of the city's 37 major industrial categories": the part is
# the figure, the whole only frames it; "Among the 12 main industries", "among the top ten"
_PART_OF_WHOLE = re.compile(
    r"(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})*)\s+(?:out\s+)?of\s+(?:the\s+)?(?:[a-z-]+'s\s+)?"
    r"(?P<whole>\d{1,3}(?:,\d{3})*)\s+(?:[a-z][a-z-]*\s+){0,3}?(?P<noun>[a-z]{2,}s)\b", re.I)
# "the province's 10 key industries", "13 key industrial chains", "9 big industry cluster" (九大
# 产业集群): the parts of a plan, not a count of things built
_FRAMED_COUNT = re.compile(r"\b\d+\s+(?:(?:big|key|major|main|pillar|priority)\s+){1,2}"
                           r"(?:industry\s+|industrial\s+)?(?:industries|industry|chains?|"
                           r"clusters?)\b", re.I)
_AMONG_THE = re.compile(r"\bamong\s+(?:the\s+)?(?:[a-z-]+'s\s+)?(?P<whole>\d[\d,]*|"
                        r"ten|twenty|thirty|fifty|hundred)\b", re.I)
# a count written in words, of things built, signed or run: "signed five contracted projects",
# "seven provincial-level industrial parks" (not "the five pillar industries", a list's name)
_WORD_COUNT = re.compile(
    r"(?<!\bthe\s)(?<!\bthese\s)(?<!\bthose\s)(?<![“\"‘])\b(?P<num>" + "|".join(SMALL_COUNT_WORDS)
    + r")\s+(?:(?!(?:of|and|or|in|to|the|is|are|was|were|hundred|thousand)\b)"
    r"[a-z][a-z&-]*(?<![^s]s)\s+){0,3}?"  # modifiers, no plural: "three years above-rule ..."
    r"(?P<noun>projects|enterprises|companies|firms|factories|workshops|platforms|parks|plants|"
    r"production lines|bases|base stations|buildings|laboratories)\b", re.I)
# a multiple: "increased by 2.1 times year-on-year", "is five times that of 2002"
_MULTIPLE = re.compile(
    r"\b(?:by|is|was|are|were|be|reach(?:ed|es)?|grow|grew|increased?|rose|lift(?:s|ed)?|"
    r"rais(?:e|es|ed)|improv(?:e|es|ed))\s+"
    r"(?P<qual>more than\s+|over\s+|nearly\s+|about\s+)?(?P<num>\d+(?:\.\d+)?|"
    + "|".join(SMALL_COUNT_WORDS)
    + r")\s+times\b(?!\s+(?:a|per|each|in)\b)"
    # or a comparison after it: "production line 3 times more", "5 times higher than"
    r"|(?<![\d.])(?P<num2>\d+(?:\.\d+)?)\s+times\s+(?=more\b|higher\b|larger\b|bigger\b|"
    r"that of\b)", re.I)
# a count whose noun the clause gave before: "signed 303 projects, started 310 and put 300
# into operation", "the launch of 310 and operation of 300"
_ELLIPTICAL = re.compile(
    r"\b(?:signed|started|launched|completed|commenced|opened|landed|put|(?:launch|start|"
    r"operation|completion|signing|commencement)\s+of"
    # the total after a count: "newly added 3 ... enterprises, total number reached 5"
    r"|total(?:\s+number)?\s+(?:reach(?:ed|es)?|broke(?:\s+through)?|exceed(?:ed|s)?))"
    r"\s+(?:another\s+)?(?P<num>\d{1,3}(?:,\d{3})*)"
    r"(?![.,]\d)"
    r"(?=\s*(?:[,;.]|and\b|into\b|throughout\b|$))", re.I)
_ENTERPRISE_WORDS = re.compile(r"\b(?:enterprises?|compan(?:y|ies)|firms?|factor(?:y|ies)|"
                               r"regulation|above-rule|above-scale|designated size)\b", re.I)
# "the number of high-tech enterprises had exceeded 3,000": a count whose noun precedes it.
_NUMBER_OF = re.compile(
    r"\bthe number of\s+(?:[\w-]+\s+){0,4}?(?P<noun>projects|enterprises|companies|firms)\b"
    r"[^,;.%]{0,60}?\b(?P<qual>reach(?:ed|es)?|exceed(?:ed|s)?|more than|over)\s+"
    + NUM + r"\b(?!\s*(?:%|percent|percentage|yuan|RMB|trillion|billion|million|hundred))",
    re.I)
# "all industrial enterprises above designated size will ..." (全部规上企业): a goal for 100 %
# of them. Only a goal: "all enterprises attended" states no share.
_ALL_OF = re.compile(
    r"\ball\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?P<noun>enterprises|companies|firms)\b"
    r"(?:\s+above\s+(?:the\s+)?designated\s+(?:size|level|scale))?"
    r"\s+(?:will|shall|should|must|are to)\s+(?:be\s+|have\s+)?(?:fully\s+)?"
    r"(?:achieve|realize|complete|carry|implement|transform|transformed|covered|digitally)\w*",
    re.I)
# 全覆盖 and 过半: "enterprise digitalization full coverage", "realize whole cover" (100 %),
# "more than half take part" (over 50 %)
_FULL_COVERAGE = re.compile(r"\b(?:full|whole|complete)\s+cover(?:age)?\b", re.I)
# ("time over half, task over half", 双过半, is a slogan for the year's midpoint)
_MORE_THAN_HALF = re.compile(r"\bmore than\s+half\b(?!\s+(?:a|an)\s)(?![\"”’])", re.I)
# a time limit (承诺 N 个工作日内): "approval time compressed to within 20 working days"
_WORKING_DAYS = re.compile(r"\bwithin\s+" + NUM + r"\s+(?:working|work)\s+days?\b", re.I)
# The Chinese order, noun before its count (项目359个, 企业8家): "signed industry project 359 and
# ...", "new provincial intelligent workshop 2", "little giant enterprises more than 300",
# "projects under construction have 186", "national green factories newly added 25". The number
# ends its clause and has no unit after it.
_COUNT_AFTER = re.compile(
    r"\b(?P<noun>" + COUNT_NOUNS + r")\b(?P<gap>(?:\s+(?!(?:of|and|in|with|by|from|for|to|"
    + COUNT_NOUNS + r")\b)"  # the noun nearest the count: "enterprise project new add 4"
    r"[a-z][a-z-]*){0,3}?\s+(?:have|has|had|reach(?:ed|es)?|exceed(?:ed|s)?|break through|"
    r"broke through|total(?:led|ed)?|numbered|add(?:ed|s)?)|)\s+"
    r"(?P<qual>more than\s+|over\s+|about\s+|"
    r"nearly\s+|at least\s+)?" + NUM
    + r"(?![.,]?\d)(?P<more>\s+(?:or\s+)?(?:more|above))?(?=\s*(?:[,;.，；。)]|\band\b|$))",
    re.I)
# the measure word after the count (个, 家, 条, 只 word by word): "sign project 120 item",
# "gather enterprise 500 family", "build 6 bar automatic production line"
_MEASURED = re.compile(
    r"\b(?P<noun>" + COUNT_NOUNS + r")\s+(?:(?!(?:of|and|in|to|the|projects?|enterprises?)\b)"
    r"[a-z-]+\s+){0,2}?(?P<qual>(?:not|no) less than\s+|more than\s+|over\s+|about\s+|"
    r"nearly\s+)?" + NUM + r"(?:\s+(?P<scale>ten thousand|thousand))?"
    r"(?P<more>\s+more)?\s+(?P<measure>items?|famil(?:y|ies)|homes?|only|ge)\b"
    # or the measure word before the noun: "start work of 59 items project"
    r"|" + NUM.replace("num", "num2") + r"\s+items?\s+(?:of\s+)?(?P<noun2>projects?)\b", re.I)
# any noun right before its count and a measure word no English count takes (家, 名, 条 word by
# word): "research platform 30 home", "alliance (association) 6 home", "talent 3000 name
# above", "digital production line near 1000 bar" ("items" and "pieces" follow verbs and
# names as often: "sign 300 items")
_NOUN_MEASURED = re.compile(
    r"\b(?P<noun>[a-z]{3,})(?:\s+\([^()\n]{1,30}\))?\s+"
    r"(?P<qual>near(?:ly)?\s+|about\s+|more than\s+|over\s+)?" + NUM
    + r"(?P<more>\s+more)?\s+(?P<measure>home|name|bar)\b(?P<above>\s+above)?"
    r"(?!\s+(?:of|in|with|[a-z]+\s+(?:representatives|delegates)|(?:" + COUNT_NOUNS + r"))\b)",
    re.I)
# what stands before a number without being the noun it counts
_NOT_A_NOUN = re.compile(
    r"^(?:the|and|or|of|to|in|on|at|by|for|with|from|than|have|has|had|reach|reached|total|add|"
    r"added|new|newly|build|built|set|up|year|years|month|months|day|days|about|only|more|over|"
    r"is|are|was|were|will|be|been|this|that|these|those|each|every|all|plan|plans|task|tasks|"
    r"measure|measures|aspect|aspects|article|articles|point|points|time|times|rank|row|list|"
    r"name|first|front|top|no|number|phase|stage|batch|round)$", re.I)
_BARS_OF_LINE = re.compile(NUM + r"\s+bars?\s+(?:[a-z-]+\s+){0,2}?(?:production\s+)?lines?\b",
                           re.I)
# 成 (tenths) word by word: "occupy 8 into" is 80 %, "increased nearly two into" about 20 %,
# "contribution more than four tenth" over 40 %
_TENTHS = re.compile(r"\b(?:occup(?:y|ies|ied)|account(?:s|ed)?\s+for|reach(?:es|ed)?|"
                     r"increas(?:e|es|ed)|gr[eo]w|rose|contribution)\s+"
                     r"(?P<qual>more than\s+|over\s+|nearly\s+|about\s+|near\s+)?"
                     r"(?P<num>\d(?:\.\d)?|two|three|four|five|six|seven|eight|nine)\s+"
                     r"(?:into|tenths?)\b", re.I)
# a fraction as a share: "nearly 1/4" is about 25 %
_FRACTION = re.compile(r"\b(?P<qual>nearly|about|over|more than|near|almost)\s+"
                       r"(?P<num>\d)/(?P<den>\d{1,2})(?![\d/])", re.I)
# 座 (a measure word of buildings, mines) word by word: "intelligent mines 12 seats", "build 10
# seats intelligent mines"
_SEATS = re.compile(r"\b(?P<noun>[a-z]{3,}s)\s+" + NUM + r"\s+seats?\b|"
                    + NUM.replace("num", "num2") + r"\s+seats?\s+(?:[a-z-]+\s+){0,2}?"
                    r"(?P<noun2>[a-z]{3,}s)\b", re.I)
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


def _at(text: str, match: re.Match[str], value: float, unit: str, comparator: str = "=",
        group: str = "num") -> Quantity:
    """The quantity a match states: its number at ``group``, its clause around the match."""
    return Quantity(value, unit, comparator, match.start(group), match.end(),
                    clause_at(text, match.start(), match.end()))


def _qualifier_before(text: str, at: int) -> str:
    qualifier = QUALIFIER_BEFORE.search(text, max(0, at - QUALIFIER_WINDOW), at)
    return comparator_for(qualifier.group("qual") if qualifier else None)


def add_counts(text: str, found: list[Quantity]) -> list[Quantity]:
    """``found`` (the quantities with units, ranks), then the counts read from the genre's other
    ways of writing them."""
    found = list(found)
    for match in _COUNT_AFTER.finditer(text):
        if YEAR_NUMBER.fullmatch(match.group("num")) or "." in match.group("num"):
            continue  # a year; "Industry 4.0" names a stage, a count is whole
        comparator = ">" if match.group("more") else comparator_for(match.group("qual"))
        found.append(_at(text, match, to_number(match.group("num")),
                         plural_noun(match.group("noun")), comparator))
    for match in _MEASURED.finditer(text):
        group = "num" if match.group("num") else "num2"
        number, noun = match.group(group), (match.group("noun") or match.group("noun2")).lower()
        homes = (match.group("measure") or "").lower().startswith(("famil", "home"))
        if homes and not noun.startswith(("enterprise", "compan", "firm")):
            continue  # "the project will power 2,000 homes": 家 counts enterprises only
        if not YEAR_NUMBER.fullmatch(number) and ("." not in number or match.group("scale")):
            unit = "enterprises" if noun.startswith("enterprise") else plural_noun(noun)
            value = to_number(number) * scale_factor(match.group("scale") or "")
            comparator = ">" if match.group("more") else comparator_for(match.group("qual"))
            found.append(_at(text, match, value, unit, comparator, group=group))
    found += [_at(text, m, to_number(m.group("num")), "production lines")
              for m in _BARS_OF_LINE.finditer(text)]
    for match in _NOUN_MEASURED.finditer(text):
        noun = match.group("noun").lower()
        if (_NOT_A_NOUN.match(noun) or re.fullmatch(COUNT_NOUNS, noun, re.I)
                or YEAR_NUMBER.fullmatch(match.group("num")) or "." in match.group("num")):
            continue  # _MEASURED reads the nouns it knows, with their modifiers
        comparator = (">" if match.group("more") or match.group("above")
                      else comparator_for(match.group("qual")))
        found.append(_at(text, match, to_number(match.group("num")), plural_noun(noun),
                         comparator))
    found += [_at(text, m, round(float(SMALL_COUNT_WORDS.get(m.group("num").lower())
                                       or m.group("num")) * 10, 6), "%",
                  comparator_for(m.group("qual"))) for m in _TENTHS.finditer(text)]
    found += [_at(text, m, round(100 * int(m.group("num")) / int(m.group("den")), 2), "%",
                  comparator_for(m.group("qual"))) for m in _FRACTION.finditer(text)
              if 0 < int(m.group("num")) < int(m.group("den"))]
    for match in _SEATS.finditer(text):
        group = "num" if match.group("num") else "num2"
        found.append(_at(text, match, to_number(match.group(group)),
                         (match.group("noun") or match.group("noun2")).lower(), group=group))
    found += [_at(text, m, to_number(m.group("num")), m.group("noun").lower(),
                  comparator_for(m.group("qual"))) for m in _NUMBER_OF.finditer(text)]
    for match in _FAMILIES.finditer(text):
        sentence = next((text[a:b] for a, b in sentence_spans(text) if a <= match.start() < b),
                        "")
        if (_ENTERPRISE_WORDS.search(sentence or clause_at(text, match.start(), match.end()))
                and not YEAR_NUMBER.fullmatch(match.group("num"))):
            found.append(_at(text, match, to_number(match.group("num")), "enterprises"))
    found += [_at(text, m, to_number(m.group("num")), "plots")
              for m in _PIECES_OF_LAND.finditer(text)]
    found += [_at(text, m, to_number(m.group("num")), m.group("noun").lower())
              for m in _PART_OF.finditer(text) if not YEAR_NUMBER.fullmatch(m.group("num"))]
    found += [Quantity(100.0, "%", "=", m.start(), m.end(), clause_at(text, m.start(), m.end()))
              for m in _ALL_OF.finditer(text)]
    found += [Quantity(100.0, "%", "=", m.start(), m.end(), clause)
              for m in _FULL_COVERAGE.finditer(text)  # of enterprises, not "key chain full cover"
              if _ENTERPRISE_WORDS.search(clause := clause_at(text, m.start(), m.end()))]
    found += [Quantity(50.0, "%", ">", m.start(), m.end(), clause_at(text, m.start(), m.end()))
              for m in _MORE_THAN_HALF.finditer(text)]
    found += [_at(text, m, to_number(m.group("num")), "working days", "<=")
              for m in _WORKING_DAYS.finditer(text)]
    found += [Quantity(1000.0, m.group("noun").lower(), ">=", m.start(), m.end(),
                       clause_at(text, m.start(), m.end())) for m in _THOUSANDS.finditer(text)]
    found += [_at(text, m, to_number(m.group("num")), f"{m.group('scale').lower()} yuan", ">=")
              for m in _SIZED_INDUSTRY.finditer(text)]
    found += [_at(text, m, float(SMALL_COUNT_WORDS[m.group("num").lower()]),
                  m.group("noun").lower(), _qualifier_before(text, m.start()))
              for m in _WORD_COUNT.finditer(text)]
    for match in _MULTIPLE.finditer(text):
        group = "num" if match.group("num") else "num2"
        number = match.group(group)
        value = float(SMALL_COUNT_WORDS.get(number.lower()) or to_number(number))
        found.append(_at(text, match, value, "times", comparator_for(match.group("qual")),
                         group))
    found += [_at(text, m, to_number(m.group("num")), m.group("noun").lower())
              for m in _PART_OF_WHOLE.finditer(text) if not _NOT_COUNTED.match(m.group("noun"))]
    covered = [(q.start, q.end) for q in found]
    for match in _ANY_COUNT.finditer(text):
        start = match.start("num")
        if (any(a <= start < b for a, b in covered) or _NOT_COUNTED.match(match.group("noun"))
                or YEAR_NUMBER.fullmatch(match.group("num"))
                or _LABEL_OR_MONTH_BEFORE.search(text, max(0, start - 12), start)):
            continue
        noun, clause = match.group("noun").lower(), clause_at(text, match.start(), match.end())
        if ((noun == "items" and not _PROJECT_CLAUSE.search(clause))
                or (_PEOPLE_NOUNS.match(noun) and _ATTENDANCE.search(clause))):
            continue  # "the plan has 10 items"; "300 people attended"
        if noun == "items" and re.search(r"\bprojects?\b", clause, re.I):
            noun = "projects"  # "start work project 1046 items, total investment ..."
        found.append(Quantity(to_number(match.group("num")), noun,
                              _qualifier_before(text, start), start, match.end(), clause))
    found.extend(_elliptical_counts(text, found))
    return found


def frame_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the numbers that frame a count rather than state one: the whole of "23 out of
    34 industries", "among the 12 main industries", "the province's 10 key industries"."""
    spans = [(m.start("whole"), m.end("whole")) for m in _PART_OF_WHOLE.finditer(text)]
    return spans + [(m.start(), m.end()) for pattern in (_AMONG_THE, _FRAMED_COUNT)
                    for m in pattern.finditer(text)]


def _elliptical_counts(text: str, found: list[Quantity]) -> list[Quantity]:
    """Counts without their noun, in the unit of the count before them in their sentence."""
    added = []
    for match in _ELLIPTICAL.finditer(text):
        start = match.start("num")
        sentence = next(((a, b) for a, b in sentence_spans(text) if a <= start < b), (start, start))
        before = [q for q in found if sentence[0] <= q.start < start and not q.unit.endswith(
            ("yuan", "%", "points", "rank", "times")) and q.unit[:1].isalpha()
            and not re.search(r"meters|tons|mu\b|acres|hectares|kilometers|W|Wh", q.unit)]
        if before and not any(q.start == start for q in found):
            unit = max(before, key=lambda q: q.start).unit
            added.append(Quantity(to_number(match.group("num")), unit, "=", start, match.end(),
                                  clause_at(text, match.start(), match.end())))
    return added
