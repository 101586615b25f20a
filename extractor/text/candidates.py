"""Deterministic candidates handed to the model: number sentences, names, quoted phrases,
and glossary terms found in the article. The model labels candidates instead of inventing."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.text.canonical import SURNAMES

_SYLLABLE = r"(?:[bcdfghjklmnpqrstwxyz]h?[aeiouv][a-z]{0,4}|[aeo][a-z]{0,3})"
_NAME = re.compile(
    rf"\b([A-Z][a-z]{{1,5}}|[A-Z]{{2,6}})\s+([A-Z][a-z]*{_SYLLABLE}?|[A-Z][a-z]{{1,11}})\b"
)
# Sentence boundaries: end punctuation then space, a run-together "level.Manufacturing",
# CJK end punctuation, or a line break. Splitting keeps every piece a verbatim substring.
_SENTENCE_END = re.compile(
    r"(?<=[.!?;])(?<!No\.)\s+|(?<=[a-z0-9%)”’][.])(?=[A-Z“])|(?<=[。！？；])\s*|\n+"
)
_HAS_NUMBER = re.compile(
    r"\d|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|top)\b"
    r"|\b(?:hundred|thousand|million|billion|trillion)s?\b",
    re.IGNORECASE,
)
_ONLY_DATE = re.compile(r"^\W*\d{4}-\d{2}-\d{2}\b[\w\s]{0,12}$")
_QUOTED = re.compile(r"[“\"]([^”\"\n]{2,80})[”\"]")


@dataclass(frozen=True)
class GlossaryHit:
    garbled: str  # verbatim text in the article
    repaired: str
    chinese: str | None
    note: str | None
    programme: str | None = None  # the initiative the term names, if it names one


def sentences(text: str) -> list[str]:
    """Verbatim sentences, also splitting run-together ones ("level.Manufacturing")."""
    return list(_sentences(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each verbatim sentence of ``sentences(text)``."""
    return list(_sentence_spans(text))


# Post-processing asks for the sentences of the same article dozens of times.
@functools.lru_cache(maxsize=32)
def _sentences(text: str) -> tuple[str, ...]:
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return tuple(part for part in parts if part)


@functools.lru_cache(maxsize=32)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in _sentences(text):
        found = text.find(sentence, cursor)
        if found == -1:
            continue
        cursor = found + len(sentence)
        spans.append((found, cursor))
    return tuple(spans)


def sentence_around(text: str, start: int, end: int) -> str:
    """The verbatim sentence of ``text`` that contains the span [start, end)."""
    for first, last in sentence_spans(text):
        if first <= start < last:
            return text[first:max(last, min(end, len(text)))]
    return text[start:end]


NUMBER_SENTENCES_SHOWN = 40  # the targets prompt lists at most this many (TargetItem.sentence)


def number_sentences(text: str, limit: int | None = NUMBER_SENTENCES_SHOWN) -> list[str]:
    """Sentences that state a number (digits, ordinals, magnitudes), skipping bare date lines."""
    found = [s for s in sentences(text) if _HAS_NUMBER.search(s) and not _ONLY_DATE.match(s)]
    return found if limit is None else found[:limit]


def name_candidates(text: str, *, lowercase_given: bool = False) -> list[str]:
    """Romanised Chinese personal names: a known surname followed by a capitalised given name.

    ``lowercase_given`` also takes a given name the translation left in lower case when it is
    two pinyin syllables and no English word ("Chen wenkai")."""
    seen: dict[str, None] = {}
    for match in _NAME.finditer(text):
        surname, given = match.group(1), match.group(2)
        if surname.lower() in SURNAMES and given.lower() not in {"city", "district", "county"}:
            seen.setdefault(f"{surname} {given}", None)
    if lowercase_given:
        for match in _LOWER_GIVEN.finditer(text):
            surname, given = match.group(1), match.group(2)
            if (surname.lower() in SURNAMES and pinyin_syllable_count(given) == 2
                    and not _spellchecker().known([given])):
                seen.setdefault(f"{surname} {given}", None)
    return list(seen)


_LOWER_GIVEN = re.compile(r"\b([A-Z][a-z]{1,5})\s+([a-z]{4,10})\b")
_PINYIN_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j",
                    "q", "x", "r", "z", "c", "s", "y", "w", "")
_PINYIN_FINALS = ("iang", "iong", "uang", "ang", "eng", "ing", "ong", "iao", "ian", "uai", "uan",
                  "ai", "ei", "ao", "ou", "an", "en", "er", "ia", "ie", "iu", "in", "ua", "uo",
                  "ui", "un", "ue", "a", "o", "e", "i", "u", "v")
PINYIN_SYLLABLES = frozenset(i + f for i in _PINYIN_INITIALS for f in _PINYIN_FINALS)


@functools.lru_cache(maxsize=4096)
def pinyin_syllable_count(word: str) -> int | None:
    """Fewest pinyin syllables that spell ``word`` exactly (toneless), or None."""
    word = word.lower()
    best: list[int | None] = [0] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            before = best[start]
            if before is not None and word[start:end] in PINYIN_SYLLABLES:
                best[end] = before + 1 if best[end] is None else min(best[end], before + 1)
    return best[len(word)]


def quoted_phrases(text: str, limit: int = 40) -> list[str]:
    """Phrases inside quote marks, the usual way translations mark named programmes."""
    seen: dict[str, None] = {}
    for match in _QUOTED.finditer(text):
        seen.setdefault(match.group(0), None)
    return list(seen)[:limit]


# Characters a translation writes in several ways: a glossary form matches any of them.
_FOLDED_CHARS = {"'": "['’‘]", "’": "['’‘]", '"': '["“”]', "“": '["“”]', "”": '["“”]',
                 "-": "[-‐–— ]"}


