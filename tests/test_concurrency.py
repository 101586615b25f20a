"""Concurrent batches: calls of different articles overlap, each article's stages stay in order,
results equal a one-at-a-time run, a failing article does not stop the others, every write goes
through the single writer, and Ctrl-C (cancellation) stores no partial article.

Answers come from the recorded cassettes (tests/replay_server.py) or are scripted fixtures
(tests/fault_server.py); everything listens on 127.0.0.1 and every wait is bounded. Nothing
asserts on wall time: overlap is proven by requests held by the server until N are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from extractor.config import LOCAL_MODEL_NAME, Settings
from extractor.llm.client import LLMClient
from extractor.pipeline.batch import Batch, RunOptions, run_batch, run_batch_async
from extractor.store import storage
from extractor.store.export import to_jsonl
from extractor.testing.fault_server import (
    fixture_article,
    inject_hang,
    make_fault_server,
    request_text,
    stage_answer,
    write_fixture_articles,
)
from extractor.testing.replay_server import replay_server, synthetic_copies
from tests.conftest import SEEDS, articles_stored

FAST = functools.partial(LLMClient, backoff_initial=0.01, backoff_max=0.05)
STAGES = ["repair", "meetings", "officials", "initiatives", "targets"]
RUN_EXTRACTOR = [sys.executable, "-c", "from extractor.cli import cli; cli()"]
WRITE_WORDS = {"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "COMMIT", "CREATE", "ALTER"}


def settings(url: str, concurrency: int, **overrides: object) -> Settings:
    options: dict[str, object] = {
        "base_url": url, "model": LOCAL_MODEL_NAME, "embedded": False, "request_timeout": 10,
        "max_transport_retries": 1, "max_reasks": 1, "concurrency": concurrency}
    options.update(overrides)
    return Settings(**options)  # type: ignore[arg-type]


def rows(db, sql: str, params: tuple = ()) -> list[dict]:
    return list(db.query(sql, params))


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten articles: two copies of each seed, each with its own text (no duplicate, no cache)."""
    folder = tmp_path_factory.mktemp("copies")
    synthetic_copies(sorted(SEEDS.glob("*.txt")), 10, folder)
    return folder


@pytest.fixture(scope="module")
def sequential(copies: Path, tmp_path_factory: pytest.TempPathFactory):
    """The ten articles at concurrency 1 (the reference)."""
    db = storage.open_db(tmp_path_factory.mktemp("seq") / "seq.db")
    with replay_server() as server:
        summary = run_batch(db, settings(server.base_url, 1), server.base_url, [copies],
                            RunOptions(), client_factory=FAST)
        peak = server.peak_in_flight
    yield db, summary, peak
    db.close()


def test_concurrent_calls_overlap_and_results_equal_a_sequential_run(
        copies: Path, sequential, db) -> None:
    seq_db, seq_summary, seq_peak = sequential
    with replay_server(gate=4) as server:  # the first calls wait until 4 are in flight at once
        summary = run_batch(db, settings(server.base_url, 4), server.base_url, [copies],
                            RunOptions(), client_factory=FAST)
        peak, misses = server.peak_in_flight, server.misses

    assert seq_peak == 1
    assert peak == 4  # 4 articles' calls were at the server together, never more
    assert misses == 0
    assert (summary.done, summary.failed, summary.concurrency) == (10, 0, 4)
    assert (summary.llm_calls, summary.prompt_tokens, summary.completion_tokens) == (
        seq_summary.llm_calls, seq_summary.prompt_tokens, seq_summary.completion_tokens)
    assert summary.records == seq_summary.records
    assert list(to_jsonl(db)) == list(to_jsonl(seq_db))  # identical results, same order


def test_post_processing_in_a_worker_process_gives_the_same_records(
        copies: Path, sequential, db) -> None:
    seq_db, seq_summary, _ = sequential
    with replay_server() as server:
        batch = Batch(db, settings(server.base_url, 4, cpu_workers=1), server.base_url,
                      RunOptions(), client_factory=FAST)
        assert batch.offload.ready(timeout=60)  # up before the first article, not after
        summary = asyncio.run(batch.run([copies]))
    assert batch.offload.offloaded >= 6 * 10  # candidates, 3 assemblies, merge, finalize
    assert batch.offload.inline  # closed with the run
    assert (summary.done, summary.failed) == (10, 0)
    assert list(to_jsonl(db)) == list(to_jsonl(seq_db))


def test_each_article_runs_its_stages_in_order_one_at_a_time(sequential, db,
                                                             copies: Path) -> None:
    with replay_server(gate=3) as server:
        run_batch(db, settings(server.base_url, 3), server.base_url, [copies], RunOptions(),
                  client_factory=FAST)
    calls: dict[str, list[dict]] = {}
    for call in rows(db, "SELECT * FROM llm_calls ORDER BY id"):
        calls.setdefault(call["article_id"], []).append(call)
    assert len(calls) == 10
    for article_calls in calls.values():
        assert [c["stage"] for c in article_calls] == STAGES
        starts = [c["started"] for c in article_calls]
        assert starts == sorted(starts)  # each stage asked only after the one before answered


def test_a_failing_article_does_not_stop_the_others(copies: Path, tmp_path: Path, db) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in sorted(copies.glob("*.txt"))[:5]:
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "00002_unrecorded.txt").write_text(fixture_article("Wuxi"), encoding="utf-8")
    with replay_server() as server:
        summary = run_batch(db, settings(server.base_url, 4), server.base_url, [folder],
                            RunOptions(), client_factory=FAST)
    assert (summary.done, summary.failed) == (5, 1)
    (error,) = rows(db, "SELECT * FROM errors")
    assert (error["article_id"], error["stage"]) == ("00002_unrecorded", "repair")
    assert db["articles"].count == 5


