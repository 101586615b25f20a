"""Cross-article identities: one `people` row per person, one `programmes` row per initiative.

Officials are the same person across articles when their canonical names agree (see
``canonical.person_key``) and their places are compatible (same city, or one unknown).
Initiatives are the same programme when their normalised names agree
(``canonical.initiative_key``). Rebuilt from the stored records after every run.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import sqlite_utils

from extractor.store import storage
from extractor.text.canonical import initiative_key, person_key


def city_of(place: str | None) -> str | None:
    """'Zhenjiang, Jiangsu' -> 'zhenjiang'."""
    if not place:
        return None
    city = re.split(r"[,，(]", place)[0].strip().casefold()
    return city or None


def person_clusters(rows: list[dict]) -> dict[str, list[dict]]:
    """Group official rows (with an `article_place` key) into people ids."""
    by_name: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        key = person_key(row.get("name") or "")
        if key:
            by_name[key].append(row)
    clusters: dict[str, list[dict]] = {}
    for key, group in by_name.items():
        cities = sorted({c for r in group if (c := city_of(r.get("article_place")))})
        if not cities:
            clusters[key] = group
            continue
        for city in cities:
            clusters[f"{key}|{city}"] = [
                r for r in group if city_of(r.get("article_place")) == city
            ]
        # rows whose place is unknown join the first city's person
        unknown = [r for r in group if city_of(r.get("article_place")) is None]
        clusters[f"{key}|{cities[0]}"].extend(unknown)
    return clusters


def _union(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _replace(db: sqlite_utils.Database, table: str, rows: list[dict], linked: str,
             column: str, links: list[tuple[str, str]]) -> None:
    """Replace an identity table and relink its records, in one transaction."""
    with storage.write(db):
        db.execute(f"UPDATE [{linked}] SET [{column}] = NULL")
        db.execute(f"DELETE FROM [{table}]")
        if rows:
            db[table].insert_all(rows, pk="id", alter=True)
        for record_id, identity in links:
            db.execute(f"UPDATE [{linked}] SET [{column}] = ? WHERE id = ?", [identity, record_id])


def rebuild_people(db: sqlite_utils.Database) -> int:
    rows = list(db.query(
        "SELECT o.id, o.name, o.mentions, o.title, o.article_id, a.place AS article_place "
        "FROM officials o JOIN articles a ON a.article_id = o.article_id"
    ))
    people = []
    links: list[tuple[str, str]] = []
    for person_id, group in person_clusters(rows).items():
        names = Counter(r["name"] for r in group)
        mentions = _union([m for r in group for m in json.loads(r["mentions"] or "[]")])
        people.append({
            "id": person_id,
            "name": names.most_common(1)[0][0],
            "place": next((r["article_place"] for r in group if r["article_place"]), None),
            "titles": json.dumps(_union([r["title"] for r in group]), ensure_ascii=False),
            "mentions": json.dumps(mentions, ensure_ascii=False),
            "article_count": len({r["article_id"] for r in group}),
        })
        links.extend((r["id"], person_id) for r in group)
    _replace(db, "people", people, "officials", "person_id", links)
    return len(people)


def rebuild_programmes(db: sqlite_utils.Database) -> int:
    rows = list(db.query("SELECT id, name, mentions, level, article_id FROM initiatives"))
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        key = initiative_key(row["name"] or "")
        if key:
            groups[key].append(row)
    programmes = []
    links: list[tuple[str, str]] = []
    for key, group in groups.items():
        levels = Counter(r["level"] for r in group if r["level"])
        programmes.append({
            "id": key,
            "name": Counter(r["name"] for r in group).most_common(1)[0][0],
            "level": levels.most_common(1)[0][0] if levels else None,
            "mentions": json.dumps(
                _union([m for r in group for m in json.loads(r["mentions"] or "[]")]),
                ensure_ascii=False,
            ),
            "article_count": len({r["article_id"] for r in group}),
        })
        links.extend((r["id"], key) for r in group)
    _replace(db, "programmes", programmes, "initiatives", "programme_id", links)
    return len(programmes)


def rebuild_identities(db: sqlite_utils.Database) -> tuple[int, int]:
    """Rebuild `people` and `programmes` and relink officials and initiatives to them."""
    return rebuild_people(db), rebuild_programmes(db)
