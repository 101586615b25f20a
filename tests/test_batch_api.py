"""`extractor batch submit|status|collect` against a fake Batch API on loopback
(extractor/testing/fake_batch_api.py: files, batches, output and error files, an expired batch,
an invalid request, shuffled output): the requests are the live path's, the records equal a
live run's on the same canned answers, every request has its llm_calls row."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from extractor.testing.fake_batch_api import fake_batch_api
from extractor.testing.fault_server import (
    make_fault_server,
    request_text,
    response_model_name,
    stage_answer,
    write_fixture_articles,
)
from tests.conftest import exported, invoke

MODEL = "fixture-model"
CITIES = ["Wuxi", "Suzhou", "Changzhou", "Nantong"]


def canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True)


def test_batch_collect_stores_the_same_records_as_a_live_run(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write_fixture_articles(articles, CITIES)
    live = tmp_path / "live.db"
    with make_fault_server(responder=stage_answer) as server:
        result = invoke("run", str(articles), "--base-url", server.base_url, "--model", MODEL,
                        "--db", str(live))
        assert result.exit_code == 0, result.output
        live_bodies = {canonical(body) for body in server.bodies()}

    def invalid_once(body: dict) -> bool:  # one officials request of Suzhou is refused once
        return response_model_name(body) == "OfficialList" and "Suzhou" in request_text(body)

    db = tmp_path / "batch.db"
    with fake_batch_api(stage_answer, expire_batches={1}, invalid=invalid_once,
                        shuffle=True) as api:
        waves = 0
        while waves < 8:
            sent = invoke("batch", "submit", str(articles), "--db", str(db),
                          "--base-url", api.base_url, "--model", MODEL)
            assert sent.exit_code == 0, sent.output
            if "nothing to send" in sent.output:
                break
            waves += 1
            status = invoke("batch", "status", "--db", str(db), "--json")
            assert status.exit_code == 0
            assert [row["status"] for row in json.loads(status.output)] == ["in_progress"]
            got = invoke("batch", "collect", "--db", str(db), "--wait", "10", "--poll", "0.05")
            assert got.exit_code == 0, got.output
        batches = api.batches
        seen = api.requests_seen
    # wave 1 repair (expired half), wave 2 the rest of the repairs and the first extraction
    # stages, then the invalid request and what the expiry held back
    assert 3 <= waves <= 6, waves
    assert {b["status"] for b in batches.values()} == {"expired", "completed"}
    # every request sent is one the live path sent, byte for byte as JSON
    assert {canonical(line["body"]) for line in seen} == live_bodies
    assert exported(db) == exported(live)
    verify = invoke("verify", str(articles), "--db", str(db))
    assert verify.exit_code == 0
    with contextlib.closing(sqlite3.connect(db)) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM llm_calls GROUP BY status")
                        .fetchall())
        stages = conn.execute("SELECT count(*) FROM stage_results").fetchone()[0]
        batch_rows = conn.execute("SELECT count(*), count(collected) FROM llm_batches").fetchone()
        calls_per_run = conn.execute(
            "SELECT count(*) FROM llm_calls c JOIN llm_batches b ON b.run_id = c.run_id"
        ).fetchone()[0]
    assert statuses["ok"] == 5 * len(CITIES) and statuses["http_error"] == 1
    assert statuses["expired"] >= 1
    assert stages == 5 * len(CITIES)
    assert batch_rows == (waves, waves)
    assert calls_per_run == sum(statuses.values())  # every call belongs to its batch's run


def test_nothing_is_sent_twice_while_a_batch_is_open(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write_fixture_articles(articles, CITIES[:2])
    db = tmp_path / "batch.db"
    with fake_batch_api(stage_answer, polls=100) as api:
        first = invoke("batch", "submit", str(articles), "--db", str(db),
                       "--base-url", api.base_url, "--model", MODEL)
        assert "submitted batch batch-1: 2 request(s)" in first.output
        again = invoke("batch", "submit", str(articles), "--db", str(db),
                       "--base-url", api.base_url, "--model", MODEL)
        assert "nothing to send" in again.output and len(api.batches) == 1
        got = invoke("batch", "collect", "--db", str(db))
        assert "1 batch(es) still running" in " ".join(got.output.split())


def test_a_large_wave_goes_in_several_batches(tmp_path: Path, monkeypatch) -> None:
    from extractor.cluster import batch_api

    monkeypatch.setattr(batch_api, "MAX_REQUESTS", 2)
    articles = tmp_path / "articles"
    write_fixture_articles(articles, CITIES)
    db = tmp_path / "batch.db"
    with fake_batch_api(stage_answer) as api:
        sent = invoke("batch", "submit", str(articles), "--db", str(db),
                      "--base-url", api.base_url, "--model", MODEL)
        assert sent.exit_code == 0 and len(api.batches) == 2
        assert sorted(len(b["input_file_id"]) > 0 for b in api.batches.values()) == [True, True]
