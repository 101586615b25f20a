"""Fault-injection bench: what each fault costs and that no record is ever lost.

    .venv/bin/python bench/faults.py

For every fault the loopback fault server (tests/fault_server.py) can inject, a batch of three
tiny articles runs against it: one article gets the fault once (it must recover within the
run), one gets it on every attempt (it must end in ``errors`` with its stage and cause, after
bounded retries, while the batch goes on), one never. The same command is then run again with
the fault gone, as a user would. Then a run is killed with SIGKILL mid-batch and re-run, and the
embedded model server (a fake llama-server) is killed mid-run. Every final database is compared
with a fault-free run of the same articles: ``records lost`` counts records of the fault-free
run that are missing at the end (it must be 0). Last, bad input files and unusable databases
are tried and the message each gets is printed.

All "model answers" are scripted fixtures (canned chat.completion envelopes), never a model.
Everything listens on 127.0.0.1, every wait is bounded, the bench takes well under 2 minutes
and stops by itself; its last line is exactly ``records lost: N``.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("EXTRACTOR_API_KEY", None)  # the bench never needs a key

from click.testing import CliRunner  # noqa: E402

from extractor import cli as cli_module  # noqa: E402
from extractor.backends import local_server  # noqa: E402
from extractor.backends.local_server import LocalModelError  # noqa: E402
from extractor.backends.selection import open_backend  # noqa: E402
from extractor.config import Settings  # noqa: E402
from extractor.llm.client import LLMClient  # noqa: E402
from extractor.pipeline.batch import RunOptions, run_batch  # noqa: E402
from extractor.store import storage  # noqa: E402
from extractor.testing.fault_server import (  # noqa: E402
    Behaviour,
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
from extractor.text.articles import ArticleError, read_article  # noqa: E402

FAST = functools.partial(LLMClient, backoff_initial=0.01, backoff_max=0.05)
CITIES = ("Wuxi", "Suzhou", "Nantong")  # flaky, broken, clean
RUN_EXTRACTOR = [sys.executable, "-c", "from extractor.cli import cli; cli()"]
DEADLINE = time.monotonic() + 110  # hard stop for every wait below

FAULTS: dict[str, Callable[[], Behaviour]] = {
    "HTTP 429": lambda: inject_status(429),
    "HTTP 429 + Retry-After": lambda: inject_status(429, retry_after="0.2"),
    "HTTP 500": lambda: inject_status(500),
    "HTTP 502": lambda: inject_status(502),
    "HTTP 503": lambda: inject_status(503),
    "connection reset": inject_reset,
    "timeout before headers": lambda: inject_hang(5),
    "timeout mid-response": lambda: inject_stall(5),
    "empty body": inject_empty,
    "malformed JSON body": inject_garbage,
    "body cut mid-stream": inject_truncated,
    "malformed JSON answer": lambda: inject_ok('{"title": "cut'),
    "schema-invalid answer": lambda: inject_ok('{"place": "Wuxi"}'),
    "answer cut by max_tokens": lambda: inject_ok('{"title": "W', finish_reason="length"),
}


def remaining() -> float:
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("bench deadline reached")
    return left


def settings_for(url: str, **overrides: object) -> Settings:
    options: dict[str, object] = {"base_url": url, "model": "bench", "embedded": False,
                                  "request_timeout": 0.5, "max_transport_retries": 2,
                                  "max_reasks": 1}
    options.update(overrides)
    return Settings(**options)  # type: ignore[arg-type]


def write_articles(folder: Path, cities: tuple[str, ...] = CITIES) -> dict[str, str]:
    return write_fixture_articles(folder, cities)


def snapshot(db_path: Path) -> set[tuple[str, str, str]]:
    """Every stored record as (article, table, content without run-specific columns)."""
    keep = ("position", "name", "evidence", "original", "metric", "value", "flags")
    found = set()
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        for table in storage.RECORD_TABLES:
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                columns = set(row.keys())  # (``in row`` would test the values of a Row)
                content = {k: row[k] for k in keep if k in columns}
                found.add((row["article_id"], table, json.dumps(content, sort_keys=True)))
    return found


def lost(baseline: set, db_path: Path) -> int:
    """Records of the fault-free run missing here (baseline articles only)."""
    return len(baseline - snapshot(db_path))


def batch(db_path: Path, url: str, folder: Path, **overrides: object):
    db = storage.open_db(db_path)
    try:
        return run_batch(db, settings_for(url, **overrides), url, [folder], RunOptions(),
                         client_factory=FAST)
    finally:
        db.close()


def fault_scenario(name: str, fault: Callable[[], Behaviour], work: Path,
                   baseline_of: Callable[[dict[str, str]], set]) -> dict:
    folder, db_path = work / "in", work / "run.db"
    ids = write_articles(folder)
    counts = {"Wuxi": 0, "Suzhou": 0}

    def respond(body: dict) -> Behaviour:
        for city in counts:
            if f" in {city}." in request_text(body) and (city == "Suzhou" or not counts[city]):
                counts[city] += 1
                return fault()
        return stage_answer(body)

    quick = {"request_timeout": 0.35} if "timeout" in name else {}
    with make_fault_server(responder=respond) as server:
        first = batch(db_path, server.base_url, folder, **quick)
    with closing(sqlite3.connect(db_path)) as conn:
        errors = conn.execute("SELECT stage, message FROM errors").fetchall()
    with make_fault_server(responder=stage_answer) as server:  # the fault is gone: run again
        second = batch(db_path, server.base_url, folder)
    return {
        "scenario": name, "injected": sum(counts.values()), "affected": 2,
        "recovered": first.done - 1 + second.done,  # Nantong was never affected
        "in errors": len(errors),
        "cause": (errors[0][0] + ": " + errors[0][1].split(": ", 2)[-1]) if errors else "",
        "lost": lost(baseline_of(ids), db_path),
    }


def kill_scenario(work: Path, baseline: set) -> dict:
    cities = ("Wuxi", "Suzhou", "Nantong", "Yangzhou", "Taizhou", "Xuzhou")
    folder, db_path = work / "in", work / "run.db"
    write_articles(folder, cities)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    command = [*RUN_EXTRACTOR, "run", str(folder), "--model", "bench", "--db", str(db_path),
               "--concurrency", "1"]  # one article at a time: the kill lands between articles
    stored_at_kill = 0
    with make_fault_server(responder=functools.partial(stage_answer, delay=0.1)) as server:
        process = subprocess.Popen([*command, "--base-url", server.base_url], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while stored_at_kill < 2 and process.poll() is None and remaining() > 60:
                time.sleep(0.05)
                try:
                    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
                        stored_at_kill = conn.execute("SELECT count(*) FROM articles"
                                                      ).fetchone()[0]
                except sqlite3.Error:
                    pass
            time.sleep(0.15)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    with make_fault_server(responder=stage_answer) as server:
        again = subprocess.run([*command, "--base-url", server.base_url], env=env,
                               capture_output=True, timeout=min(60, remaining()))
    with closing(sqlite3.connect(db_path)) as conn:
        done = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        redone = conn.execute(
            "SELECT count(DISTINCT article_id) FROM llm_calls WHERE run_id = "
            "(SELECT max(id) FROM runs) AND article_id IN "
            "(SELECT article_id FROM article_versions WHERE run_id = 1)").fetchone()[0]
    return {"scenario": "kill -9 mid-batch, run again", "injected": 1,
            "affected": len(cities) - stored_at_kill, "recovered": done - stored_at_kill,
            "in errors": 0, "cause": f"rc {again.returncode}; {redone} finished recomputed",
            "lost": lost(baseline, db_path)}


FAKE_LLAMA_SERVER = """\
#!{python}
import sys

