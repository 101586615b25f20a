"""Places: one `places` row per province, city or district the articles name, shared by
articles and targets, so an analyst filters by city or province whatever the text wrote.

An article's place ("Zhenjiang, Jiangsu") gives a city and its province. A target's region is
resolved to a known place by its name ("Zhenjiang City", "Zhenjiang" and "zhenjiang" are one
city; "Hanjiang District" becomes a district of the article's city); a region that names no
place (a person's name, "the whole city") takes the article's place, and ``place_source`` says
which. An article "place" that is the name of one of its officials (a known failure of the
repair stage) is not a place: the article keeps its province only. Rebuilt from the stored
records after every run."""

from __future__ import annotations

import re

import sqlite_utils

from extractor.store import storage
from extractor.text.placenames import place_key, place_title, split_article_place

_DISTRICT = re.compile(r"\b(district|county|new area|development zone)$", re.I)


def rebuild_places(db: sqlite_utils.Database) -> int:
    """Rebuild `places` and relink articles and targets to them; returns the number of places."""
    places: dict[str, dict] = {}

    def add(name: str, level: str, city: str | None, province: str | None) -> str:
        place_id = "/".join(place_key(part) for part in (province, city, name if level ==
                                                          "district" else None) if part)
        places.setdefault(place_id, {"id": place_id, "name": name, "level": level,
                                     "city": city, "province": province})
        return place_id

    people: dict[str, set[str]] = {}  # article -> its officials' names (not places)
    for row in db.query("SELECT article_id, name FROM officials"):
        people.setdefault(row["article_id"], set()).add(place_key(row["name"]))
    article_places: dict[str, str | None] = {}
    known: dict[str, str] = {}  # place key -> place id
    for row in db.query("SELECT article_id, place FROM articles ORDER BY article_id"):
        city, province = split_article_place(row["place"])
        if city and place_key(city) in people.get(row["article_id"], set()):
            city = None  # a person's name stored as the place: keep the province only
        place_id = None
        if province:
            known.setdefault(place_key(province),
                             add(province, "province", None, province)
                             if place_key(province) != place_key(city) else "")
        if city:
            level = "city" if province else "unknown"
            place_id = add(city, level, city, province)
            known[place_key(city)] = place_id
        elif province:
            place_id = known.get(place_key(province))
        article_places[row["article_id"]] = place_id
    known = {key: value for key, value in known.items() if value}

    target_links: list[tuple[str | None, str, str]] = []
    for row in db.query("SELECT id, article_id, region FROM targets"):
        article_place = article_places.get(row["article_id"])
        region = (row["region"] or "").strip()
        key = place_key(region)
        if key in known:
            target_links.append((known[key], "region", row["id"]))
        elif region and _DISTRICT.search(region) and article_place:
            parent = places[article_place]
            target_links.append((add(place_title(region) + " " + _DISTRICT.search(region).group(1)
                                     .title(), "district", parent["city"], parent["province"]),
                                 "region", row["id"]))
        else:
            target_links.append((article_place, "article" if article_place else None,
                                 row["id"]))
    with storage.write(db):
        db.execute("UPDATE targets SET place_id = NULL, place_source = NULL")
        db.execute("UPDATE articles SET place_id = NULL")
        db.execute("DELETE FROM places")
        if places:
            db["places"].insert_all(places.values(), pk="id")
        db.conn.executemany(
            "UPDATE articles SET place_id = ? WHERE article_id = ?",
            [(place_id, article_id) for article_id, place_id in article_places.items()])
        db.conn.executemany("UPDATE targets SET place_id = ?, place_source = ? WHERE id = ?",
                            target_links)
    return len(places)
