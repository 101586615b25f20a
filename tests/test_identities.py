from __future__ import annotations

import json

from extractor.store import storage
from extractor.store.identities import city_of, person_clusters, rebuild_identities


def official(name: str, mentions: list[str], title: str | None = None) -> dict:
    return {"name": name, "mentions": mentions, "title": title, "organization": None,
            "role": None, "evidence": name, "char_start": 0, "char_end": len(name),
            "alignment": "exact", "matched_text": name, "flags": []}


def initiative(name: str, mention: str) -> dict:
    return {"name": name, "mentions": [mention], "description": None, "level": "municipal",
            "period": None, "evidence": mention, "char_start": 0, "char_end": 1,
            "alignment": "exact", "matched_text": mention, "flags": []}


def save(db, article_id: str, place: str | None, records: dict) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, {"article_id": article_id, "title": "t", "text": "x",
                                      "repaired_text": "x", "sha256": article_id,
                                      "place": place}, records)


def test_city_of() -> None:
    assert city_of("Zhenjiang, Jiangsu") == "zhenjiang"
    assert city_of("Yingtan (Jiangxi)") == "yingtan"
    assert city_of(None) is None and city_of("") is None


def test_same_name_same_city_is_one_person_across_articles(db) -> None:
    save(db, "a1", "Yingtan, Jiangxi", {"officials": [official("Xu Nanji", ["Xu Nanji", "Xu Na"])]})
    save(db, "a2", "Yingtan, Jiangxi", {"officials": [official("Xu Nanji", ["Xu Nanji"])]})
    save(db, "a3", "Zhenjiang, Jiangsu", {"officials": [official("Xu Nanji", ["Xu Nanji"])]})
    people, _ = rebuild_identities(db)
    assert people == 2  # same name in another city is another person
    rows = {r["id"]: r for r in db["people"].rows}
    yingtan = rows["xu nanji|yingtan"]
    assert yingtan["article_count"] == 2
    assert json.loads(yingtan["mentions"]) == ["Xu Nanji", "Xu Na"]
    # "which articles mention this official" is one query
    articles = [r["article_id"] for r in db.query(
        "SELECT DISTINCT article_id FROM officials WHERE person_id = ? ORDER BY 1",
        ["xu nanji|yingtan"])]
    assert articles == ["a1", "a2"]


def test_case_variants_are_one_person(db) -> None:
    save(db, "a1", "Yingtan, Jiangxi", {"officials": [official("Cai Jiang", ["CAI Jiang"])]})
    save(db, "a2", None, {"officials": [official("CAI Jiang", ["CAI Jiang"])]})
    rebuild_identities(db)
    assert db["people"].count == 1
    assert next(db["people"].rows)["article_count"] == 2


def test_programmes_group_by_normalised_name(db) -> None:
    save(db, "a1", None, {"initiatives": [initiative("Four Groups and Eight Chains",
                                                     "“Four Groups and Eight chains”")]})
    save(db, "a2", None, {"initiatives": [initiative("four groups of eight chain",
                                                     "four groups of eight chain")]})
    _, programmes = rebuild_identities(db)
    assert programmes == 1
    row = next(db["programmes"].rows)
    assert row["article_count"] == 2
    linked = {r["programme_id"] for r in db["initiatives"].rows}
    assert linked == {row["id"]}


def test_rebuild_is_idempotent(db) -> None:
    save(db, "a1", None, {"officials": [official("Zhang Zijian", ["Zhang Zijian"])]})
    assert rebuild_identities(db) == rebuild_identities(db) == (1, 0)


def test_person_clusters_unknown_place_joins_known_city() -> None:
    rows = [{"name": "Yu Hongyan", "article_place": "Yingtan, Jiangxi"},
            {"name": "Yu Hongyan", "article_place": None}]
    assert list(person_clusters(rows)) == ["yu hongyan|yingtan"]


def test_trusted_views_exclude_suspects(db) -> None:
    bad = dict(official("Li Ming", ["Li Ming"]), alignment="none", flags=["evidence_not_found"])
    save(db, "a1", None, {"officials": [official("Zhang Zijian", ["Zhang Zijian"]), bad]})
    trusted = [r["name"] for r in db.query("SELECT name FROM trusted_officials")]
    assert trusted == ["Zhang Zijian"]
    assert db["officials"].count == 2  # the suspect is kept, only excluded from the view
