"""Turn compact stage outputs into full contract records, deterministically.

The model names a sentence number or a short verbatim mention; evidence spans and mention
lists are then taken from the article itself, so they are verbatim by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.models import InitiativeItem, MeetingItem, OfficialItem, Repair, TargetItem
from extractor.text.articles import lead_end
from extractor.text.candidates import name_candidates, sentence_around, sentence_spans
from extractor.text.canonical import choose_canonical, same_person
from extractor.text.grounding import align
from extractor.text.magnitudes import KEY_STOPWORDS, text_words
from extractor.text.numbers import value_in_evidence
from extractor.text.quantities import guess_period, stated_comparator

_CLAUSE_SPLIT = re.compile(r"(?<=[,;，；])\s*")
# Translations quote a programme's Chinese nickname and name its kind after the quote:
# “2+N” modern industrial system, “two modernizations” transformation, “wisdom to turn” funds.
PROGRAMME_HEADS = (r"systems?|plans?|actions?|projects?|zones?|city|cities|funds?|programm?es?|"
                   r"campaigns?|strateg(?:y|ies)|platforms?|mechanisms?|clusters?|models?|"
                   r"round table|maps?|transformation|initiatives?|industry|industries|"
                   r"services?")
_QUOTE_CLOSE = "”’\"'"
_HEAD_AFTER_QUOTE = re.compile(
    rf"\s+((?:(?!(?:and|or|the|of|to|for|in|with|by|on|is|are)\b)[A-Za-z-]+\s+){{0,3}}"
    rf"(?:{PROGRAMME_HEADS}))\b", re.I)


# the level of the body that owns a programme, read from its name and mention (else the
# article's own level, municipal unless the finalizer knows better)
_LEVEL_WORDS = (
    ("national", re.compile(r"\b(?:national|nationwide|country(?:'s)?|China(?:'s)?|"
                            r"state-level|central)\b", re.I)),
    ("provincial", re.compile(r"\b(?:province|provincial|province's|province-wide)\b", re.I)),
    ("district", re.compile(r"\b(?:district|county|township)\b", re.I)),
)
_YEAR_RANGE = re.compile(r"\b(20\d\d)\s*(?:-|–|—|to|~)\s*(20\d\d)\b")


def programme_level(*names: str) -> str | None:
    """national / provincial / district when a programme's own words say so, else None."""
    words = " ".join(names)
    return next((level for level, pattern in _LEVEL_WORDS if pattern.search(words)), None)


def programme_period(*texts: str) -> str | None:
    """The first year range ("2023-2025") in the programme's name, mention or sentence."""
    for text in texts:
        match = _YEAR_RANGE.search(text or "")
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def evidence_sentence(text: str, span: str) -> str:
    """The sentence around the first place ``span`` occurs; the span itself if not found."""
    found = align(span, text)
    if found.start is None or found.end is None:
        return span
    return sentence_around(text, found.start, found.end)


def clause_with_value(sentence: str, value: float, unit: str | None) -> str:
    """The shortest run of whole clauses of ``sentence`` that states the value."""
    clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c.strip()]
    for clause in clauses:
        if value_in_evidence(value, unit, clause):
            return clause.rstrip(" ,;，；")
    return sentence


def _sentence_stating(item: TargetItem, sentences: Sequence[str]) -> int:
    """The number of the sentence that states the item's value: the one the model gave, else
    the nearest one that does (a model miscounts the numbered sentences), else the model's."""
    given = item.sentence
    if 0 < given <= len(sentences) and value_in_evidence(item.value, item.unit,
                                                         sentences[given - 1]):
        return given
    unit_word = _unit_word(item.unit)
    stating = [n for n, sentence in enumerate(sentences, start=1)
               if abs(n - given) <= _REANCHOR_DISTANCE
               and value_in_evidence(item.value, item.unit, sentence)
               and (unit_word is None or unit_word.search(sentence))]
    return min(stating, key=lambda n: (abs(n - given), n)) if stating else given


_REANCHOR_DISTANCE = 10  # sentences either side of the one the model gave
_MONEY = re.compile(r"yuan|rmb|元|¥", re.I)


def _unit_word(unit: str | None) -> re.Pattern[str] | None:
    """What a sentence must say to state a figure in ``unit``: yuan for money, "%" or percent
    for a share, the counted noun's stem for a count ("project" for "projects")."""
    unit = (unit or "").strip().lower()
    if not unit:
        return None
    if _MONEY.search(unit):
        return _MONEY
    if unit in ("%", "percent", "per cent"):
        return re.compile(r"%|per ?cent", re.I)
    head = re.findall(r"[a-z]+", unit)
    if not head or head[-1] in ("rank", "times", "points"):
        return None
    return re.compile(r"\b" + re.escape(head[-1][:5]), re.I)