def test_every_write_of_a_run_goes_through_the_single_writer(copies: Path, db) -> None:
    writes: Counter[str] = Counter()

    def trace(sql: str) -> None:
        if sql.split(None, 1)[0].upper() in WRITE_WORDS:
            with contextlib.suppress(RuntimeError):
                task = asyncio.current_task()
                writes[task.get_name() if task else "no task"] += 1

    db.conn.set_trace_callback(trace)
    try:
        with replay_server() as server:
            summary = run_batch(db, settings(server.base_url, 4), server.base_url, [copies],
                                RunOptions(), client_factory=FAST)
    finally:
        db.conn.set_trace_callback(None)
    assert summary.done == 10
    assert writes["sqlite-writer"] > 0
    assert not [name for name in writes if name.startswith(("worker", "feed"))], writes


def test_duplicates_in_flight_together_are_stored_once(copies: Path, tmp_path: Path,
                                                       db) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = sorted(copies.glob("*.txt"))[0].read_text(encoding="utf-8")
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(text, encoding="utf-8")
    with replay_server() as server:
        summary = run_batch(db, settings(server.base_url, 3), server.base_url, [folder],
                            RunOptions(), client_factory=FAST)
        requests = server.requests
    assert (summary.done, summary.skipped) == (1, 2)
    assert requests == len(STAGES)  # one article's calls, not three
    (article,) = rows(db, "SELECT * FROM articles")
    assert len(json.loads(article["source_paths"])) == 3


# -- cancellation (Ctrl-C) ---------------------------------------------------------------------

def hang_on(city: str, stage_schema: str):
    """Canned stage answers, except one stage of one article, which hangs (until the server
    stops)."""

    def responder(body: dict):
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if f" in {city}." in request_text(body) and schema == stage_schema:
            return inject_hang(30)
        return stage_answer(body)

    return responder


def test_cancelling_a_run_stores_no_partial_article_and_a_rerun_resumes(tmp_path: Path,
                                                                       db) -> None:
    ids = write_fixture_articles(tmp_path / "in", ("Wuxi", "Suzhou", "Nantong"))

    async def interrupted_run(url: str, server) -> None:
        task = asyncio.create_task(run_batch_async(
            db, settings(url, 3, model="test"), url, [tmp_path / "in"], RunOptions(),
            client_factory=FAST))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            hung = [r for r in server.requests if r.behaviour == "hang"]
            if hung and db["articles"].count == 2:
                break
            await asyncio.sleep(0.02)
        task.cancel()  # what Ctrl-C does to the run (asyncio.run cancels its main task)
        with pytest.raises(asyncio.CancelledError):
            await task

    with make_fault_server(responder=hang_on("Wuxi", "OfficialList")) as server:
        asyncio.run(interrupted_run(server.base_url, server))

    run = rows(db, "SELECT * FROM runs")[0]
    assert run["status"] == "interrupted" and run["finished"]
    assert (run["articles_done"], run["articles_failed"]) == (2, 0)
    stored = {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
    assert stored == {ids["Suzhou"], ids["Nantong"]}
    for table in storage.RECORD_TABLES:  # nothing of the article in flight
        assert db[table].count_where("article_id = ?", [ids["Wuxi"]]) == 0
    cached = {r["stage"] for r in rows(db, "SELECT stage FROM stage_results WHERE article_id = ?",
                                       (ids["Wuxi"],))}
    assert cached == {"repair", "meetings"}  # its finished stages are kept for the resume
    assert run["llm_calls"] == db["llm_calls"].count  # every answered call is accounted for

    with make_fault_server(responder=stage_answer) as server:
        again = run_batch(db, settings(server.base_url, 3, model="test"), server.base_url,
                          [tmp_path / "in"], RunOptions(), client_factory=FAST)
    assert (again.done, again.skipped, again.failed) == (1, 2, 0)
    assert again.llm_calls == 3  # officials, initiatives, targets of the interrupted article
    assert {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")} == set(
        ids.values())


def test_ctrl_c_on_the_command_line_stops_cleanly_with_a_message(tmp_path: Path) -> None:
    ids = write_fixture_articles(tmp_path / "in", ("Wuxi", "Suzhou", "Nantong"))
    db_path, log = tmp_path / "x.db", tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    with make_fault_server(responder=hang_on("Wuxi", "MeetingList")) as server:
        with log.open("w") as out:
            process = subprocess.Popen(
                [*RUN_EXTRACTOR, "run", str(tmp_path / "in"), "--base-url", server.base_url,
                 "--model", "test", "--concurrency", "3", "--db", str(db_path)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
                # as from a terminal: a test run started in the background of a shell (`cmd &`)
                # ignores SIGINT, and a child would inherit that and never see Ctrl-C
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                if any(r.behaviour == "hang" for r in server.requests) and \
                        articles_stored(db_path) == 2:
                    break
                time.sleep(0.05)
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    output = " ".join(log.read_text().split())  # rich wraps long lines
    assert process.returncode == 130, output
    assert "interrupted: run 1 stopped after 2 article(s) stored" in output
    assert "run the same command again to resume" in output
    assert "Traceback" not in output
    db = storage.open_db(db_path)
    (run,) = rows(db, "SELECT * FROM runs")
    assert (run["status"], run["articles_done"]) == ("interrupted", 2)
    assert ids["Wuxi"] not in {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
    db.close()
