"""The article's place: the most local unit it is about, as ``"<unit>, <province>"``.

The model's answer is one vote; the places the text itself names are the others, read with the
gazetteer (extractor/text/gazetteer.py): each mention of a county or district counts for it and
for its city, each city for its province. An ambiguous name ("Taizhou" is in Jiangsu and in
Zhejiang) goes to the reading whose province or city the article also names. Names inside an
official's name ("Li Yongxing") are not places. The article is about a county or district when
the text names that unit at least twice and at least as often as its city, or when the text
speaks as a county or district ("the district committee and district government held ...")
and names one (a city's district, 区, only when the text speaks as it at least as often as as
"the city": a city's news names its districts; and a county only when it is named more often
than the city's other counties together); else about the city with the most votes (a
municipality named three times as often as any city is its own city: Chongqing), unless the
text speaks as a province ("our province", "the whole province") more than twice as often as it
names that city; else about the province."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from extractor.text.calques import place_calques
from extractor.text.canonical import SURNAMES
from extractor.text.gazetteer import PROVINCE_LEVEL_CITIES, Place, gazetteer, place_word_key
from extractor.text.placenames import split_article_place
from extractor.text.textfixes import MONTH_NAMES

# the article speaking of its own unit ("whole province": a translation drops the article)
_SELF = r"\b(?:[Tt]he (?:whole )?|[Oo]ur |[Tt]his |all the |[Ww]hole )"
# a district's or county's own news calls it "the district", in lower case ("the district
# committee and district government held ..."); "Qixia District Government" names another
_COUNTY_SELF = re.compile(_SELF + r"(?:district|county)\b")
_CITY_SELF = re.compile(_SELF + r"city\b")
_PROVINCE_SELF = re.compile(_SELF + r"province\b")
_WORD = re.compile(r"[A-Za-z](?:[A-Za-z\-]|['’](?![sS]\b))*[A-Za-z]")  # "Kunshan's": Kunshan


# a dateline names where the outlet filed from, and an outlet's name its home city, not the
# place the article is about: "JINAN, Oct. 19 (Xinhua) --", "China News Service, Chengdu,
# January 30 (Reporter ...)", "Economic Daily Nanchang news (reporter ...)", "Xiangcheng
# Metropolis Daily (Correspondent: ...)"
_MONTH = "(?:" + "|".join(month[:3] for month in MONTH_NAMES) + r")[a-z]*\.?"  # "Oct.", "Sept"
_DATELINE = re.compile(
    r"^[ \t]*(?:[A-Z][A-Z'’ -]+,[ \t]*" + _MONTH + r"[ \t]*\d{1,2}(?:,[ \t]*\d{4})?"
    r"(?:[ \t]*(?:\([^()\n]{1,40}\)|/[^/\n]{1,30}/))?[ \t]*(?:--|—|–|-)"
    r"|[^\n()]{0,60}?\b(?:News|Service|Daily|Agency|Net|Times|Online)\b[^\n()]{0,40}?"
    r"(?:,[ \t]*" + _MONTH + r"[ \t]*\d{1,2}(?:st|nd|rd|th)?[ \t]*\([^()\n]{0,80}\)"
    r"|[ \t]*\((?:[Rr]eporters?|[Cc]orrespondents?)\b[^()\n]{0,80}\)))", re.M)
_OUTLET = re.compile(
    r"\b[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?[ \t](?:Metropolis[ \t])?(?:Daily|Evening News)\b")


def outlet_spans(text: str) -> list[tuple[int, int]]:
    """Where the text names the outlet or the place it filed from (datelines, newspapers)."""
    return [(m.start(), m.end())
            for pattern in (_DATELINE, _OUTLET) for m in pattern.finditer(text)]


def _person_spans(text: str, officials: Sequence[dict]) -> list[tuple[int, int]]:
    forms = {form for o in officials for form in [o.get("name") or "", *(o.get("mentions") or [])]
             if len(form.split()) >= 2}
    return [(m.start(), m.end()) for form in forms
            for m in re.finditer(re.escape(form), text, re.I)]


def place_mentions(text: str, officials: Sequence[dict] = ()) -> list[tuple[Place, ...]]:
    """Every word (or two-word run, "Ma Anshan") of the text that names a place, and every place
    name translated character by character: the readings of each mention."""
    names = gazetteer()
    people = _person_spans(text, officials) + outlet_spans(text)
    words = list(_WORD.finditer(text))
    found: list[tuple[Place, ...]] = []
    skip_next = False
    for index, word in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        if any(start <= word.start() < end for start, end in people):
            continue
        readings = names.get(place_word_key(word.group()))
        after = words[index + 1] if index + 1 < len(words) else None
        if (not readings and after is not None and text[word.end():after.start()] == " "
                and word.group()[0].isupper() and after.group()[0].isupper()):
            readings = names.get(place_word_key(word.group() + after.group()))
            skip_next = readings is not None
        if not readings and word.group()[0].isupper():  # "Caofei dian", "Cao Fei Dian"
            readings = _split_name(text, words, index)
            skip_next = skip_next or readings is not None
        if readings and (word.group()[0].isupper() or len(word.group()) >= 6):
            found.append(readings)
    found.extend((calque.place,) for calque in place_calques(text))  # "Ginger weir district"
    return found


def _city_of(place: Place) -> str | None:
    """The prefecture-level city a place lies in, or is; a municipality is its own city."""
    if place.level == "province":
        return place.name if place.name in PROVINCE_LEVEL_CITIES else None
    return place.city


def _split_name(text: str, words: list[re.Match[str]], index: int) -> tuple[Place, ...] | None:
    """A county's or city's pinyin name of three syllables written in two or three words (not
    a province, not a person's name)."""
    for size in (3, 2):
        run = words[index:index + size]
        if len(run) < size or any(text[a.end():b.start()] != " "
                                  for a, b in zip(run, run[1:], strict=False)):
            continue
        found = gazetteer().get(place_word_key("".join(w.group() for w in run)))
        found = tuple(p for p in found or () if p.level != "province" and len(p.chinese) >= 3)
        if found and (size == 3 or run[0].group().casefold() not in SURNAMES):
            return found  # (two words after a surname are a person: "Wu Zhong")
    return None


def _choose(readings: tuple[Place, ...], provinces: Counter[str], cities: Counter[str]) -> Place:
    """The reading the rest of the article supports (else the highest-level one). A name that
    is also a province's ("Henan" is a county of Qinghai too) reads as the province unless the
    text names the other reading's city."""
    if readings[0].level == "province" and not any(cities[p.city] for p in readings[1:]
                                                   if p.city):
        return readings[0]
    return max(readings, key=lambda p: (cities[p.city] if p.city else 0, provinces[p.province],
                                        -readings.index(p)))


_UNIT_AFTER = re.compile(r"[ \t]+(?:County|District|county|district)\b")


def _chained_counties(text: str) -> list[Place]:
    """Counties written after their own city and before a unit word ("Zhejiang Lishui Suichang
    County"): an address that says which county the article is about, one more vote each."""
    names = gazetteer()
    words = list(_WORD.finditer(text))
    found = []
    for word, after in zip(words, words[1:], strict=False):
        if text[word.end():after.start()] != " " or not _UNIT_AFTER.match(text, after.end()):
            continue
        cities = {p.city for p in names.get(place_word_key(word.group()), ()) if p.level == "city"}
        found.extend(p for p in names.get(place_word_key(after.group()), ())
                     if p.level == "county" and p.city in cities)
    return found


def article_place(text: str, model_place: str | None,
                  officials: Sequence[dict] = ()) -> str | None:
    """``"Kunshan, Jiangsu"``, ``"Zhenjiang, Jiangsu"``, ``"Hebei"`` or, when the text names
    no place, the model's answer."""
    mentions = place_mentions(text, officials)
    local, _ = split_article_place(model_place)
    model_readings = gazetteer().get(place_word_key(local or "")) if local else None
    if model_readings and not any(r in m for m in mentions for r in model_readings):
        model_readings = None  # the model named a place the text never names
    if not mentions:  # the model's answer, unless it names a place the text never names
        return None if local and gazetteer().get(place_word_key(local)) else model_place
    in_text = len(mentions)  # the model's vote counts for the city, not against a county
    if model_readings:
        mentions.append(model_readings)
    # first pass: unambiguous mentions set the context; second: every mention, disambiguated
    provinces: Counter[str] = Counter()
    cities: Counter[str] = Counter()
    for readings in (m for m in mentions if len(m) == 1):
        provinces[readings[0].province] += 1
        cities.update([readings[0].city] if readings[0].city else [])
    chosen = [_choose(m, provinces, cities) for m in mentions]
    city_votes = Counter(p.city for p in chosen if p.city)
    municipalities = Counter(p.name for p in chosen
                             if p.level == "province" and p.name in PROVINCE_LEVEL_CITIES)
    if municipalities:  # named far more often than any city: the municipality's own news
        name, named = municipalities.most_common(1)[0]
        if named >= 3 and named >= 3 * max(city_votes.values(), default=0):
            city_votes = Counter({name: named})
    unit_votes = Counter(p for p in chosen)
    if not city_votes:
        province = Counter(p.province for p in chosen).most_common(1)[0][0]
        return province
    city, _ = city_votes.most_common(1)[0]
    city_in_text = sum(1 for p in chosen[:in_text] if _city_of(p) == city)
    speaks_as_province = len(_PROVINCE_SELF.findall(text))
    province_votes = Counter(p.province for p in chosen)
    if speaks_as_province >= 3 and speaks_as_province > 2 * city_in_text:
        return province_votes.most_common(1)[0][0]  # a province's news names a city in passing
    in_city = [p for p in unit_votes if _city_of(p) == city]
    province = in_city[0].province
    own_province_named = sum(1 for p in chosen[:in_text]
                             if p.level == "province" and p.province == province)
    if (city_in_text <= 2 and own_province_named >= 3 * city_in_text
            and not _CITY_SELF.search(text) and not _COUNTY_SELF.search(text)):
        # a province's news: the city is where it was announced, or one of several it lists
        return province
    cities_named = Counter(p.city for p in chosen[:in_text] if p.city and p.province == province)
    if not _CITY_SELF.search(text) and not _COUNTY_SELF.search(text) and (
            (speaks_as_province >= 3 and own_province_named > city_in_text
             and len(cities_named) >= 2)
            or (len(cities_named) >= 3 and max(cities_named.values()) == 1)):
        # the province speaks of itself and names its cities, or names three of them once each
        return province
    text_votes = Counter(chosen[:in_text])
    text_votes.update(_chained_counties(text))
    direct = sum(n for p, n in text_votes.items() if _city_of(p) == city and p.level != "county")
    counties = [(n, p) for p, n in text_votes.items() if p.city == city and p.level == "county"]
    if counties:  # a municipality's districts too (Pudong, Binhai New Area)
        n, county = max(counties, key=lambda item: item[0])
        as_county, as_city = len(_COUNTY_SELF.findall(text)), len(_CITY_SELF.findall(text))
        speaks_as_county = as_county >= 2 and as_county > as_city
        in_city_news = county.district and as_city > as_county  # Zibo's news on its Zhangdian
        # a city's news names several of its counties; a county's names itself far more
        one_of_many = n <= sum(count for count, _ in counties) - n
        if (n >= 2 and n >= direct and not in_city_news and not one_of_many) or speaks_as_county:
            return f"{county.name}, {province}"
    return city if city in PROVINCE_LEVEL_CITIES else f"{city}, {province}"


def figure_region(evidence: str, place: str | None, model_region: str | None,
                  text: str) -> str | None:
    """The place a target's figure applies to: the one county or district of the article's
    city that its evidence names ("Caofeidian, Hebei" in Tangshan's news), else the model's
    region when the text names it, else the article's place."""
    local, province = split_article_place(place)
    if local is None:
        return place
    key = place_word_key(local)
    named = {p for readings in place_mentions(evidence) for p in readings
             if p.level == "county" and key in (place_word_key(p.city or ""), place_word_key(
                 p.province))}
    named |= {c.place for c in place_calques(text) if c.place.level == "county"
              and c.text in evidence and key == place_word_key(c.place.city or "")}
    if len({p.name for p in named}) == 1:
        county = next(iter(named))
        return f"{county.name}, {county.province}"
    model_local, _ = split_article_place(model_region)
    if model_local and any(place_word_key(model_local) == place_word_key(p.name)
                           for readings in place_mentions(text) for p in readings):
        return model_region
    return place
