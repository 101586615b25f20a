"""Scale-out bench: `extractor run --engine ray` with 1, 2 and 4 workers, and `ingest`.

    .venv/bin/python bench/scale.py            # a few minutes
    .venv/bin/python bench/scale.py --quick    # under two minutes

Each worker gets its own latency-bound stub endpoint: a replay server (extractor.testing, in its
own process) answering from the recorded cassettes after a fixed latency, serving at most
``--slots`` requests at once like a model server's parallel slots. So one endpoint can do at most
slots / (calls per article x latency) articles per second, and N workers with N endpoints
ideally N times that. Articles are synthetic copies of the five seeds (each its own text: every
copy goes through the LLM path). One local Ray cluster (``ray.init``) serves every level.

Per level: articles per second while extracting (from the first call sent to the last answer,
read from the shards' llm_calls: the actors' start-up, shown apart, is excluded), the wall time
with start-up, and scaling efficiency = rate at N / (N x rate at 1). Then the shards of the
largest level are ingested into a fresh database: seconds per 1,000 articles.

The last line is exactly ``scaling@4: X``. Everything listens on 127.0.0.1; no model is called.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("EXTRACTOR_API_KEY", None)

from extractor.testing.replay_server import synthetic_copies  # noqa: E402

SEEDS = ROOT / "seeds"


@contextlib.contextmanager
def stub_endpoints(count: int, latency: float, slots: int) -> Iterator[list[str]]:
    processes = [subprocess.Popen(
        [sys.executable, "-m", "extractor.testing.replay_server", "--latency", str(latency),
         "--slots", str(slots)], stdout=subprocess.PIPE, text=True) for _ in range(count)]
    try:
        urls = []
        for process in processes:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"a stub endpoint did not start: {url!r}")
            urls.append(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def extracting_seconds(workdir: Path) -> tuple[float, int]:
    """From the first call started to the last answer, over every shard; and the calls."""
    first, last, calls = None, None, 0
    for shard in sorted(workdir.glob("shard-*.db")):
        with contextlib.closing(sqlite3.connect(shard)) as conn:
            for started, latency in conn.execute("SELECT started, latency_ms FROM llm_calls"):
                at = datetime.fromisoformat(started).timestamp()
                first = at if first is None else min(first, at)
                end = at + (latency or 0) / 1000
                last = end if last is None else max(last, end)
                calls += 1
    return ((last - first) if first is not None and last is not None else 0.0), calls


def run_level(files: list[Path], urls: list[str], workers: int, concurrency: int,
              workdir: Path) -> dict:
    from extractor.cluster.ray_engine import RayOptions, run_on_ray
    from extractor.config import LOCAL_MODEL_NAME, Settings
    from extractor.pipeline.batch import RunOptions

    settings = Settings(base_url=urls[0], model=LOCAL_MODEL_NAME, embedded=False,
                        concurrency=concurrency, request_timeout=120, max_transport_retries=2,
                        cpu_workers=0)
    options = RayOptions(workdir=workdir, endpoints=urls, workers=workers, retries=0,
                         poll_seconds=0.2)
    started = time.perf_counter()
    summary = run_on_ray(files, settings, options, RunOptions())
    wall = time.perf_counter() - started
    seconds, calls = extracting_seconds(workdir)
    return {"workers": workers, "articles": len(files), "done": summary.done,
            "failed": summary.failed + len(summary.missing), "wall": wall,
            "seconds": seconds, "calls": calls, "rate": summary.done / seconds if seconds else 0}


def ingest_cost(workdir: Path, target: Path) -> tuple[float, int]:
    from extractor.cluster.shards import ingest
    from extractor.store import storage

    db = storage.open_db(target)
    started = time.perf_counter()
    summary = ingest(db, workdir)
    seconds = time.perf_counter() - started
    db.close()
    return seconds, summary.articles


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale-out bench (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="under two minutes")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per call")
    parser.add_argument("--slots", type=int, default=2, help="requests an endpoint serves at once")
    parser.add_argument("--per-worker", type=int, help="articles per worker (quick 8, else 24)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    args = parser.parse_args()
    import ray

    per_worker = args.per_worker or (8 if args.quick else 24)
    levels = (1, 2, 4)
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    seeds = sorted(SEEDS.glob("*.txt"))
    results = []
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    try:
        with stub_endpoints(max(levels), args.latency, args.slots) as urls:
            for workers in levels:
                files = synthetic_copies(seeds, per_worker * workers,
                                         workdir / f"articles{workers}")
                results.append(run_level(files, urls[:workers], workers, args.slots,
                                         workdir / f"shards{workers}"))
    finally:
        ray.shutdown()
    base = results[0]["rate"]
    ideal_one = args.slots / (5 * args.latency)  # articles/s of one endpoint, 5 calls each
    print(f"stub endpoints: {args.latency:g} s per call, {args.slots} slot(s) each "
          f"(ideal {ideal_one:.2f} articles/s per endpoint); Ray local, "
          f"num_cpus={args.num_cpus}, {os.cpu_count()} cores on this machine")
    print(f"{'workers':>7}  {'articles':>8}  {'calls':>5}  {'extracting s':>12}  "
          f"{'articles/s':>10}  {'vs ideal':>8}  {'scaling':>7}  {'wall s':>6}")
    for row in results:
        scaling = row["rate"] / (row["workers"] * base) if base else 0.0
        row["scaling"] = scaling
        print(f"{row['workers']:>7}  {row['done']:>8}  {row['calls']:>5}  "
              f"{row['seconds']:>12.1f}  {row['rate']:>10.2f}  "
              f"{row['rate'] / (ideal_one * row['workers']):>8.2f}  {scaling:>7.2f}  "
              f"{row['wall']:>6.1f}" + (f"  {row['failed']} NOT STORED" if row["failed"] else ""))
    seconds, articles = ingest_cost(workdir / f"shards{levels[-1]}", workdir / "ingest.db")
    per_1000 = seconds / articles * 1000 if articles else float("nan")
    print(f"ingest: {articles} articles from {levels[-1]} shards in {seconds:.2f} s = "
          f"{per_1000:.1f} s per 1,000 articles")
    print(f"scaling@2: {results[1]['scaling']:.2f}")
    print(f"scaling@4: {results[2]['scaling']:.2f}")


if __name__ == "__main__":
    main()
