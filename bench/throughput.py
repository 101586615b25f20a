"""Throughput bench: concurrency, pipeline overhead, no-op re-run, memory, prompt-cache reuse.

    .venv/bin/python bench/throughput.py            # about 8 minutes (1 s per call)
    .venv/bin/python bench/throughput.py --quick    # under a minute

Prints one table and, last, exactly ``efficiency@16: X``:

1. throughput: synthetic copies of the five seeds (each with its own text, so every copy goes
   through the LLM path: no duplicate, no cached stage) run at concurrency 1, 4, 16 and 64
   against a loopback server (extractor.testing, in its own process) that answers from the
   recorded cassettes after a fixed latency per call. Articles per second, the ratio to
   concurrency 1, and the ratio to the ideal: the latency-bound limit of this pipeline, i.e. the
   time ``concurrency`` workers would take if the only cost were the latency of each article's
   calls (the stages of one article are sequential, so an article takes at least calls x latency;
   articles go to the first free worker). ``efficiency@16`` is that ratio at concurrency 16.
2. overhead against the raw model server: from a recording database (``make cassettes`` writes
   cassettes.db), the run's wall time divided by the sum of the server's own time for the same
   calls (llm_calls.server_ms, llama.cpp's timings.prompt_ms + predicted_ms; for a database made
   before that column existed, the same timings recorded in the cassettes; failing both, the
   calls' client latency, labelled as such).
3. no-op re-run: the seeds replayed from the committed cassettes once, then the same run again
   (everything cached), timed in-process.
4. memory: one batch against the replay server (no latency) in a child process; the peak RSS
   growth over the RSS before the batch, after a quarter of the articles and after all of them.
   Flat (ratio ~1) means articles are streamed, not accumulated. Also shown: the worker
   processes' peak RSS, and the growth after the run's end, whose identity rebuild reads every
   stored record (it grows with the database, not with the batch's streaming).
5. prompt-cache reuse: sum(prompt_tokens_processed) / sum(prompt_tokens) over the recording's
   calls (llama.cpp reports both per request).

Everything listens on 127.0.0.1; no model is called; the answers are recorded ones.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("EXTRACTOR_API_KEY", None)  # the bench never needs a key

from extractor.testing.replay_server import synthetic_copies  # noqa: E402

SEEDS = ROOT / "seeds"
CASSETTES = ROOT / "cassettes"


# -- pure helpers (tested in tests/test_bench.py) -------------------------------------------
def ideal_seconds(calls_per_article: Sequence[int], concurrency: int, latency: float) -> float:
    """Latency-bound batch time: each article takes calls x latency, its calls one after the
    other; ``concurrency`` workers take the next article as soon as they are free."""
    workers = [0.0] * max(1, min(concurrency, len(calls_per_article)))
    for calls in calls_per_article:
        heapq.heapreplace(workers, workers[0] + calls * latency)
    return max(workers) if calls_per_article else 0.0


def vm_kb(field: str, status: str | None = None) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in kB (None where there is no /proc)."""
    if status is None:
        try:
            status = Path("/proc/self/status").read_text()
        except OSError:
            return None
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


@dataclass
class Recording:
    run_id: int
    wall_seconds: float
    calls: int
    server_seconds: float | None
    server_source: str
    client_seconds: float
    prompt_tokens: int
    prompt_tokens_processed: int | None


