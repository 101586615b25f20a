"""Reliability: transport and output faults during a whole batch, retry amplification, kill -9
and concurrent runs, a model server that dies mid-run, and bad input files.

Every "model answer" here is a scripted fault-injection FIXTURE from tests/fault_server.py
(canned ``chat.completion`` envelopes written for the tiny articles of ``fixture_article``) or
comes from a test double; no model is involved. Everything listens on 127.0.0.1 only, every
wait is bounded and every process a test starts is stopped by that test.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from extractor.backends import local_server
from extractor.backends.selection import open_backend
from extractor.cli import cli
from extractor.config import Settings
from extractor.errors import ArticleError, ConfigError, LLMError, LocalModelError
from extractor.llm.client import LLMClient
from extractor.llm.transport import REASK_ECHO_MAX_CHARS, REASK_ERROR_MAX_CHARS
from extractor.models import CallRecord
from extractor.pipeline import cache
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.pipeline.prompts import PromptLibrary
from extractor.store import storage
from extractor.testing.fault_server import (
    FIXTURE_RECORDS_PER_ARTICLE,
    FIXTURE_STAGE_ANSWERS,
    Behaviour,
    FaultServer,
    fixture_article,
    inject_empty,
    inject_garbage,
    inject_hang,
    inject_ok,
    inject_reset,
    inject_stall,
    inject_status,
    inject_truncated,
    make_fault_server,
    request_text,
    stage_answer,
    write_fixture_articles,
)
from extractor.text.articles import MAX_ARTICLE_BYTES, read_article
from tests.conftest import articles_stored

TESTS = Path(__file__).resolve().parent
FAST = functools.partial(LLMClient, backoff_initial=0.01, backoff_max=0.05)
CITIES = ("Wuxi", "Suzhou", "Nantong")
STAGES = ("repair", "meetings", "officials", "initiatives", "targets")
RUN_EXTRACTOR = [sys.executable, "-c", "from extractor.cli import cli; cli()"]


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def one_spellchecker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the repair stage's dictionary once per test instead of once per article (it takes
    ~0.2 s, which a thousand articles would pay a thousand times); same answers."""
    try:
        import spellchecker
    except ImportError:  # pragma: no cover - the repair stage no longer uses it
        return
    shared = spellchecker.SpellChecker()
    monkeypatch.setattr(spellchecker, "SpellChecker", lambda *args, **kwargs: shared)



def write_articles(folder: Path, cities: tuple[str, ...] = CITIES) -> dict[str, str]:
    """One fixture article per city; returns city -> article id."""
    return write_fixture_articles(folder, cities)


def about(body: dict, city: str) -> bool:
    return f" in {city}." in request_text(body)


def settings_for(url: str, **overrides: object) -> Settings:
    options: dict[str, object] = {
        "base_url": url, "model": "test", "embedded": False, "request_timeout": 5.0,
        "max_transport_retries": 2, "max_reasks": 1, "concurrency": 1,
    }
    options.update(overrides)
    return Settings(**options)  # type: ignore[arg-type]


def batch(db, server: FaultServer, folder: Path, **overrides: object):
    return run_batch(db, settings_for(server.base_url, **overrides), server.base_url, [folder],
                     RunOptions(), client_factory=FAST)


def rows(db, sql: str, params: tuple = ()) -> list[dict]:
    return list(db.query(sql, params))


def calls_about(db, article_id: str) -> list[dict]:
    return rows(db, "SELECT * FROM llm_calls WHERE article_id = ? ORDER BY id", (article_id,))


def record_counts(db, article_id: str) -> dict[str, int]:
    return {table: db[table].count_where("article_id = ?", [article_id])
            for table in storage.RECORD_TABLES}


def assert_tokens_add_up(db, run_id: int) -> None:
    """runs.* token totals are the sums over every attempt in llm_calls, failed ones included."""
    run = db["runs"].get(run_id)
    sums = rows(db, "SELECT coalesce(sum(prompt_tokens), 0) AS p, "
                "coalesce(sum(completion_tokens), 0) AS c, count(*) AS n "
                "FROM llm_calls WHERE run_id = ?", (run_id,))[0]
    assert (run["prompt_tokens"], run["completion_tokens"], run["llm_calls"]) == (
        sums["p"], sums["c"], sums["n"])


