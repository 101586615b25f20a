from __future__ import annotations

import json

from extractor.models import CONTRACT_FIELDS
from extractor.store import storage
from extractor.store.export import export_articles, export_record, to_jsonl


def test_export_record_uses_contract_order_and_decodes_lists() -> None:
    row = {"id": "a:officials:0", "name": "Xu Nanji", "mentions": '["Xu Nanji", "Xu Na"]',
           "title": None, "organization": None, "role": None, "evidence": "Xu Na",
           "char_start": 3, "char_end": 8, "alignment": "exact", "flags": "[]"}
    record = export_record("officials", row)
    assert list(record)[:-1] == list(CONTRACT_FIELDS["officials"])
    assert record["mentions"] == ["Xu Nanji", "Xu Na"]
    assert record["grounding"] == {"char_start": 3, "char_end": 8, "alignment": "exact",
                                   "flags": []}


def test_export_articles_round_trip(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, {"article_id": "a1", "title": "T", "published": None,
                                      "place": "Jiaxing, Zhejiang", "text": "x",
                                      "repaired_text": "y", "sha256": "s"}, {})
    [obj] = list(export_articles(db))
    assert obj["article_id"] == "a1" and obj["repaired_text"] == "y"
    assert all(obj[table] == [] for table in storage.RECORD_TABLES)
    assert json.loads(next(to_jsonl(db)))["place"] == "Jiaxing, Zhejiang"