def assemble_targets(items: Sequence[TargetItem], sentences: Sequence[str]) -> list[dict]:
    """Targets from (sentence number, reading): the comparator is the one the sentence states
    for the figure, the period the sentence's year, else the year of the nearest figure before
    it (a paragraph on "last year" names it once)."""
    records = []
    periods: dict[int, str] = {}  # sentence number -> its stated year
    for index, sentence in enumerate(sentences, start=1):
        if (year := guess_period(sentence)) is not None:
            periods[index] = year
    for item in items:
        number = _sentence_stating(item, sentences)
        sentence = sentences[number - 1] if 0 < number <= len(sentences) else ""
        earlier = [n for n in periods if n <= number]
        records.append({
            "metric": item.metric, "value": item.value, "unit": item.unit,
            "comparator": stated_comparator(sentence, item.value, item.unit) if sentence else "=",
            "kind": item.kind, "period": periods[max(earlier)] if earlier else None,
            "region": item.region, "initiative": None,
            "evidence": clause_with_value(sentence, item.value, item.unit) if sentence else "",
        })
    return records


def official_mentions(name: str, text: str) -> list[str]:
    """Every romanised form in the text that is the same person as ``name``."""
    mentions = [c for c in name_candidates(text) if same_person(c, name)]
    if not mentions and align(name, text).status in {"exact", "normalized"}:
        mentions = [name]
    return mentions


def assemble_officials(items: Sequence[OfficialItem], text: str) -> list[dict]:
    records = []
    for item in items:
        mentions = official_mentions(item.name, text) or [item.name]
        records.append({
            "name": choose_canonical([item.name], mentions),
            "mentions": mentions,
            "title": item.title, "organization": item.organization, "role": item.role,
            "evidence": evidence_sentence(text, mentions[0]),
        })
    return records


def verbatim_mention(mention: str, text: str, repairs: Sequence[Repair] = ()) -> str:
    """The mention as written in the text: a model that echoes a repaired form from the
    prompt's repair hints gets that repair's verbatim original instead."""
    if align(mention, text).status in {"exact", "normalized"}:
        return mention
    folded = mention.casefold().strip(" “”\"'")
    for repair in repairs:
        if repair.repaired.casefold().strip(" “”\"'") == folded:
            return repair.original
    return mention


def head_and_nickname(mention: str, quoted: str) -> list[str]:
    """The mentions of a quoted nickname extended over its kind: both forms (“2+N” modern
    industrial system, and “2+N” alone), as a text may cite either."""
    return [mention] if quoted == mention or not quoted.strip() else [mention, quoted]


def with_programme_head(mention: str, name: str, text: str) -> tuple[str, str]:
    """(mention, name) extended over the kind that follows a quoted nickname in the text:
    “2+N” -> “2+N” modern industrial system. A name the model already wrote out is kept."""
    inner = mention.strip(" “”‘’\"'")
    found = text.find(mention)
    if not inner or found == -1:
        return mention, name
    end = found + len(mention)
    if mention[-1:] not in _QUOTE_CLOSE:  # the mention stops inside the quotes
        opened = found > 0 and text[found - 1] in "“‘\"'"
        if not opened or not text[end:end + 1] or text[end] not in _QUOTE_CLOSE:
            return mention, name
        found, end = found - 1, end + 1
    head = _HEAD_AFTER_QUOTE.match(text, end)
    if head is None:
        return mention, name
    same_name = name.strip(" “”‘’\"'").casefold() == inner.casefold()
    extended = text[found:head.end()]
    return extended, (f"'{inner}' {head.group(1)}" if same_name or not name else name)


def assemble_initiatives(items: Sequence[InitiativeItem], text: str,
                         repairs: Sequence[Repair] = ()) -> list[dict]:
    records = []
    for item in items:
        quoted = verbatim_mention(item.mention, text, repairs)
        mention, name = with_programme_head(quoted, item.name, text)
        evidence = evidence_sentence(text, mention)
        records.append({
            "name": name, "mentions": head_and_nickname(mention, quoted),
            "description": None,
            "level": programme_level(name, mention) or "municipal",
            "period": programme_period(name, mention, evidence), "evidence": evidence,
        })
    return records