def cassette_server_seconds(cassette_dir: Path) -> float | None:
    """Sum of llama.cpp's prompt_ms + predicted_ms over the recorded answers, in seconds."""
    import yaml

    total, found = 0.0, False
    for path in sorted(cassette_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for interaction in data.get("interactions") or []:
            try:
                timings = json.loads(interaction["response"]["body"]["string"]).get("timings")
            except (KeyError, TypeError, ValueError):
                continue
            if isinstance(timings, dict) and "prompt_ms" in timings:
                total += timings.get("prompt_ms", 0) + timings.get("predicted_ms", 0)
                found = True
    return total / 1000 if found else None


def read_recording(db_path: Path, cassette_dir: Path | None = CASSETTES) -> Recording | None:
    """The latest finished run with LLM calls of a recording database (opened read-only)."""
    if not db_path.is_file():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{db_path.resolve()}?mode=ro",
                                            uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        run = conn.execute("SELECT id, seconds FROM runs WHERE status = 'finished' AND "
                           "llm_calls > 0 ORDER BY id DESC LIMIT 1").fetchone()
        if run is None:
            return None
        columns = {row[1] for row in conn.execute("PRAGMA table_info(llm_calls)")}
        server = "sum(server_ms)" if "server_ms" in columns else "NULL"
        timed = "count(server_ms)" if "server_ms" in columns else "0"
        row = conn.execute(
            f"SELECT count(*) AS n, coalesce(sum(latency_ms), 0) AS latency, {server} AS server, "
            f"{timed} AS timed, coalesce(sum(prompt_tokens), 0) AS prompt, "
            "sum(prompt_tokens_processed) AS processed FROM llm_calls WHERE run_id = ?",
            [run["id"]]).fetchone()
    server_seconds, source = None, "client latency (no server timings)"
    if row["timed"] and row["timed"] == row["n"]:
        server_seconds, source = row["server"] / 1000, "server timings (llm_calls.server_ms)"
    elif cassette_dir is not None and (from_cassettes := cassette_server_seconds(cassette_dir)):
        server_seconds, source = from_cassettes, "server timings recorded in the cassettes"
    return Recording(run["id"], float(run["seconds"] or 0), row["n"], server_seconds, source,
                     row["latency"] / 1000, row["prompt"], row["processed"])


# -- the replay server in its own process ---------------------------------------------------
@contextlib.contextmanager
def replay_process(latency: float) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "extractor.testing.replay_server", "--latency", str(latency),
         "--cassettes", str(CASSETTES)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the replay server did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def bench_settings(url: str, concurrency: int):
    from extractor.config import LOCAL_MODEL_NAME, Settings

    return Settings(base_url=url, model=LOCAL_MODEL_NAME, embedded=False,
                    concurrency=concurrency, request_timeout=120, max_transport_retries=2)


# -- 1. throughput ---------------------------------------------------------------------------
@dataclass
class Level:
    concurrency: int
    articles: int
    seconds: float
    ideal: float
    failed: int

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    @property
    def efficiency(self) -> float:
        return self.ideal / self.seconds


def run_level(url: str, files: list[Path], concurrency: int, latency: float,
              workdir: Path) -> Level:
    from extractor.pipeline.batch import RunOptions, run_batch
    from extractor.store import storage

    db = storage.open_db(workdir / f"level{concurrency}.db")  # fresh: nothing cached
    started = time.perf_counter()
    summary = run_batch(db, bench_settings(url, concurrency), url, files, RunOptions())
    seconds = time.perf_counter() - started
    per_article = [row["n"] for row in db.query(
        "SELECT count(*) AS n FROM llm_calls WHERE run_id = ? GROUP BY article_id "
        "ORDER BY min(id)", [summary.run_id])]
    db.close()
    return Level(concurrency, len(files), seconds,
                 ideal_seconds(per_article, concurrency, latency), summary.failed)


# -- 3. no-op re-run -------------------------------------------------------------------------
def noop_rerun(workdir: Path) -> tuple[float, int]:
    from extractor.backends.replay import REPLAY_BASE_URL
    from extractor.config import Settings
    from extractor.pipeline.batch import RunOptions, run_batch
    from extractor.store import storage

    db = storage.open_db(workdir / "noop.db")
    options = RunOptions(replay_dir=CASSETTES)
    first = run_batch(db, Settings.load(), REPLAY_BASE_URL, [SEEDS], options)
    started = time.perf_counter()
    again = run_batch(db, Settings.load(), REPLAY_BASE_URL, [SEEDS], options)
    seconds = time.perf_counter() - started
    db.close()
    if first.failed or again.llm_calls:
        raise RuntimeError("the no-op re-run was not a no-op")
    return seconds, again.skipped


# -- 4. memory (child process) ---------------------------------------------------------------
def workers_peak_kb(pids: list[int]) -> int:
    """Sum of the peak RSS of the worker processes (0 without workers or /proc)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += vm_kb("VmHWM", Path(f"/proc/{pid}/status").read_text()) or 0
    return total


def memory_child(url: str, count: int, concurrency: int) -> None:
    """Run ``count`` articles; print the peak RSS growth after a quarter of them, after the last
    one and after the run's end (identities rebuilt), the current RSS growth and the worker
    processes' peak RSS after a quarter and after the last article."""
    import asyncio

    from extractor.pipeline.batch import Batch, RunOptions
    from extractor.store import storage

    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    files = synthetic_copies(sorted(SEEDS.glob("*.txt")), count, workdir / "articles")
    db = storage.open_db(workdir / "memory.db")
    from extractor.llm import client as llm  # noqa: F401 - imported before the baseline
    from extractor.pipeline import stages  # noqa: F401 - imported before the baseline
    from extractor.postprocess import finalize  # noqa: F401 - imported before the baseline

    baseline = vm_kb("VmRSS") or 0
    marks: dict[str, int] = {}
    finished = 0
    batch = Batch(db, bench_settings(url, concurrency), url, RunOptions())

    def progress(article_id: str, status: str) -> None:
        nonlocal finished
        if status != "running":
            finished += 1
            if finished in (count // 4, count):
                name = "quarter" if finished == count // 4 else "all"
                marks[name] = (vm_kb("VmHWM") or 0) - baseline
                marks[f"rss_{name}"] = (vm_kb("VmRSS") or 0) - baseline
                marks[f"workers_{name}"] = workers_peak_kb(batch.offload.worker_pids())

    summary = asyncio.run(batch.run(files, progress))
    # the run ends by rebuilding the cross-article identities from every stored record: a pass
    # over the whole database, measured apart from the articles' streaming
    marks["after_run"] = (vm_kb("VmHWM") or 0) - baseline
    print(json.dumps({"done": summary.done, "failed": summary.failed, "baseline_kb": baseline,
                      "workers": batch.offload.workers, **marks}))


def memory(count: int, concurrency: int) -> dict:
    with replay_process(0.0) as url:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(count), "--url", url,
             "--concurrency", str(concurrency)],
            capture_output=True, text=True, timeout=1800, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the table -------------------------------------------------------------------------------
def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("measurement", "result", "target", "detail")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description="Throughput bench (see the module docstring).")
    parser.add_argument("--quick", action="store_true",
                        help="48 articles, levels 1,4,16: under a minute")
    parser.add_argument("--latency", type=float, help="seconds per call (default 1)")
    parser.add_argument("--articles", type=int, help="articles per level (default 100, quick 48)")
    parser.add_argument("--levels", help="concurrency levels, e.g. 1,4,16,64")
    parser.add_argument("--memory-articles", type=int,
                        help="articles of the memory batch (default 1000, quick 64)")
    parser.add_argument("--recording-db", type=Path, default=ROOT / "cassettes.db",
                        help="database of a recording run (make cassettes writes cassettes.db)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=16, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.url, args.memory_child, args.concurrency)
        return

    latency = args.latency if args.latency is not None else 1.0
    count = args.articles or (48 if args.quick else 100)
    levels = [int(x) for x in (args.levels or ("1,4,16" if args.quick else "1,4,16,64"))
              .split(",")]
    if 16 not in levels:
        levels.append(16)
    memory_count = args.memory_articles or (64 if args.quick else 1000)
    workdir = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    rows: list[tuple[str, str, str, str]] = []

    # 1. throughput
    seeds = sorted(SEEDS.glob("*.txt"))
    files = synthetic_copies(seeds, count, workdir / "articles")
    results: dict[int, Level] = {}
    with replay_process(latency) as url:
        for concurrency in levels:
            # --quick: two rounds below concurrency 16 (a rate is per article), all at 16
            subset = (files[:2 * concurrency] if args.quick and concurrency < 16 else files)
            results[concurrency] = run_level(url, subset, concurrency, latency, workdir)
    base = results[min(results)]
    for concurrency, level in results.items():
        rows.append((f"1. throughput @{concurrency}", f"{level.rate:.2f} articles/s",
                     "≥ 0.90 of ideal @16" if concurrency == 16 else "",
                     f"x{level.rate / base.rate:.2f} vs @{base.concurrency}, "
                     f"{level.efficiency:.2f} of ideal ({level.articles} articles, "
                     f"{latency:g} s/call, {level.seconds:.1f} s vs {level.ideal:.1f} s"
                     + (f", {level.failed} FAILED" if level.failed else "") + ")"))

    # 2. overhead and 5. prompt-cache reuse, from the recording database
    recording = read_recording(args.recording_db)
    if recording is None or not recording.server_seconds:
        rows.append(("2. overhead vs model server", "n/a (run make cassettes)", "≤ 1.05",
                     f"no recording database at {args.recording_db}"))
    else:
        ratio = recording.wall_seconds / recording.server_seconds
        rows.append(("2. overhead vs model server", f"{ratio:.3f}", "≤ 1.05",
                     f"run {recording.run_id}: {recording.wall_seconds:.0f} s wall / "
                     f"{recording.server_seconds:.0f} s {recording.server_source}; "
                     f"/ client latency {recording.wall_seconds / recording.client_seconds:.3f}"))

    # 3. no-op re-run
    seconds, skipped = noop_rerun(workdir)
    rows.append(("3. no-op re-run (seeds)", f"{seconds:.2f} s", "< 1 s",
                 f"{skipped} articles unchanged, 0 calls"))

    # 4. memory
    mem = memory(memory_count, 16)
    quarter, full = mem.get("quarter", 0), mem.get("all", 0)
    ratio = full / quarter if quarter > 0 else float("nan")
    workers = (f"; {mem['workers']} worker process(es): peak RSS "
               f"{mem.get('workers_quarter', 0) / 1024:.1f} MB, then "
               f"{mem.get('workers_all', 0) / 1024:.1f} MB" if mem.get("workers") else "")
    rows.append(("4. peak memory growth", f"x{ratio:.2f}", "flat (~1)",
                 f"{quarter / 1024:.1f} MB after {memory_count // 4} articles, "
                 f"{full / 1024:.1f} MB after {memory_count} ({mem['done']} done, "
                 f"{mem['failed']} failed, concurrency 16{workers}); current RSS growth "
                 f"{mem.get('rss_quarter', 0) / 1024:.1f} then "
                 f"{mem.get('rss_all', 0) / 1024:.1f} MB (a peak reached early, e.g. "
                 "loading the word list, hides later growth; this does not); "
                 f"{mem.get('after_run', 0) / 1024:.1f} MB after the run's end (identities "
                 "rebuilt from every stored record)"))

    # 5. prompt-cache reuse
    if recording is None or recording.prompt_tokens_processed is None:
        rows.append(("5. prompt tokens processed/sent", "n/a (run make cassettes)", "≤ 0.5",
                     ""))
    else:
        share = recording.prompt_tokens_processed / recording.prompt_tokens
        rows.append(("5. prompt tokens processed/sent", f"{share:.2f}", "≤ 0.5",
                     f"{recording.prompt_tokens_processed:,} of {recording.prompt_tokens:,} "
                     f"prompt tokens over {recording.calls} calls (run {recording.run_id})"))

    print_table(rows)
    print(f"efficiency@16: {results[16].efficiency:.2f}")


if __name__ == "__main__":
    main()