def assert_consistent(db) -> None:
    """No record without its article, every article with all its records, no duplicates."""
    articles = {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
    for table in storage.RECORD_TABLES:
        orphans = rows(db, f"SELECT DISTINCT article_id FROM [{table}] WHERE article_id NOT IN "
                           "(SELECT article_id FROM articles)")
        assert orphans == [], (table, orphans)
        dupes = rows(db, f"SELECT article_id, position, count(*) AS n FROM [{table}] "
                         "GROUP BY article_id, position HAVING n > 1")
        assert dupes == [], (table, dupes)
    for article_id in articles:
        latest = rows(db, "SELECT records FROM article_versions WHERE article_id = ? "
                          "ORDER BY id DESC LIMIT 1", (article_id,))[0]
        stored = json.loads(latest["records"])
        assert record_counts(db, article_id) == {
            t: len(stored.get(t, [])) for t in storage.RECORD_TABLES}, article_id
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert rows(db, "PRAGMA foreign_key_check") == []


# -- 1. faults in a whole batch ---------------------------------------------------------------

TRANSPORT_FAULTS: dict[str, tuple[Callable[[], Behaviour], str, str]] = {
    # name: (fault, text in the error message, llm_calls status of a failed attempt)
    "429": (lambda: inject_status(429), "RateLimitError", "http_error"),
    "429+Retry-After": (lambda: inject_status(429, retry_after="0.2"), "429", "http_error"),
    "500": (lambda: inject_status(500), "500", "http_error"),
    "502": (lambda: inject_status(502), "502", "http_error"),
    "503": (lambda: inject_status(503), "503", "http_error"),
    "reset": (inject_reset, "APIConnectionError", "connection_error"),
    "timeout before headers": (lambda: inject_hang(5), "APITimeoutError", "timeout"),
    "timeout mid-response": (lambda: inject_stall(5), "APITimeoutError", "timeout"),
    "empty body": (inject_empty, "not valid JSON", "bad_response"),
    "malformed JSON body": (inject_garbage, "not valid JSON", "bad_response"),
    "body cut mid-stream": (inject_truncated, "APIConnectionError", "connection_error"),
}
OUTPUT_FAULTS: dict[str, tuple[Callable[[], Behaviour], str, str]] = {
    "malformed JSON answer": (
        lambda: inject_ok('{"title": "Wuxi work', prompt_tokens=13, completion_tokens=17),
        "failed validation", "invalid_output"),
    "schema-invalid JSON answer": (
        lambda: inject_ok('{"place": "Wuxi"}', prompt_tokens=13, completion_tokens=17),
        "failed validation", "invalid_output"),
}
ALL_FAULTS = {**TRANSPORT_FAULTS, **OUTPUT_FAULTS}


def flaky_and_broken(fault: Callable[[], Behaviour]) -> Callable[[dict], Behaviour]:
    """Wuxi gets the fault once (recovers), Suzhou every time (fails), Nantong never."""
    state = {"wuxi": 0}

    def respond(body: dict) -> Behaviour:
        if about(body, "Wuxi") and state["wuxi"] == 0:
            state["wuxi"] += 1
            return fault()
        if about(body, "Suzhou"):
            return fault()
        return stage_answer(body)

    return respond


@pytest.mark.parametrize("name", list(ALL_FAULTS))
def test_fault_is_retried_boundedly_then_the_article_fails_and_the_batch_goes_on(
    db, tmp_path: Path, name: str
) -> None:
    fault, message, status = ALL_FAULTS[name]
    ids = write_articles(tmp_path / "in")
    settings = settings_for("", max_transport_retries=2, max_reasks=1)
    expected_attempts = (settings.max_transport_retries + 1 if name in TRANSPORT_FAULTS
                         else settings.max_reasks + 1)

    quick = {"request_timeout": 0.35} if "timeout" in name else {}
    with make_fault_server(responder=flaky_and_broken(fault)) as server:
        summary = batch(db, server, tmp_path / "in", **quick)
        suzhou_requests = [r for r in server.requests if about(r.json(), "Suzhou")]

    # the broken article: bounded attempts, then recorded in `errors` with stage and cause
    assert len(suzhou_requests) == expected_attempts
    assert (summary.done, summary.failed) == (2, 1), summary.failures
    (error,) = rows(db, "SELECT * FROM errors")
    assert (error["article_id"], error["stage"], error["error_type"]) == (
        ids["Suzhou"], "repair", "LLMError")
    assert message in error["message"]
    failed_calls = calls_about(db, ids["Suzhou"])
    assert [c["status"] for c in failed_calls] == [status] * expected_attempts
    assert all(c["error_type"] for c in failed_calls)
    assert db["articles"].count_where("article_id = ?", [ids["Suzhou"]]) == 0

    # the flaky article recovered: one failed attempt, then every stage
    wuxi_calls = calls_about(db, ids["Wuxi"])
    assert [c["status"] for c in wuxi_calls] == [status] + ["ok"] * len(STAGES)
    for city in ("Wuxi", "Nantong"):
        assert sum(record_counts(db, ids[city]).values()) == FIXTURE_RECORDS_PER_ARTICLE

    # tokens of failed attempts are counted (instructor#2391 would lose them)
    assert_tokens_add_up(db, summary.run_id)
    if name in OUTPUT_FAULTS:
        assert sum(c["completion_tokens"] for c in failed_calls) == 17 * expected_attempts
        assert summary.completion_tokens == 17 * (expected_attempts + 1) + 7 * 2 * len(STAGES)
    assert_consistent(db)


def test_answer_cut_by_max_tokens_is_not_retried_and_its_tokens_are_counted(
    db, tmp_path: Path
) -> None:
    ids = write_articles(tmp_path / "in", ("Wuxi", "Nantong"))
    cut = lambda: inject_ok('{"title": "Wuxi', completion_tokens=1800,  # noqa: E731
                            finish_reason="length")
    with make_fault_server(responder=flaky_and_broken(cut)) as server:
        summary = batch(db, server, tmp_path / "in")
    (error,) = rows(db, "SELECT * FROM errors")
    assert error["article_id"] == ids["Wuxi"] and "max_tokens" in error["message"]
    (call,) = calls_about(db, ids["Wuxi"])  # the same prompt would be cut again: no retry
    assert (call["status"], call["completion_tokens"]) == ("invalid_output", 1800)
    assert (summary.done, summary.failed) == (1, 1)
    assert_tokens_add_up(db, summary.run_id)


def test_retry_after_is_honoured_between_attempts(db, tmp_path: Path) -> None:
    write_articles(tmp_path / "in", ("Suzhou",))
    fault = TRANSPORT_FAULTS["429+Retry-After"][0]
    with make_fault_server(responder=flaky_and_broken(fault)) as server:
        batch(db, server, tmp_path / "in")
        times = [r.at for r in server.requests]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 2 and all(0.18 <= gap < 2 for gap in gaps)


def test_failed_article_is_computed_on_the_next_run_without_redoing_the_others(
    db, tmp_path: Path
) -> None:
    ids = write_articles(tmp_path / "in")
    with make_fault_server(responder=flaky_and_broken(lambda: inject_status(503))) as server:
        first = batch(db, server, tmp_path / "in")
    with make_fault_server(responder=stage_answer) as server:
        second = batch(db, server, tmp_path / "in")
        assert {a for r in server.requests for a in CITIES if about(r.json(), a)} == {"Suzhou"}
    assert (first.failed, second.done, second.skipped, second.llm_calls) == (1, 1, 2, 5)
    assert sum(record_counts(db, ids["Suzhou"]).values()) == FIXTURE_RECORDS_PER_ARTICLE
    assert_consistent(db)


# -- 2. retry amplification: token budget, bounded and capped re-asks ---------------------------


def test_token_budget_stops_each_article_before_the_call_that_would_exceed_it(
    db, tmp_path: Path
) -> None:
    ids = write_articles(tmp_path / "in")
    with make_fault_server(responder=stage_answer) as server:  # 11 + 7 tokens per answer
        summary = batch(db, server, tmp_path / "in", max_tokens_per_article=40)
        assert len(server.requests) == 3 * len(CITIES)  # 18, 36, 54 >= 40: no 4th call

    assert (summary.done, summary.failed) == (0, 3)
    errors = rows(db, "SELECT * FROM errors ORDER BY article_id")
    assert [e["stage"] for e in errors] == ["initiatives"] * 3
    assert {e["error_type"] for e in errors} == {"TokenBudgetExceededError"}
    assert f"token budget of 40 exceeded for article {ids['Wuxi']}" in errors[0]["message"]
    assert_tokens_add_up(db, summary.run_id)
    assert summary.prompt_tokens == 11 * 9


def test_token_budget_counts_failed_attempts_and_cuts_reasks_short(db, tmp_path: Path) -> None:
    ids = write_articles(tmp_path / "in")
    expensive_invalid = lambda: inject_ok('{"place": "x"}', completion_tokens=500)  # noqa: E731
    with make_fault_server(responder=flaky_and_broken(expensive_invalid)) as server:
        summary = batch(db, server, tmp_path / "in", max_tokens_per_article=300, max_reasks=3)
        suzhou = [r for r in server.requests if about(r.json(), "Suzhou")]

    assert len(suzhou) == 1  # 511 tokens spent on the first answer: no re-ask is sent
    error = rows(db, "SELECT * FROM errors WHERE article_id = ?", (ids["Suzhou"],))[0]
    assert (error["stage"], error["error_type"]) == ("repair", "TokenBudgetExceededError")
    assert "511 prompt + completion tokens" in error["message"]
    # Wuxi's one bad answer (511 tokens) also used its whole budget
    assert (summary.done, summary.failed) == (1, 2)
    assert_tokens_add_up(db, summary.run_id)
    assert summary.completion_tokens >= 1000


def test_token_budget_option_and_environment(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MAX_TOKENS_PER_ARTICLE", "1234")
    assert Settings.load().max_tokens_per_article == 1234
    assert Settings.load(max_tokens_per_article=99).max_tokens_per_article == 99
    monkeypatch.setenv("EXTRACTOR_MAX_TOKENS_PER_ARTICLE", "lots")
    with pytest.raises(ConfigError, match="whole number"):
        Settings.load()
    monkeypatch.delenv("EXTRACTOR_MAX_TOKENS_PER_ARTICLE")

    write_articles(tmp_path / "in", ("Wuxi",))
    with make_fault_server(responder=stage_answer) as server:
        result = CliRunner().invoke(cli, [
            "run", str(tmp_path / "in"), "--base-url", server.base_url, "--model", "test",
            "--db", str(tmp_path / "x.db"), "--max-tokens-per-article", "40"])
    assert result.exit_code == 1  # every article failed
    db = storage.open_db(tmp_path / "x.db")
    (error,) = rows(db, "SELECT * FROM errors")
    assert error["error_type"] == "TokenBudgetExceededError"
    assert "token budget of 40 exceeded" in error["message"]


class Item(BaseModel):
    name: str
    value: float


class Items(BaseModel):
    items: list[Item]


def test_reasks_are_bounded_and_their_messages_capped() -> None:
    # a long answer whose 400 items all fail validation: instructor would echo ~25 kB of answer
    # and ~60 kB of error text back on every re-ask
    huge_invalid = json.dumps({"items": [{"name": f"item {i} " + "x" * 40} for i in range(400)]})
    messages = [{"role": "system", "content": "Answer with JSON."},
                {"role": "user", "content": "List the items."}]
    with make_fault_server([inject_ok(huge_invalid) for _ in range(5)]) as server:
        records: list[CallRecord] = []
        client = FAST(settings_for(server.base_url, max_reasks=3), server.base_url,
                      records.append)
        with pytest.raises(LLMError, match="failed validation after 4"):
            asyncio.run(client.complete(Items, messages, article_id="a", stage="targets"))
        bodies = server.bodies()
        sizes = [len(r.body) for r in server.requests]

    assert len(bodies) == 4 and server.remaining == 1  # 1 + max_reasks, never more
    assert bodies[0]["messages"] == messages  # the first request is exactly the caller's
    for n, body in enumerate(bodies[1:], start=1):
        added = body["messages"][len(messages):]
        assert len(added) == 2 * n
        for message in added:
            limit = REASK_ECHO_MAX_CHARS if message["role"] == "assistant" \
                else REASK_ERROR_MAX_CHARS
            assert len(message["content"]) <= limit + 60
            assert "more characters cut" in message["content"]
    assert max(sizes) < sizes[0] + 3 * 2 * (REASK_ECHO_MAX_CHARS + REASK_ERROR_MAX_CHARS)
    assert [r.status for r in records] == ["invalid_output"] * 4


def test_transport_retries_times_reasks_is_the_hard_bound() -> None:
    invalid, unavailable = inject_ok('{"name": "w"}'), inject_status(503)
    script = [invalid, unavailable] * 3 + [inject_ok('{"name": "w", "value": 1}')]
    with make_fault_server(script) as server:
        client = FAST(settings_for(server.base_url, max_transport_retries=2, max_reasks=1),
                      server.base_url, lambda record: None)
        with pytest.raises(LLMError, match="503"):
            asyncio.run(client.complete(Item, [{"role": "user", "content": "w"}],
                                        article_id="a", stage="officials"))
        assert len(server.requests) == (2 + 1) * (1 + 1) and server.remaining == 1


# -- 3. kill -9 mid-batch, and two runs on one database -------------------------------------


def spawn_run(folder: Path, db_path: Path, url: str, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    with log.open("w") as out:
        return subprocess.Popen(
            [*RUN_EXTRACTOR, "run", str(folder), "--base-url", url, "--model", "test",
             "--concurrency", "1",  # one article at a time: the kill lands between articles
             "--db", str(db_path)], env=env, stdout=out, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


SIX = ("Wuxi", "Suzhou", "Nantong", "Yangzhou", "Taizhou", "Xuzhou")


def test_kill_9_mid_batch_then_rerun_resumes_without_partial_rows(tmp_path: Path) -> None:
    folder, db_path = tmp_path / "in", tmp_path / "x.db"
    ids = write_articles(folder, SIX)
    slow = functools.partial(stage_answer, delay=0.12)
    with make_fault_server(responder=slow) as server, \
            reaped(spawn_run(folder, db_path, server.base_url, tmp_path / "1.log")) as proc:
        deadline = time.monotonic() + 30
        while articles_stored(db_path) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "1.log").read_text()
            time.sleep(0.02)
        time.sleep(0.2)  # into the next article's stages
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    db = storage.open_db(db_path)
    assert_consistent(db)  # the kill left no partial article
    finished = {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
    assert 2 <= len(finished) < len(SIX)
    killed_run = rows(db, "SELECT * FROM runs")[0]
    assert killed_run["status"] == "running"  # it never got to finish: visibly not finished
    cached = rows(db, "SELECT count(*) AS n FROM stage_results WHERE article_id NOT IN "
                      "(SELECT article_id FROM articles)")[0]["n"]
    db.close()

    with make_fault_server(responder=stage_answer) as server:
        log = tmp_path / "2.log"
        with reaped(spawn_run(folder, db_path, server.base_url, log)) as again:
            again.wait(timeout=60)
        assert again.returncode == 0, log.read_text()

    db = storage.open_db(db_path)
    assert_consistent(db)
    assert {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")} == set(
        ids.values())
    second = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert second["status"] == "finished"
    recomputed = {r["article_id"] for r in rows(
        db, "SELECT DISTINCT article_id FROM llm_calls WHERE run_id = ?", (second["id"],))}
    assert recomputed.isdisjoint(finished)  # 0 calls for finished articles
    assert (second["articles_done"], second["articles_skipped"]) == (
        len(SIX) - len(finished), len(finished))
    # stages finished before the kill are reused, not asked again
    assert second["llm_calls"] == len(STAGES) * (len(SIX) - len(finished)) - cached
    for table in storage.RECORD_TABLES:
        assert db[table].count == len(SIX)


def test_two_runs_on_one_database_at_once_both_finish(tmp_path: Path) -> None:
    folder, db_path = tmp_path / "in", tmp_path / "x.db"
    write_articles(folder, SIX[:3])
    storage.open_db(db_path).close()  # an existing database, as after any earlier run
    with make_fault_server(responder=stage_answer) as server:
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        with reaped(spawn_run(folder, db_path, server.base_url, logs[0])) as first, \
                reaped(spawn_run(folder, db_path, server.base_url, logs[1])) as second:
            first.wait(timeout=60)
            second.wait(timeout=60)
    outputs = [log.read_text() for log in logs]
    for process, output in zip((first, second), outputs, strict=True):
        # either it finished, or it said clearly that the database was busy
        assert process.returncode == 0 or "database is busy" in output \
            or "database is locked" in output, output
        assert "Traceback" not in output
    db = storage.open_db(db_path)
    assert_consistent(db)
    assert db["articles"].count == 3
    statuses = [r["status"] for r in rows(db, "SELECT status FROM runs")]
    assert statuses.count("finished") == sum(p.returncode == 0 for p in (first, second)) >= 1


def test_busy_database_gets_a_clear_message(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_MS", 300)
    db_path = tmp_path / "x.db"
    storage.open_db(db_path).close()
    write_articles(tmp_path / "in", ("Wuxi",))
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with make_fault_server(responder=stage_answer) as server:
            result = CliRunner().invoke(cli, ["run", str(tmp_path / "in"), "--base-url",
                                              server.base_url, "--model", "test",
                                              "--db", str(db_path)])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    assert "locked" in result.output or "busy" in result.output


def test_storage_uses_wal_and_a_busy_timeout(db) -> None:
    assert db.journal_mode == "wal"
    assert rows(db, "PRAGMA busy_timeout")[0]["timeout"] == storage.BUSY_TIMEOUT_MS >= 5000


# -- 4. the embedded model server dies mid-run ------------------------------------------------

FAKE_LLAMA_SERVER = """\
#!{python}
# A fake llama-server: the fault server's canned stage answers plus /health, on --port.
import sys

from extractor.testing.fault_server import FaultServer, stage_answer
args = sys.argv[1:]
FaultServer(responder=stage_answer, port=int(args[args.index("--port") + 1]),
            health=True).serve_forever()
"""


@pytest.fixture
def fake_llama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """The embedded backend runs a fake llama-server script; yields every process started."""
    script = tmp_path / "fake-llama-server"
    script.write_text(FAKE_LLAMA_SERVER.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    model = tmp_path / "dummy.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(local_server, "server_binary", lambda: script)
    monkeypatch.setattr(local_server, "assemble_model",
                        lambda target_dir=None, progress=None: model)
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def embedded_run(db, folder: Path, kill_after: set[str], messages: list[str]):
    """Run the batch on the embedded (fake) server, SIGKILLing it after these articles."""
    settings = Settings(model="local-test", embedded=True, request_timeout=2,
                        max_transport_retries=1, concurrency=1)  # kills follow article order
    with open_backend(settings, replay=False, echo=messages.append) as url:
        server = url.ensure_alive.__self__  # the LocalServer behind the hook

        def progress(article_id: str, status: str) -> None:
            if status == "done" and article_id in kill_after:
                os.kill(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)

        try:
            return run_batch(db, settings, url, [folder], RunOptions(), progress,
                             client_factory=FAST, ensure_alive=url.ensure_alive)
        finally:
            messages.append(f"alive at end of block: {server.alive()}")


def test_dead_model_server_is_restarted_once_and_the_article_retried(
    db, tmp_path: Path, fake_llama: list
) -> None:
    ids = write_articles(tmp_path / "in")
    messages: list[str] = []
    summary = embedded_run(db, tmp_path / "in", {ids["Wuxi"]}, messages)

    assert (summary.done, summary.failed) == (3, 0), summary.failures
    assert rows(db, "SELECT * FROM errors") == []
    assert any("exited with code -9; restarting it" in m for m in messages), messages
    assert "alive at end of block: True" in messages
    assert len(fake_llama) == 2 and all(p.poll() is not None for p in fake_llama)
    suzhou = [c["status"] for c in calls_about(db, ids["Suzhou"])]
    assert suzhou[:2] == ["connection_error"] * 2 and suzhou[2:] == ["ok"] * len(STAGES)
    assert_consistent(db)


def test_model_server_dying_again_stops_the_run_with_a_clear_message(
    db, tmp_path: Path, fake_llama: list
) -> None:
    ids = write_articles(tmp_path / "in")
    messages: list[str] = []
    with pytest.raises(LocalModelError, match="again after 1 restart") as info:
        embedded_run(db, tmp_path / "in", {ids["Wuxi"], ids["Suzhou"]}, messages)
    assert "run the same command again to resume" in str(info.value)
    (error,) = rows(db, "SELECT * FROM errors")
    assert (error["article_id"], error["error_type"]) == (ids["Nantong"], "LocalModelError")
    assert rows(db, "SELECT status FROM runs")[0]["status"] == "interrupted"
    assert {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")} == {
        ids["Wuxi"], ids["Suzhou"]}
    assert all(p.poll() is not None for p in fake_llama)
    assert_consistent(db)


def test_live_server_is_not_restarted_for_an_unrelated_failure(
    db, tmp_path: Path, fake_llama: list
) -> None:
    write_articles(tmp_path / "in", ("Wuxi",))
    settings = Settings(model="local-test", embedded=True)
    with open_backend(settings, replay=False, echo=lambda message: None) as url:
        assert url.ensure_alive() is False
    assert len(fake_llama) == 1


# -- 5. bad input ------------------------------------------------------------------------------

BAD_FILES: dict[str, tuple[bytes, str]] = {
    # file name: (content, what the error says besides the file name)
    "empty.txt": (b"", "empty article"),
    "blank.txt": (b"  \r\n\t \n", "empty article"),
    "binary.txt": (bytes(range(256)) * 8, "binary file"),
    "gbk.txt": ("无锡市召开智改数转工作推进会议。".encode("gbk"), "GBK/GB18030"),
    "stray-bom.txt": (b"\xff\xfe\x00garbage", "not UTF-16 text"),
    "script-only.html.txt": (b"<html><body><script>x()</script></body></html>",
                             "HTML page without visible text"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_gets_a_clear_error_naming_it(tmp_path: Path, name: str) -> None:
    data, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=message) as info:
        read_article(path)
    assert str(path) in str(info.value)


def test_oversized_article_is_refused_by_size_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)  # sparse: 5 MB of nothing
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(ArticleError, match="over the 2,000,000-byte article limit") as info:
        read_article(path)
    assert "huge.txt: 5,242,880 bytes" in str(info.value)
    assert MAX_ARTICLE_BYTES == 2_000_000


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    text = fixture_article("Wuxi")
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    path = tmp_path / "u16.txt"
    path.write_bytes(bom + text.encode(codec))
    assert read_article(path).text == text


def test_utf16_chinese_is_not_mistaken_for_a_stray_bom(tmp_path: Path) -> None:
    path = tmp_path / "zh.txt"
    path.write_bytes("无锡：智改数转工作会议 2023".encode("utf-16"))
    assert read_article(path).text.startswith("无锡")


def test_html_page_is_converted_to_its_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Wuxi: work meeting</title>"
        "<style>p { color: red }</style></head><body><div class='nav'>Home</div>"
        "<p>On Monday morning, Mayor <b>Zhao Jianjun</b> chaired the work meeting in Wuxi.</p>"
        "<p>Output &amp; exports grew 120&nbsp;percent.</p><script>track()</script>"
        "</body></html>", encoding="utf-8")
    article = read_article(path)
    assert "<" not in article.text and "track()" not in article.text and "color" not in article.text
    assert "Mayor Zhao Jianjun chaired the work meeting in Wuxi." in article.text
    assert "Output & exports grew 120 percent." in article.text  # &nbsp; is a space
    assert article.headline == "Wuxi: work meeting"


def test_plain_text_with_angle_brackets_is_not_treated_as_html(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    text = "Wuxi: growth <5% in Q1\n\nThe city said output rose <b> was not a tag here.\n"
    path.write_text(text, encoding="utf-8")
    assert read_article(path).text == text


class CannedClient:
    """Test double for LLMClient: the canned fixture answer for each stage, counted, no HTTP."""

    calls = 0

    def __init__(self, settings: Settings, base_url: str, recorder) -> None:
        self.recorder = recorder

    async def complete(self, response_model, messages, *, article_id: str, stage: str,
                 max_tokens: int | None = None):
        CannedClient.calls += 1
        self.recorder(CallRecord(article_id=article_id, stage=stage, model="canned",
                                 attempt=1, status="ok", started="", latency_ms=0.0,
                                 prompt_tokens=11, completion_tokens=7))
        return response_model.model_validate(FIXTURE_STAGE_ANSWERS[response_model.__name__])


@pytest.fixture
def bulk_speed(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shims that keep a 1,000-article test short without changing any result: no fsync per
    commit on this throwaway database, the glossary parsed and the stage schemas hashed once
    per test instead of once per article (see the report in bench/faults.py)."""
    db.execute("PRAGMA synchronous = OFF")
    monkeypatch.setattr(cache, "_schema_hash", functools.lru_cache(cache._schema_hash))
    parsed: dict[str, list] = {}
    real_glossary = PromptLibrary.glossary

    def glossary(library: PromptLibrary) -> list:
        key = str(library.directory)
        if key not in parsed:
            parsed[key] = real_glossary(library)
        return parsed[key]

    monkeypatch.setattr(PromptLibrary, "glossary", glossary)


def test_a_thousand_files_with_a_few_bad_ones(db, bulk_speed, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    bad = {f"bad_{name}": data for name, (data, _) in BAD_FILES.items()}
    for index in range(1000 - len(bad)):
        (folder / f"a{index:04d}.txt").write_text(fixture_article(f"Town{index:04d}"))
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    CannedClient.calls = 0

    summary = run_batch(db, settings_for("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1",
                        [folder], RunOptions(), client_factory=CannedClient)

    good = 1000 - len(bad)
    assert (summary.done, summary.failed) == (good, len(bad))
    assert db["articles"].count == good
    assert db["officials"].count == good
    errors = rows(db, "SELECT * FROM errors")
    assert {e["stage"] for e in errors} == {"read"}
    assert sorted(Path(e["path"]).name for e in errors) == sorted(bad)
    assert all(Path(e["path"]).name in e["message"] for e in errors)
    assert CannedClient.calls == good * len(STAGES)


def test_duplicate_articles_are_stored_once_with_every_name(db, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a_original.txt", "b_copy.txt", "c_copy_again.txt"):
        (folder / name).write_text(fixture_article("Wuxi"))
    CannedClient.calls = 0
    summary = run_batch(db, settings_for("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1",
                        [folder], RunOptions(), client_factory=CannedClient)
    assert (summary.done, summary.skipped, summary.failed) == (1, 2, 0)
    assert CannedClient.calls == len(STAGES)
    (article,) = rows(db, "SELECT * FROM articles")
    assert article["article_id"] == "a_original"
    assert [Path(p).name for p in json.loads(article["source_paths"])] == [
        "a_original.txt", "b_copy.txt", "c_copy_again.txt"]
    assert all(Path(p).is_absolute() for p in json.loads(article["source_paths"]))
    assert [(Path(path).name, original) for path, original in summary.duplicates] == [
        ("b_copy.txt", "a_original"), ("c_copy_again.txt", "a_original")]


@pytest.fixture
def user_facing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Invoke the CLI as a user would see it: known errors become one clean line."""

    def invoke(*args: str) -> object:
        result = CliRunner().invoke(cli, list(args))
        assert "Traceback" not in result.output
        return result

    return invoke


def test_cli_path_that_does_not_exist(user_facing, tmp_path: Path) -> None:
    result = user_facing("run", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2
    assert "does not exist" in result.output and "nope" in result.output


def test_cli_folder_without_articles(user_facing, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = user_facing("run", str(tmp_path / "empty"), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and "no .txt articles" in result.output


@pytest.mark.parametrize("where", ["missing folder", "unwritable place", "corrupt file",
                                   "a folder"])
def test_cli_unusable_database(user_facing, tmp_path: Path, where: str) -> None:
    write_articles(tmp_path / "in", ("Wuxi",))
    db_path = {
        "missing folder": tmp_path / "no" / "such" / "x.db",
        "unwritable place": Path("/proc/extractor-test.db"),
        "corrupt file": tmp_path / "corrupt.db",
        "a folder": tmp_path / "in",
    }[where]
    if where == "corrupt file":
        db_path.write_bytes(b"this is not an SQLite database at all\n" * 200)
    result = user_facing("run", str(tmp_path / "in"), "--base-url", "http://127.0.0.1:9/v1",
                         "--model", "test", "--db", str(db_path))
    expected = {
        "missing folder": "database folder does not exist",
        "unwritable place": "unable to open database file",
        "corrupt file": "file is not a database",
        "a folder": "is a directory",
    }[where]
    assert result.exit_code in (1, 2)
    assert expected in result.output, result.output
    assert str(db_path.parent if where == "missing folder" else db_path.name) in result.output