from extractor.testing.fault_server import FaultServer, stage_answer
args = sys.argv[1:]
FaultServer(responder=stage_answer, port=int(args[args.index("--port") + 1]),
            health=True).serve_forever()
"""


def server_death_scenario(work: Path, baseline: set, kills: int) -> dict:
    folder, db_path = work / "in", work / "run.db"
    ids = write_articles(folder)
    script = work / "fake-llama-server"
    script.write_text(FAKE_LLAMA_SERVER.format(python=sys.executable))
    script.chmod(0o755)
    model = work / "dummy.gguf"
    model.write_bytes(b"GGUF")
    saved = (local_server.server_binary, local_server.assemble_model,
             os.environ.get("EXTRACTOR_CACHE_DIR"))
    local_server.server_binary = lambda: script
    local_server.assemble_model = lambda target_dir=None, progress=None: model
    os.environ["EXTRACTOR_CACHE_DIR"] = str(work / "cache")
    kill_after = {ids["Wuxi"], ids["Suzhou"]} if kills == 2 else {ids["Wuxi"]}
    settings = Settings(model="bench", embedded=True, request_timeout=2, max_transport_retries=1)
    message = ""
    db = storage.open_db(db_path)
    try:
        with open_backend(settings, replay=False, echo=lambda text: None) as url:
            server = url.ensure_alive.__self__

            def progress(article_id: str, status: str) -> None:
                if status == "done" and article_id in kill_after:
                    os.kill(server.process.pid, signal.SIGKILL)
                    server.process.wait(timeout=10)

            try:
                run_batch(db, settings, url, [folder], RunOptions(), progress,
                          client_factory=FAST, ensure_alive=url.ensure_alive)
            except LocalModelError as err:
                message = str(err).split(";")[0]
        if kills == 2:  # the user fixes the machine and runs the same command again
            with open_backend(settings, replay=False, echo=lambda text: None) as url:
                run_batch(db, settings, url, [folder], RunOptions(), client_factory=FAST,
                          ensure_alive=url.ensure_alive)
        errors = db["errors"].count
        affected = [ids["Suzhou"], ids["Nantong"]][:kills]
        recovered = sum(db["articles"].count_where("article_id = ?", [a]) for a in affected)
    finally:
        db.close()
        local_server.server_binary, local_server.assemble_model = saved[:2]
        if saved[2] is None:
            os.environ.pop("EXTRACTOR_CACHE_DIR", None)
        else:
            os.environ["EXTRACTOR_CACHE_DIR"] = saved[2]
    name = ("model server killed twice, run again" if kills == 2
            else "model server killed, restarted")
    return {"scenario": name, "injected": kills, "affected": kills, "recovered": recovered,
            "in errors": errors, "cause": message or "restarted once, the article retried",
            "lost": lost(baseline, db_path)}


def budget_scenario(work: Path) -> dict:
    folder, db_path = work / "in", work / "run.db"
    write_articles(folder, ("Wuxi",))
    with make_fault_server(responder=stage_answer) as server:
        batch(db_path, server.base_url, folder, max_tokens_per_article=40)
        calls = len(server.requests)
    with closing(sqlite3.connect(db_path)) as conn:
        stage, message = conn.execute("SELECT stage, message FROM errors").fetchone()
    return {"scenario": "token budget 40 (18 per call)", "injected": 0, "affected": 1,
            "recovered": 0, "in errors": 1,
            "cause": f"after {calls} calls: " + message.split(" (")[0] + " (stopped by design)",
            "lost": 0}


def bad_inputs(work: Path) -> list[tuple[str, str]]:
    files: dict[str, bytes] = {
        "empty file": b"",
        "whitespace only": b" \n\t\r\n",
        "binary": bytes(range(256)) * 4,
        "GBK-encoded Chinese": "无锡市召开智改数转工作推进会议。".encode("gbk"),
        "UTF-16 with BOM": fixture_article("Wuxi").encode("utf-16"),
        "HTML page": b"<html><head><title>Wuxi: meeting</title></head><body><p>Mayor Zhao "
                     b"Jianjun chaired the meeting.</p><script>x()</script></body></html>",
    }
    results = []
    for name, data in files.items():
        path = work / (name.replace(" ", "_").lower() + ".txt")
        path.write_bytes(data)
        try:
            article = read_article(path)
            results.append((name, f"accepted: {len(article.text)} characters of text"))
        except ArticleError as err:
            results.append((name, str(err).replace(str(work), "<tmp>")))
    huge = work / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)
    try:
        read_article(huge)
    except ArticleError as err:
        results.append(("5 MB article", str(err).replace(str(work), "<tmp>")))

    folder = work / "cli-in"
    write_articles(folder, ("Wuxi",))
    corrupt = work / "corrupt.db"
    corrupt.write_bytes(b"not a database " * 300)
    for name, args in {
        "path that does not exist": [str(work / "nope")],
        "database in a missing folder": [str(folder), "--db", str(work / "no" / "x.db")],
        "database not writable (/proc)": [str(folder), "--db", "/proc/bench.db"],
        "corrupt database file": [str(folder), "--db", str(corrupt)],
    }.items():
        result = CliRunner().invoke(cli_module.cli, ["run", *args, "--base-url",
                                                     "http://127.0.0.1:9/v1", "--model", "b"])
        lines = [line for line in result.output.splitlines() if "Error" in line]
        results.append((name, (lines[-1] if lines else result.output.strip())
                        .replace(str(work), "<tmp>")))
    return results


def main() -> int:
    started = time.monotonic()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="extractor-faults-") as tmp:
        root = Path(tmp)
        # the fault-free reference: what every article must end up with
        reference = root / "reference"
        ref_ids = write_articles(reference / "in", CITIES + ("Yangzhou", "Taizhou", "Xuzhou"))
        with make_fault_server(responder=stage_answer) as server:
            batch(reference / "run.db", server.base_url, reference / "in")
        by_city = {}
        for article, table, content in snapshot(reference / "run.db"):
            by_city.setdefault(article.split("_", 1)[1], set()).add((table, content))

        def baseline_of(ids: dict[str, str]) -> set:
            return {(ids[city], table, content) for city in ids
                    for table, content in by_city[city.lower()]}

        for index, (name, fault) in enumerate(FAULTS.items()):
            remaining()
            rows.append(fault_scenario(name, fault, root / f"fault{index:02d}", baseline_of))
        rows.append(budget_scenario(root / "budget"))
        rows.append(kill_scenario(root / "kill", baseline_of(ref_ids)))
        for kills in (1, 2):
            work = root / f"server{kills}"
            work.mkdir()
            rows.append(server_death_scenario(work, baseline_of(
                {c: f"{i:02d}_{c.lower()}" for i, c in enumerate(CITIES)}), kills))
        inputs = bad_inputs(root)

    header = ("scenario", "injected", "affected", "recovered", "in errors", "records lost",
              "stage: cause / note")
    widths = (36, 8, 8, 9, 9, 12, 72)
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    print(line)
    print("-" * len(line))
    for row in rows:
        cells = (row["scenario"], row["injected"], row["affected"], row["recovered"],
                 row["in errors"], row["lost"], row["cause"])
        print("  ".join(" ".join(str(c).split())[:w].ljust(w)
                        for c, w in zip(cells, widths, strict=True)).rstrip())
    print()
    print("bad input".ljust(30) + "  message")
    print("-" * 110)
    for name, message in inputs:
        print(name.ljust(30) + "  " + " ".join(message.split())[:160])
    print()
    total_lost = sum(row["lost"] for row in rows)
    print(f"faults injected: {sum(row['injected'] for row in rows)}, articles affected: "
          f"{sum(row['affected'] for row in rows)}, recovered: "
          f"{sum(row['recovered'] for row in rows)}, in {time.monotonic() - started:.0f} s")
    print(f"records lost: {total_lost}")
    return 1 if total_lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
