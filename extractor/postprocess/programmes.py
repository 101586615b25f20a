"""Whether a model's "initiative" names a programme: the tests behind the
``not_a_programme_name`` flag (an amount, a company, a body, people, an outlet, a result, a
piece of a sentence, a bare kind of programme or a plain concept is none)."""

from __future__ import annotations

import re

from extractor.postprocess.assemble import PROGRAMME_HEADS
from extractor.text.canonical import SURNAMES
from extractor.text.gazetteer import gazetteer, place_word_key

_NUMBER_WORDS = re.compile(
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|"
    r"hundred|thousand|million|billion|trillion|double|\s|-|\+)+", re.I)
# "45 Projects", "50 million yuan industrial chain special funds", "Sinopec Group": an amount,
# a count or a company, not a programme
_AMOUNT_OR_COMPANY = re.compile(
    r"^\d[\d,.]*\s*(?:%|percent|(?:hundred |ten )?(?:thousand|million|billion|trillion)|yuan|"
    r"projects?|enterprises?|companies)\b|\b(?:group|co\.|company|corporation|ltd\.?|"
    r"limited)$", re.I)
_EVENT_HEAD = re.compile(
    r"\b(?:meeting|conference|symposium|forum|session|ceremon(?:y|ie)|expo)s?$", re.I)
# a place, named with its unit word: "Ejin Horo Banner", "Ordos City in North China's Inner
# Mongolia Autonomous Region" ("Science and Technology City", "Innovation Town" and "Digital
# Village" may be programmes, so a city, town or village is one only after place names)
_PLACE_UNIT_END = re.compile(r"\b(?:county|district|banner|prefecture|province|region|"
                             r"municipality)$", re.I)
_DESIGNATION = re.compile(r"\b(?:pilot|demonstration|model|innovative|innovation|national|"
                          r"provincial|advanced|strong|hundred|champion|famous|civilized)\b", re.I)
_PROGRAMME_HEAD = re.compile(rf"\b(?:{PROGRAMME_HEADS})\b", re.I)
# heads that make a programme only after a quoted nickname ("“two modernizations”
# transformation"): "digital transformation" or "the manufacturing industry" alone is a concept
_WEAK_HEAD = re.compile(r"^(?:transformation|industry|industries|city|cities|models?|services?|"
                        r"projects?)$",
                        re.I)
# a body, not a programme: "Municipal Bureau of Economics and Information Technology"
_ORGANIZATION = re.compile(
    r"^(?:[\w’'-]+\s+){0,4}?(?:bureau|committee|department|commission|ministry|administration|"
    r"office|government|institute|academy|university|association|federation)(?:\s+of\b.*)?$",
    re.I)
# a piece of a sentence: "and interoperability, yangzhou is ever", "distributed on"
# (or the text between two quoted names: '", and pushed out brands such as "')
_FRAGMENT_START = re.compile(
    r"^(?:[,;:、]|(?:and|or|but|of|to|on|in|for|with|by|is|are|was|were)\b)", re.I)
_FRAGMENT_END = re.compile(r"\b(?:on|of|to|for|in|with|by|and|or|the|a|an|is|are|was|ever|not|"
                           r"do|does|has|have|had|will|shall|can|must|should|important)$", re.I)
# Chinese characters: a name (or a repair) the model left in them ("“投资 promotion”") is no
# repaired English
CHINESE_CHARACTERS = re.compile(r"[\u3400-\u9fff]")
# a class of companies named without quotes: "national high-tech enterprises", "head enterprises"
_COMPANY_CLASS = re.compile(r"^(?:[\w’'-]+\s+){0,2}(?:enterprises|companies|firms)$", re.I)


# a result or a source line, not a programme: "output rose 11.3% to 252 billion yuan",
# "2019-08-02 Source: Bureau of Statistics"
_STATES_A_FIGURE = re.compile(
    r"\d\s*(?:%|percent\b|(?:trillion|billion|million|hundred million|ten thousand|yi|wan)?"
    r"\s*yuan\b)|\b\d+\s+(?:items?|families|more)\b"
    r"|\b\d+(?:\.\d+)?\s*(?:trillion|billion|million)\b|\b(?:19|20)\d\d-\d\d-\d\d\b|"
    r"\bsource\s*:|\b\d+(?:\.\d+)?:\d+\b|"
    r"\b(?:rose|fell|grew|increased|decreased|reached|stood|accounted)\b.*\d", re.I)
# people or an outlet, not a programme: "key enterprise main responsible person", "Vice Mayor
# Wang Hong", "City People's Government Official Website"
_PEOPLE = re.compile(r"\b(?:responsible persons?|persons? in charge|leaders|representatives|"
                     r"comrades|cadres|officials)$|^(?:vice |deputy |executive )?(?:mayor|"
                     r"secretary|governor|director|chairman|chairwoman)\b|\b(?:official )?"
                     r"(?:website|web portal|newspaper|daily|television|media centre|"
                     r"media center)$", re.I)


