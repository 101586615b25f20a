from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from extractor.models import CallRecord
from extractor.store import storage


def article_row(article_id: str = "a1", text: str = "Zhenjiang grew 5%.") -> dict:
    return {"article_id": article_id, "title": "T", "headline": None, "published": None,
            "place": "Zhenjiang, Jiangsu", "text": text, "repaired_text": text,
            "sha256": f"sha-{article_id}", "source_paths": "[]", "extraction_key": "k1"}


def records() -> dict[str, list[dict]]:
    target = {"evidence": "grew 5%", "metric": "growth", "value": 5.0, "unit": "%",
              "comparator": "=", "kind": "actual", "period": None, "region": None,
              "initiative": None, "char_start": 10, "char_end": 17, "alignment": "exact",
              "matched_text": "grew 5%", "flags": []}
    official = {"evidence": "Mayor Li Ming", "name": "Li Ming", "mentions": ["Li Ming"],
                "title": "Mayor", "organization": None, "role": None, "char_start": None,
                "char_end": None, "alignment": "none", "matched_text": None,
                "flags": ["evidence_not_found"]}
    return {"targets": [target, dict(target, value=6.0)], "officials": [official]}


def test_schema_has_every_table(db) -> None:
    expected = {"articles", "runs", "llm_calls", "errors", *storage.RECORD_TABLES}
    assert expected <= set(db.table_names())
    assert db.journal_mode == "wal"
    assert "articles_fts" in db.table_names()


def test_save_is_idempotent(db) -> None:
    run_id = storage.start_run(db, model="m", prompt_hashes={"a.j2": "x"})
    storage.save_article(db, run_id, article_row(), records())
    storage.save_article(db, run_id, article_row(), records())
    assert db["articles"].count == 1
    assert db["targets"].count == 2
    assert db["officials"].count == 1
    row = next(db["officials"].rows)
    assert json.loads(row["mentions"]) == ["Li Ming"]
    assert json.loads(row["flags"]) == ["evidence_not_found"]


def test_rerun_with_fewer_records_removes_stale_rows(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, article_row(), records())
    storage.save_article(db, run_id, article_row(), {"targets": records()["targets"][:1]})
    assert db["targets"].count == 1
    assert db["officials"].count == 0


def test_rejected_records_are_stored_apart_and_replaced_on_rerun(db) -> None:
    run_id = storage.start_run(db, model="m")
    bad = dict(records()["targets"][0], value=700.0, flags=["value_not_in_evidence"],
               source="model", table="targets")
    storage.save_article(db, run_id, article_row(), {**records(), "rejected": [bad]})
    [row] = db[storage.REJECTED_TABLE].rows
    assert (row["record_table"], row["source"], row["evidence"]) == ("targets", "model", "grew 5%")
    assert json.loads(row["reasons"]) == ["value_not_in_evidence"]
    assert json.loads(row["record"])["value"] == 700.0
    assert db["targets"].count == 2  # the record tables never see it
    storage.save_article(db, run_id, article_row(), records())
    assert db[storage.REJECTED_TABLE].count == 0


def test_failed_write_leaves_previous_article_intact(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, article_row(), records())
    broken = {"targets": [{"id_clash": object()}]}  # not storable in SQLite
    with pytest.raises(Exception):  # noqa: B017 - any storage error
        storage.save_article(db, run_id, article_row(), broken)
    assert db["targets"].count == 2  # rolled back: old rows still there
    assert db["articles"].count == 1


def test_foreign_keys_hold(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, article_row(), records())
    assert list(db.query("PRAGMA foreign_key_check")) == []


def test_full_text_search(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, article_row("a1", "Yingtan copper industry"), {})
    storage.save_article(db, run_id, article_row("a2", "Zhenjiang chains"), {})
    hits = list(db["articles"].search("copper"))
    assert [h["article_id"] for h in hits] == ["a1"]


def test_runs_calls_errors_and_evals(db) -> None:
    run_id = storage.start_run(db, model="m", prompt_hashes={"system.j2": "abc"})
    storage.record_call(db, run_id, CallRecord(
        article_id="a1", stage="repair", model="m", attempt=1, status="http_error",
        started="t", latency_ms=3.0, error_type="RateLimitError", error="429"))
    storage.record_error(db, run_id, article_id="a1", path="a1.txt", stage="repair",
                         error_type="LLMError", message="boom")
    storage.finish_run(db, run_id, status="finished", record_counts={"targets": 2})
    run = db["runs"].get(run_id)
    assert run["status"] == "finished" and json.loads(run["prompt_hashes"]) == {"system.j2": "abc"}
    assert db["llm_calls"].count == 1 and db["errors"].count == 1
    storage.record_eval(db, "gold", {"micro": {"f1": 0.5}, "per_type": {"targets": {"f1": 0.7}}})
    row = next(db["evals"].rows)
    assert row["run_id"] == run_id and row["targets_f1"] == 0.7


def test_duplicate_content_records_both_names(db) -> None:
    run_id = storage.start_run(db, model="m")
    storage.save_article(db, run_id, article_row(), {})
    storage.add_source_path(db, "a1", "copy.txt")
    storage.add_source_path(db, "a1", "copy.txt")
    assert json.loads(db["articles"].get("a1")["source_paths"]) == ["copy.txt"]
    assert storage.article_by_sha(db, "sha-a1") == "a1"


def test_missing_folder_and_corrupt_file(tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="does not exist"):
        storage.open_db(tmp_path / "nope" / "x.db")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(storage.StorageError, match="corrupt.db"):
        storage.open_db(corrupt)


def test_concurrent_connection_waits_instead_of_failing(db_path: Path) -> None:
    first = storage.open_db(db_path)
    second = sqlite3.connect(str(db_path), timeout=0.1)
    second.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            third = sqlite3.connect(str(db_path), timeout=0.1)
            third.execute("BEGIN IMMEDIATE")
    finally:
        second.rollback()
    storage.start_run(first, model="m")  # lock released: works
    assert first["runs"].count == 1


def test_runs_left_running_by_a_dead_process_are_marked_killed(db) -> None:
    import socket

    dead = storage.start_run(db, model="m")
    db["runs"].update(dead, {"pid": 2**22 + 12345})  # no such process
    elsewhere = storage.start_run(db, model="m")
    db["runs"].update(elsewhere, {"pid": 2**22 + 12345, "host": socket.gethostname() + "-x"})
    alive = storage.start_run(db, model="m")  # this process: alive
    assert storage.mark_dead_runs(db) == 0  # the start above already marked the dead one
    statuses = {r["id"]: r["status"] for r in db["runs"].rows}
    assert statuses[dead] == "killed"
    assert statuses[elsewhere] == "running"  # another host: cannot tell, left alone
    assert statuses[alive] == "running"
