"""`extractor run --engine ray` on a real local Ray cluster (``ray.init(num_cpus=2)``), with the
replay server and the fault server on loopback as endpoints: the records equal a plain run's,
a worker killed mid-run loses nothing after the re-run, `ingest` is idempotent and `verify`
names what is missing. Offline: the answers are the recorded ones (cassettes/)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from extractor.cluster.ray_engine import Progress, RayOptions, run_on_ray, stable_hash
from extractor.cluster.shards import shard_files
from extractor.config import LOCAL_MODEL_NAME, Settings
from extractor.pipeline.batch import RunOptions, run_batch, selected_files
from extractor.store import storage
from extractor.testing.fault_server import inject_ok, inject_reset, inject_status, make_fault_server
from extractor.testing.replay_server import (
    load_answers,
    replay_server,
    request_key,
    synthetic_copies,
)
from tests.conftest import CASSETTES, SEEDS, exported, invoke

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()




def settings(url: str, concurrency: int = 2) -> Settings:
    return Settings(base_url=url, model=LOCAL_MODEL_NAME, embedded=False, request_timeout=20,
                    max_transport_retries=3, concurrency=concurrency, cpu_workers=0)


def replayed_faults():
    """A fault server that first resets a connection and answers 503, then gives the recorded
    answers (a fixture built from cassettes/, not a model)."""
    answers = load_answers(CASSETTES)

    def respond(body: dict):
        recorded = answers.get(request_key(body))
        if recorded is None:
            return inject_status(404)
        data = json.loads(recorded)
        usage = data.get("usage") or {}
        return inject_ok(data["choices"][0]["message"]["content"],
                         prompt_tokens=usage.get("prompt_tokens", 1),
                         completion_tokens=usage.get("completion_tokens", 1))

    return make_fault_server([inject_reset(), inject_status(503)], respond)


def test_ray_run_equals_a_plain_run_on_the_seeds(ray_cluster, tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    assert invoke("run", str(SEEDS), "--replay", str(CASSETTES), "--db",
                  str(plain)).exit_code == 0
    with replay_server() as replay, replayed_faults() as faults:
        endpoints = f"{replay.base_url},{faults.base_url}"
        result = invoke("run", str(SEEDS), "--engine", "ray", "--endpoints", endpoints,
                        "--model", LOCAL_MODEL_NAME, "--workers", "2",
                        "--workdir", str(tmp_path / "shards"), "--concurrency", "2")
        assert result.exit_code == 0, result.output
        # an article's stages all went to one endpoint: the one its id hashes to
        by_endpoint = [stable_hash(seed.stem) % 2 for seed in sorted(SEEDS.glob("*.txt"))]
        assert faults.requests and replay.requests
        assert replay.misses == 0
        assert len(faults.requests) >= 5 * by_endpoint.count(1) + 2  # its faults retried
    assert len(shard_files(tmp_path / "shards")) == 2
    merged = tmp_path / "merged.db"
    assert invoke("ingest", str(tmp_path / "shards"), "--db", str(merged)).exit_code == 0
    assert exported(merged) == exported(plain)
    with contextlib.closing(sqlite3.connect(merged)) as conn:
        calls = conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
        stages = conn.execute("SELECT count(*) FROM stage_results").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        people = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    assert calls >= 25 and stages == 25 and runs == 2 and people > 0
    # ingesting again adds nothing twice
    assert invoke("ingest", str(tmp_path / "shards"), "--db", str(merged)).exit_code == 0
    with contextlib.closing(sqlite3.connect(merged)) as conn:
        assert conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == calls
        assert conn.execute("SELECT count(*) FROM stage_results").fetchone()[0] == stages
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == runs
    assert exported(merged) == exported(plain)
    verified = invoke("verify", str(SEEDS), "--db", str(merged), "--json")
    assert verified.exit_code == 0
    assert {row["state"] for row in json.loads(verified.output)} == {"stored"}


def shard_articles(path: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_killed_worker_loses_nothing_after_the_rerun(ray_cluster, tmp_path: Path) -> None:
    files = synthetic_copies(sorted(SEEDS.glob("*.txt")), 10, tmp_path / "articles")
    plain = storage.open_db(tmp_path / "plain.db")
    workdir = tmp_path / "shards"
    killed: list[int] = []

    def kill_worker_0(state: Progress) -> None:
        """Once worker 0 has stored an article (and has more to do), kill its actor."""
        if killed or 0 not in state.actors:
            return
        if shard_articles(workdir / "shard-000.db") >= 1:
            ray_cluster.kill(state.actors[0], no_restart=True)
            killed.append(0)

    with replay_server(latency=0.15) as server:
        run_batch(plain, settings(server.base_url), server.base_url, files, RunOptions())
        plain.close()
        options = RayOptions(workdir=workdir, endpoints=[server.base_url], workers=2,
                             retries=0, poll_seconds=0.1)
        first = run_on_ray(files, settings(server.base_url, 1), options, RunOptions(),
                           on_poll=kill_worker_0)
        assert killed and first.worker_deaths == 1
        assert first.missing, "the killed worker had articles left"
        stored_before = sum(shard_articles(p) for p in shard_files(workdir))
        assert stored_before + len(first.missing) == 10
        partial = tmp_path / "partial.db"
        assert invoke("ingest", str(workdir), "--db", str(partial)).exit_code == 0
        report = invoke("verify", str(tmp_path / "articles"), "--db", str(partial))
        assert report.exit_code == 1
        assert all(article_id in report.output for article_id in first.missing)
        calls_before = server.requests
        again = run_on_ray(files, settings(server.base_url, 1), options, RunOptions())
        assert not again.missing and again.worker_deaths == 0
        assert again.skipped == stored_before  # not dispatched again
        assert again.done == len(first.missing)
        # the finished stages of the article in flight were cached in its shard
        assert server.requests - calls_before <= 5 * len(first.missing)
    merged = tmp_path / "merged.db"
    assert invoke("ingest", str(workdir), "--db", str(merged)).exit_code == 0
    assert exported(merged) == exported(tmp_path / "plain.db")
    assert invoke("verify", str(tmp_path / "articles"), "--db", str(merged)).exit_code == 0


def test_workers_route_articles_and_endpoints_by_a_stable_hash() -> None:
    ids = [p.stem for p in selected_files([SEEDS], frozenset())]
    assert [stable_hash(i) for i in ids] == [stable_hash(i) for i in ids]
    assert len({stable_hash(i) % 2 for i in ids}) == 2  # the seeds use both workers