# the kind of a programme without its name: "three-year action plan", "special funds"
_BARE_KIND = re.compile(
    r"^(?:the\s+|a\s+|new\s+round\s+of\s+)*(?:[\w-]+-year\s+|three\s+year\s+)?(?:action\s+plans?|"
    r"actions?|plans?|implementation\s+opinions?|opinions?|special\s+funds?|funds?|polic(?:y|ies)|"
    r"projects?|programm?es?|campaigns?|strateg(?:y|ies)|measures?)$", re.I)


# a description of something, not its name (unquoted, mostly lower case): a relative clause
# ("stations that supply gasoline ..."), a finite verb ("petrochemical industry grows bigger",
# "signing is the beginning, landing is the key"), an adverb first ("successively to ..."), or a
# list of three or more ("smart innovation ecology, livable, workable and tourable")
_DESCRIPTION = re.compile(
    r"\b(?:that|which|who|whose)\s|\b(?:is|are|was|were|grows?|grew|becomes?|became|began|"
    r"begins|adheres?|insists?|started)\b|"
    r"^[a-z]+ly\b|^[^,]+,[^,]+(?:,| and )[^,]+$", re.I)
# the national plan's period, a time ("the 14th Five-Year Plan period", "fourteen five"), not a
# programme here
_FIVE_YEAR_PLAN = re.compile(
    r"^(?:the\s+)?(?:\d+(?:st|nd|rd|th)|(?:eleven|twelve|thirteen|fourteen|fifteen)(?:th)?)\s+"
    r"five(?:-year)?(?:\s+plan)?(?:\s+period)?$", re.I)
_OPENING_QUOTE = re.compile(r"[“\"]|(?:^|[\s(])['‘]")
# a count that opens the name: "1,896 industrial enterprises above designated size", "955 of
# the above-scale enterprises" (a quoted "12+1" nickname is a name)
_LEADING_COUNT = re.compile(r"^\d[\d,.]*\s+(?:of\s+)?[a-z]", re.I)
# a sentence about a subject: "Baotou will offer whole-process services"
_MODAL_VERB = re.compile(r"\b(?:will|shall|would|could)\s+[a-z]+", re.I)
_PLACE_UNIT = re.compile(r"^(?:the|autonomous|region|province|city|county|district|municipal|"
                         r"new|area|zone)$", re.I)


# a statistic, not a programme: "growth rate of industrial added value", "sales-output ratio
# increases month by month", "ranking ninth among ...", "Harbin industrial economy"
_STATISTIC = re.compile(r"\b(?:added value|output value|growth rate|year[- ]on[- ]year|same period|"
                        r"above designated size|industrial economy|ratio|ranking|proportion|"
                        r"share of|places higher|rate$|income|(?:yi|hundred million|ten thousand)"
                        r" yuan)\b", re.I)
# a stage of a process written "<verb> the <noun>": "sign the contract", "start the work"
_VERB_THE_NOUN = re.compile(r"[a-z]+ the [a-z]+")
# a post, in words or calqued word by word (市长 "city long", 书记 "book remember"): people
_POST = re.compile(r"\b(?:book remember|(?:city|county|district|province|town|bureau|hall) long|"
                   r"mayor|secretary|governor|deputy|vice)\b", re.I)
# a name that reads as a whole sentence of a garbled translation (nine words or more, no
# programme word, no designation): "relevant department and each county city district want
# press the time node advance project build"
_LONG_WITHOUT_HEAD = 9
# a count of things of a kind: "12 reconstruction and expansion projects", "1、 Key construction
# projects"
_COUNT_OF_KIND = re.compile(r"^\d[\d,.]*[、.]?\s+(?:[\w-]+\s+){0,7}(?:projects|enterprises|"
                            r"companies|parks|bases)$|^\d[\d,.]*\s*(?:(?:hundred |ten )?"
                            r"(?:thousand|million|billion|trillion)\s+)?yuan$", re.I)
# a lone lower-case word ("“hundred”", "“prescription”", "cloud"): a piece of a slogan or a
# concept, whatever name the model gives it; a programme's one-word name is capitalised ("Plan")
_ONE_COMMON_WORD = re.compile(r"[a-z]+")
# a company's or a town's park, not a designation: "Zhongpei Electronic Information Industrial
# Park" ("National ... Demonstration Park" is one)
_PARK = re.compile(r"\b(?:industrial|technology|science|industry|logistics)\s+park$", re.I)


def _person_name(name: str) -> bool:
    """Two or three words, a surname first, the given name capitalised or in short syllables:
    "Lin Jiatao", "Liu Si jia"."""
    words = name.split()
    return (2 <= len(words) <= 3 and words[0].casefold() in SURNAMES
            and all(w[:1].isupper() or (w.isalpha() and len(w) <= 4) for w in words[1:])
            and words[1][:1].isupper() and not _PROGRAMME_HEAD.search(name))


def _place_name(name: str) -> bool:
    """Only place names and unit words: "Inner Mongolia Autonomous Region"."""
    words = re.findall(r"[\w'’-]+", name)
    places = gazetteer()
    named = [w for w in words if not _PLACE_UNIT.match(w)]
    if not named:
        return False
    joined = place_word_key("".join(named))
    return joined in places or all(place_word_key(w) in places for w in named)


