"""Place names as the articles and annotations write them: ``"Zhenjiang, Jiangsu"`` is a
city and its province, ``"Zhenjiang City"`` and ``"zhenjiang"`` are one place. Shared by the
`places` table (extractor/store/places.py) and the scorer (extractor/evaluation)."""

from __future__ import annotations

import re

from extractor.text.gazetteer import PROVINCE_LEVEL_CITIES

_SUFFIX = re.compile(r"\s+(city|province|district|county|municipality|prefecture|"
                     r"new area|development zone)$", re.I)
_MUNICIPALITIES = frozenset(city.casefold() for city in PROVINCE_LEVEL_CITIES)


def place_key(name: str | None) -> str:
    """'Zhenjiang City' -> 'zhenjiang'; '' for no name."""
    text = " ".join((name or "").replace("’", "'").split()).strip(" .,;")
    return _SUFFIX.sub("", text).casefold()


def place_title(name: str) -> str:
    """'zhenjiang city' -> 'Zhenjiang'."""
    return _SUFFIX.sub("", " ".join(name.split())).strip(" .,;").title()


def split_article_place(place: str | None) -> tuple[str | None, str | None]:
    """'Zhenjiang, Jiangsu' -> ('Zhenjiang', 'Jiangsu'); 'Shanghai' -> ('Shanghai', 'Shanghai').

    The first part is the most local unit named (a city, or a county or district)."""
    parts = [part.strip() for part in re.split(r"[,，]", place or "") if part.strip()]
    if not parts:
        return None, None
    local = place_title(parts[0])
    province = place_title(parts[-1]) if len(parts) > 1 else None
    if province is None and place_key(local) in _MUNICIPALITIES:
        province = local
    return local, province


def same_place(expected: str | None, found: str | None) -> bool:
    """Whether ``found`` names the same most-local unit as ``expected`` (and, when both name
    one, the same province). A province alone is right only where the article is about the
    province: "Jiangsu" for "Zhenjiang, Jiangsu" is wrong."""
    local_e, province_e = split_article_place(expected)
    local_f, province_f = split_article_place(found)
    if local_e is None or local_f is None:
        return local_e is None and local_f is None
    if place_key(local_e) != place_key(local_f):
        return False
    return not (province_e and province_f) or place_key(province_e) == place_key(province_f)
