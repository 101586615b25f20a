from __future__ import annotations

from extractor.store import storage
from extractor.store.glossary import known_forms, suggest


def repair(original: str, repaired: str, note: str | None = None) -> dict:
    return {"original": original, "repaired": repaired, "category": "term", "note": note,
            "char_start": 0, "char_end": 1, "alignment": "exact", "flags": []}


def test_suggests_frequent_model_repairs_not_in_glossary(db) -> None:
    run_id = storage.start_run(db, model="m")
    for article in ("a1", "a2"):
        storage.save_article(db, run_id, {"article_id": article, "title": "t", "text": "x",
                                          "repaired_text": "x", "sha256": article}, {"repairs": [
            repair("Yong Yi Bear", "bravely take on heavy tasks"),
            repair("wisdom to turn", "intelligent transformation", note="glossary"),
            repair("chain length", "chain leader"),
        ]})
    glossary = [{"garbled": ["chain length"], "repaired": "chain leader"}]
    found = suggest(db, glossary, min_count=2)
    assert [(s.garbled, s.count, s.articles) for s in found] == [("yong yi bear", 2, 2)]
    assert suggest(db, glossary, min_count=3) == []


def test_known_forms_are_casefolded() -> None:
    assert known_forms([{"garbled": ["Wisdom To Turn"]}]) == {"wisdom to turn"}