def _quoted_in(phrase: str, evidence: str) -> bool:
    """``phrase`` stands right after a quote mark in ``evidence``."""
    return bool(re.search(r"[“\"‘']\s*" + re.escape(phrase), evidence))


def _evidence(initiative: dict) -> str:
    return initiative.get("matched_text") or initiative.get("evidence") or ""


def _quoted(initiative: dict) -> bool:
    """A mention carries quote marks or stands in quotes in the evidence (a slogan's name)."""
    return any(_OPENING_QUOTE.search(m) or _quoted_in(m.strip(" “”‘’\"'"), _evidence(initiative))
               for m in initiative.get("mentions") or [] if m.strip(" “”‘’\"'"))


def _strong_head(phrase: str) -> bool:
    return any(not _WEAK_HEAD.match(m.group()) for m in _PROGRAMME_HEAD.finditer(phrase))


def names_a_programme(initiative: dict) -> bool:
    """An amount, a count, a company, a body ("Bureau of Commerce"), a piece of a sentence
    ("and ... is ever", "... has important"), a name left in Chinese characters and, written
    without quotes, a person ("Lin Jiatao"), a place ("Ejin Horo Banner"), a class of companies
    ("high-tech enterprises") or a figure ("output rose 11% to 25 billion yuan") is no
    programme; nor, unquoted and without a programme word, is a name that opens with a count or
    a sentence with a modal verb ("Baotou will offer ..."); a name with a programme word (plan,
    action, system, ...) is one.
    Else not a programme:
    every mention is one lower-case word ("“portrait”", named "portrait diagnosis") or only a
    number ("hundred"), the name is an event ("... work meeting"), or
    it is a sentence (an exhortation: mostly lower case, six words or more ending in . ! ?, or
    ten or more broken by a comma; a quoted slogan is shorter)."""
    name = (initiative.get("name") or "").strip(" “”‘’\"'")
    mentions = [m.strip(" “”‘’\"'.") for m in initiative.get("mentions") or [] if m.strip()]
    if (_AMOUNT_OR_COMPANY.search(name) or _ORGANIZATION.match(name) or _PEOPLE.search(name)
            or _FRAGMENT_START.match(name) or _FRAGMENT_END.search(name)
            or CHINESE_CHARACTERS.search(name)):
        return False
    if _BARE_KIND.match(name) or _FIVE_YEAR_PLAN.match(name):
        return False
    quoted = _quoted(initiative)  # a quoted nickname may be a name or a place ("“Ping'an”")
    if not quoted and (_person_name(name) or _place_name(name)
                       or (_PLACE_UNIT_END.search(name) and not _strong_head(name)
                           and not _DESIGNATION.search(name))):
        return False
    if (not quoted and not _strong_head(name)
            and (_LEADING_COUNT.match(name) or _MODAL_VERB.search(name))):
        return False
    if not quoted and (_COMPANY_CLASS.match(name) or _STATES_A_FIGURE.search(name)):
        return False
    words = name.split()
    lowercase = sum(word[:1].islower() for word in words) > len(words) / 2  # word salad
    if not quoted and (_POST.search(name) and not _strong_head(name)
                       or (lowercase and len(words) >= _LONG_WITHOUT_HEAD
                           and not _strong_head(name) and not _DESIGNATION.search(name))):
        return False
    written_lower = bool(mentions) and mentions[0][:1].islower()  # the model title-cases names
    if not quoted and (mentions and all(_COUNT_OF_KIND.match(m) for m in mentions)
                       or (_STATISTIC.search(name) and not _strong_head(name)
                           and (lowercase or written_lower))
                       or (_PARK.search(name) and not _DESIGNATION.search(name))):
        return False
    if lowercase and not quoted and _DESCRIPTION.search(name):
        return False
    if _EVENT_HEAD.search(name) and not quoted:
        return False  # "new materials industry high-quality development promotion meeting"
    if mentions and all(_ONE_COMMON_WORD.fullmatch(m) or _VERB_THE_NOUN.fullmatch(m)
                        for m in mentions):
        return False  # "“portrait”" named "portrait diagnosis": a word out of a slogan
    if _PROGRAMME_HEAD.search(name):
        return True
    if mentions and all(_NUMBER_WORDS.fullmatch(m) for m in mentions):
        return False
    if _EVENT_HEAD.search(name):
        return False
    ends_a_sentence = re.search(r"[.!?。]$", name) and len(words) >= 6
    return not (lowercase and (ends_a_sentence or ("," in name and len(words) >= 10)))


def generic_phrase(initiative: dict) -> bool:
    """A model "initiative" that the text writes as a plain phrase of at most three lower-case
    words, unquoted and with no programme word ("wind power", "business environment",
    "carbon neutrality"): a concept, not a named programme."""
    if initiative.get("source", "model") != "model":
        return False
    mentions = [m.strip(" “”‘’\"'") for m in initiative.get("mentions") or []]
    return bool(mentions) and all(
        m == m.lower() and len(m.split()) <= 3 and not _strong_head(m)
        and not _quoted_in(m, _evidence(initiative)) for m in mentions)
