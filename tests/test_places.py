"""Places shared by articles and targets: cities and provinces from the articles' places,
targets' regions resolved to them, a person's name never taken for a place."""

from __future__ import annotations

import json

from extractor.store import storage
from extractor.store.places import rebuild_places


def _article(db, article_id: str, place: str) -> None:
    db["articles"].insert({"article_id": article_id, "title": article_id, "place": place,
                           "text": "", "sha256": article_id, "source_paths": "[]"})


def _target(db, record_id: str, article_id: str, region: str | None) -> None:
    db["targets"].insert({"id": record_id, "article_id": article_id, "metric": "m",
                          "value": 1.0, "unit": "yuan", "region": region, "flags": "[]"})


def test_regions_resolve_to_shared_places(tmp_path) -> None:
    db = storage.open_db(tmp_path / "x.db")
    _article(db, "a", "Zhenjiang, Jiangsu")
    _article(db, "b", "Yangzhou City, Jiangsu Province")
    _article(db, "c", "Xu Nanji, Jiangxi")  # the repair stage stored a person as the place
    db["officials"].insert({"id": "c:o:0", "article_id": "c", "name": "Xu Nanji",
                            "mentions": json.dumps(["Xu Nanji"]), "flags": "[]"})
    _target(db, "a:t:0", "a", "Zhenjiang City")
    _target(db, "a:t:1", "a", "Yangzhou")  # another article's city, named in this one
    _target(db, "a:t:2", "a", "Dantu District")
    _target(db, "b:t:0", "b", None)
    _target(db, "c:t:0", "c", "Xu Nanji")
    assert rebuild_places(db) == 5
    links = {row["id"]: (row["place_id"], row["place_source"]) for row in db["targets"].rows}
    assert links == {
        "a:t:0": ("jiangsu/zhenjiang", "region"), "a:t:1": ("jiangsu/yangzhou", "region"),
        "a:t:2": ("jiangsu/zhenjiang/dantu", "region"), "b:t:0": ("jiangsu/yangzhou", "article"),
        "c:t:0": ("jiangxi", "article")}
    places = {row["id"]: row for row in db["places"].rows}
    assert places["jiangsu/zhenjiang/dantu"]["level"] == "district"
    assert places["jiangsu/zhenjiang/dantu"]["city"] == "Zhenjiang"
    assert "jiangxi/xu nanji" not in places and places["jiangxi"]["level"] == "province"
    assert {row["article_id"]: row["place_id"] for row in db["articles"].rows} == {
        "a": "jiangsu/zhenjiang", "b": "jiangsu/yangzhou", "c": "jiangxi"}
    assert rebuild_places(db) == 5  # rebuilt, not added to