_MEETING_WORDS = re.compile(r"\b(?:meetings?|conferences?|assembl(?:y|ies)|symposi(?:um|a)|"
                            r"forums?|seminars?|sessions?|supervision|inspections?|visits?)\b",
                            re.I)
# a sentence that reports a meeting taking place (not one that refers to another meeting)
_HELD = re.compile(r"\b(?:held|convened|opened|hosted|chaired|presided|took place|was staged)\b",
                   re.I)
_ANAPHORIC = re.compile(r"^(?:this|that|the|a)\s+(?:[\w-]+\s+)?(?:meeting|conference|symposium|"
                        r"forum|session|event)s?$", re.I)
# words every meeting description shares: they tell no meeting from another
_GENERIC_MEETING_WORDS = frozenset({
    "meeting", "meetings", "conference", "conferences", "work", "promotion", "mobilization",
    "mobilisation", "symposium", "forum", "session", "sessions", "seminar", "assembly",
    "supervision", "visit", "visits", "inspection", "executive", "study", "city", "municipal",
    "county", "district", "provincial", "held", "on", "in", "at", "this", "that"})
# the words before a meeting noun that name the meeting: "the city's industrial innovation and
# development three year action mobilization conference"
_MEETING_PHRASE = re.compile(
    r"(?<![\w’'])((?:(?!(?:the|a|an|at|on|in|was|were|is|held|convened|chaired|attended|by|"
    r"and then|to|said|that)\b)[\w’'“”\"\-]+\s+){1,12}?"
    r"(?:meeting|conference|symposium|forum|seminar|assembly|session|supervision(?: service)?|"
    r"inspection|visit))s?\b", re.I)


def meeting_sentence(text: str, words: str, *, first_held: bool = True) -> str | None:
    """The sentence that reports a meeting described by ``words`` (its mention, name and kind)
    when the mention is not verbatim: of the sentences with a meeting word, the one sharing
    most of the distinctive words (not "work", "meeting", "city", ...), the first on a tie;
    with no such word shared, the first that reports a meeting held (a report opens with
    its meeting), unless ``first_held`` is false. The headline and summary are not searched."""
    wanted = set(text_words(words)) - KEY_STOPWORDS - _GENERIC_MEETING_WORDS
    best: tuple[int, str] | None = None
    held: str | None = None
    body = lead_end(text)  # the headline and summary only announce the meeting
    for start, end in sentence_spans(text):
        if start < body:
            continue
        sentence = text[start:end]
        if not _MEETING_WORDS.search(sentence):
            continue
        if held is None and _HELD.search(sentence):
            held = sentence.strip()
        shared = len(wanted & set(text_words(sentence)))
        if shared and (best is None or shared > best[0]):
            best = (shared, sentence.strip())
    return best[1] if best else (held if first_held else None)


def meeting_phrase(sentence: str) -> str | None:
    """The words of ``sentence`` that name its meeting ("city's industrial ... mobilization
    conference"), or None."""
    match = _MEETING_PHRASE.search(sentence)
    if not match:
        return None
    phrase = match.group(0).strip()
    return phrase[0].upper() + phrase[1:]


def assemble_meetings(items: Sequence[MeetingItem], text: str,
                      repairs: Sequence[Repair] = ()) -> list[dict]:
    """Meetings with the sentence around their verbatim mention as evidence (else the sentence
    that reports them, ``meeting_sentence``)."""
    records = []
    for item in items:
        record = item.model_dump(exclude={"mention"})
        mention = verbatim_mention(item.mention, text, repairs)
        evidence = evidence_sentence(text, mention)
        anaphoric = bool(_ANAPHORIC.match(mention.strip()))  # "this conference"
        # only a mention that speaks of a meeting ("work meetings", "this conference") may stand
        # for the meeting the text reports and name it; another one is the model's own words
        speaks_of_meeting = bool(_MEETING_WORDS.search(mention))
        # a person, a body, a city or "this conference" names no meeting
        names_it = bool(_MEETING_WORDS.search(item.name)
                        and not _ANAPHORIC.match(item.name.strip()))
        if (anaphoric or not _MEETING_WORDS.search(evidence)
                or (evidence == mention and align(mention, text).start is None)):
            words = f"{mention} {item.name if names_it else ''} {item.kind}"
            evidence = meeting_sentence(text, words, first_held=speaks_of_meeting) or evidence
        record["evidence"] = evidence
        if not names_it and speaks_of_meeting:
            record["name"] = meeting_phrase(evidence) or item.name
        records.append(record)
    return records