_WORD_RUN = re.compile(r"[^\W_]+")
_AnchorIndex = dict[str, list[tuple[int, str, int]]]
_ANCHOR_INDEXES: dict[int, tuple[Sequence[dict], _AnchorIndex]] = {}


def _forms_by_anchor(glossary: Sequence[dict]) -> _AnchorIndex:
    """(glossary order, form, entry index) keyed by the form's longest word, lower-cased.
    Each word of a form stands whole in any text the form matches, so only forms whose anchor
    is a word of the text need their regex run. Built once per glossary object."""
    cached = _ANCHOR_INDEXES.get(id(glossary))
    if cached is not None and cached[0] is glossary:
        return cached[1]
    index: _AnchorIndex = {}
    forms = [(form, position) for position, entry in enumerate(glossary)
             for form in entry.get("garbled") or []]
    for order, (form, position) in enumerate(forms):
        anchor = max(_WORD_RUN.findall(form.lower()), key=len, default="")
        index.setdefault(anchor, []).append((order, form, position))
    if len(_ANCHOR_INDEXES) > 8:
        _ANCHOR_INDEXES.clear()
    _ANCHOR_INDEXES[id(glossary)] = (glossary, index)  # holds the glossary: its id stays its own
    return index


@functools.lru_cache(maxsize=1024)
def _form_pattern(form: str) -> re.Pattern[str]:
    """Pattern of a lower-cased glossary form, to search lower-cased text; quotes, apostrophes
    and dashes match their curly or straight variants, and any run of spaces any whitespace.
    The word boundary before it is checked by the caller: a leading look-behind would make
    the regex engine try every position instead of scanning for the form's first letters."""
    pieces = []
    for char in form.strip().lower():
        if char.isspace():
            if pieces and pieces[-1] != r"\s+":
                pieces.append(r"\s+")
        else:
            pieces.append(_FOLDED_CHARS.get(char, re.escape(char)))
    return re.compile("".join(pieces) + r"(?!\w)")


def _lowered(text: str) -> str:
    """``text`` in lower case, character for character (offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _form_matches(form: str, lowered: str) -> Iterator[re.Match[str]]:
    """Whole-word matches of a glossary form in lower-cased text."""
    for match in _form_pattern(form).finditer(lowered):
        before = lowered[match.start() - 1] if match.start() else " "
        if not (before.isalnum() or before == "_"):
            yield match


def glossary_hits(text: str, glossary: Sequence[dict]) -> list[GlossaryHit]:
    """Glossary forms found in the text (whole words, any case, quotes and dashes in any
    style), in text order: each distinct form once, its first free occurrence; a longer form hides
    a shorter one inside it ("chain long system" over "chain long")."""
    lowered = _lowered(text)
    by_anchor = _forms_by_anchor(glossary)
    forms = [form_index for word in set(_WORD_RUN.findall(lowered)) & by_anchor.keys()
             for form_index in by_anchor[word]]
    found: list[tuple[int, int, GlossaryHit]] = []
    taken: dict[int, list[str]] = {}  # entry index -> the texts already found for it
    # longest first; among equal lengths, glossary order (not the word set's hash order)
    for _, form, index in sorted(forms, key=lambda nfi: (-len(nfi[1]), nfi[0])):
        if any(form.casefold() in seen for seen in taken.get(index, [])):
            continue  # "responsible comrade" again after "responsible comrades": one term
        match = next((m for m in _form_matches(form, lowered)
                      if not any(s < m.end() and m.start() < e for s, e, _ in found)), None)
        if match is None:
            continue
        entry = glossary[index]
        verbatim = text[match.start():match.end()]
        taken.setdefault(index, []).append(verbatim.casefold())
        found.append((match.start(), match.end(), GlossaryHit(
            garbled=verbatim,
            repaired=str(entry["repaired"]),
            chinese=entry.get("chinese"),
            note=entry.get("note"),
            programme=entry.get("programme"),
        )))
    return [hit for _, _, hit in sorted(found, key=lambda item: item[0])]


# Words a general English dictionary lacks but that are plain English in this genre.
GENRE_WORDS = frozenset({"informatization", "informatisation", "digitalization", "tech", "telecom",
                         "internet", "ecommerce", "intelligentization", "industrialization"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_URLISH = re.compile(r"\S+@\S+|\bwww\.\S+|https?://\S+")


@functools.lru_cache(maxsize=1)
def _spellchecker() -> Any:
    from spellchecker import SpellChecker  # heavy (loads a word list): once per process

    return SpellChecker()


def load_dictionary() -> None:
    """Load the English word list now (once per process)."""
    _spellchecker()


def unknown_words(text: str) -> list[str]:
    """Lower-case words no English dictionary knows: pinyin left in, fused or cut names."""
    cleaned = _URLISH.sub(" ", text)
    words = {w for w in re.findall(r"\b[a-z]{2,}\b", cleaned)}
    unknown = _spellchecker().unknown(words) - GENRE_WORDS
    return sorted(unknown, key=cleaned.find)


def repair_candidates(text: str, limit: int = 20) -> list[str]:
    """Verbatim phrases worth checking for garbling: quoted phrases and the few words around
    each unknown (likely pinyin) word."""
    found: dict[str, None] = {}
    tokens = list(_WORD.finditer(_URLISH.sub(lambda m: " " * len(m.group()), text)))
    unknown = set(unknown_words(text))
    for index, token in enumerate(tokens):
        if token.group() in unknown:
            left = tokens[max(0, index - 2)].start()
            right = tokens[min(len(tokens) - 1, index + 2)].end()
            found.setdefault(text[left:right], None)
    for phrase in quoted_phrases(text):
        found.setdefault(phrase, None)
    return list(found)[:limit]
