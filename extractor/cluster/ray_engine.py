"""``extractor run --engine ray``: articles spread over Ray actors, each running today's
per-article pipeline (``Batch``: stage cache, retries, one bad article never stopping the rest)
into its own shard database under the work folder.

Routing is by a stable hash of the article id: article -> worker ``h % workers`` (so a re-run
with the same number of workers sends an article back to the shard that holds its finished
stages) and article -> endpoint ``h % endpoints`` (so all stages of an article reach the same
model server, whose prefix cache keeps the article between them). Each worker is a Ray actor
with one ``Batch`` for its life: one run row in its shard, ``concurrency`` articles in flight.

Why actors and not Ray Data's ``map_batches``: a shard must have exactly one writer, and a
re-run should find an article's cached stages in the shard it went to before; Ray Data hands
blocks to whichever actor of its pool is free. Actors with explicit routing keep both
properties and still use Ray for placement, scheduling on a cluster and failure detection.

A killed worker loses only the articles it had in flight (each article is committed to the
shard as it finishes): its call fails with ``RayActorError``, the driver starts a new actor on
the same shard (``retries`` times), which skips what the shard holds. Whatever is still not
stored when the command ends is named; the same command resumes (articles already stored in
any shard with the current extraction key are not dispatched at all)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from extractor.cluster.shards import open_shard, shard_path, stored_articles
from extractor.config import Settings, redact_url
from extractor.errors import ConfigError, ExtractorError
from extractor.llm.client import LLMClient
from extractor.pipeline import cache
from extractor.pipeline.batch import Batch, RunOptions
from extractor.pipeline.prompts import PromptLibrary
from extractor.text.articles import ArticleError, read_article


class ClusterError(ExtractorError):
    """Ray is missing, the cluster cannot be reached, or a worker cannot start."""


def stable_hash(text: str) -> int:
    """The same number in every process (Python's ``hash`` of a str is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class RoutingClient:
    """One LLM client per endpoint; every call about an article goes to the endpoint its id
    hashes to. Has what ``Batch`` uses of ``LLMClient``: ``complete``, ``prepare``, ``aclose``."""

    def __init__(self, settings: Settings, endpoints: Sequence[str],
                 recorder: Callable[..., None], **client_options: Any) -> None:
        if not endpoints:
            raise ConfigError("no endpoint given")
        self.endpoints = list(endpoints)
        self.clients = [LLMClient(settings, url, recorder, **client_options)
                        for url in self.endpoints]

    def endpoint_of(self, article_id: str) -> int:
        return stable_hash(article_id) % len(self.clients)

    async def complete(self, response_model: Any, messages: list[dict[str, str]], *,
                       article_id: str, stage: str, max_tokens: int | None = None) -> Any:
        client = self.clients[self.endpoint_of(article_id)]
        return await client.complete(response_model, messages, article_id=article_id,
                                     stage=stage, max_tokens=max_tokens)

    def prepare(self) -> None:
        for client in self.clients:
            client.prepare()

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


class ShardWorker:
    """The body of a Ray actor: one ``Batch`` writing one shard. Its database and batch are
    made in the actor's event loop (the first call), where they are used."""

    def __init__(self, index: int, shard: str, settings: Settings, endpoints: list[str],
                 options: RunOptions) -> None:
        self.index, self.shard, self.settings = index, Path(shard), settings
        self.endpoints, self.options = endpoints, options
        self.batch: Batch | None = None
        self.started = time.perf_counter()

    async def _open(self) -> Batch:
        if self.batch is None:
            endpoints = self.endpoints
            batch = Batch(open_shard(self.shard), self.settings, endpoints[0], self.options,
                          client_factory=lambda s, _url, record: RoutingClient(s, endpoints,
                                                                               record))
            await batch.open()
            self.batch = batch
        return self.batch

    async def process(self, paths: list[str]) -> dict[str, int]:
        batch = await self._open()
        await batch.process_all([Path(p) for p in paths])
        return self.counts()

    def counts(self) -> dict[str, int]:
        if self.batch is None:
            return {}
        s = self.batch.summary
        return {"done": s.done, "skipped": s.skipped, "failed": s.failed,
                "llm_calls": s.llm_calls, "prompt_tokens": s.prompt_tokens,
                "completion_tokens": s.completion_tokens}

    async def close(self) -> dict[str, int]:
        counts = self.counts()
        if self.batch is not None:
            batch, self.batch = self.batch, None
            await batch.close("finished", self.started, rebuild=False)
            batch.db.close()
        return counts

    def pid(self) -> int:
        import os

        return os.getpid()


@dataclass
class RayOptions:
    workdir: Path
    endpoints: list[str]
    workers: int = 2
    address: str | None = None  # an existing cluster ("auto", "ray://host:10001"); else local
    num_cpus: int | None = None  # of the local cluster started without an address
    retries: int = 1  # new actors for a shard whose worker died
    poll_seconds: float = 0.5


@dataclass
class RaySummary:
    articles: int = 0
    done: int = 0
    skipped: int = 0  # unchanged: already in a shard (not dispatched) or skipped by a worker
    failed: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    workers: int = 0
    worker_deaths: int = 0
    missing: list[str] = field(default_factory=list)  # neither stored nor failed: run again

    def add(self, counts: dict[str, int]) -> None:
        for name in ("done", "skipped", "failed", "llm_calls", "prompt_tokens",
                     "completion_tokens"):
            setattr(self, name, getattr(self, name) + counts.get(name, 0))


@dataclass
class Progress:
    """What the driver knows while it waits (given to ``on_poll`` every poll)."""

    actors: dict[int, Any]
    assigned: dict[int, list[str]]
    workdir: Path
    summary: RaySummary


def import_ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise ClusterError("--engine ray needs Ray: pip install 'extractor[cluster]'") from err
    return ray


def current_key(path: Path, settings: Settings, prompt_hashes: dict[str, str]) -> str | None:
    """The extraction key an article would be stored under now (None: unreadable)."""
    try:
        article = read_article(path)
    except ArticleError:
        return None
    return cache.article_key(*(planned.keys
                               for planned in cache.part_keys(article, settings, prompt_hashes)))


def plan(files: Sequence[Path], settings: Settings, options: RunOptions, workdir: Path,
         workers: int) -> tuple[dict[int, list[str]], int]:
    """Each worker's files, and how many are already stored (in any shard, same key)."""
    stored = {} if (options.force or options.only) else stored_articles(workdir)
    hashes = PromptLibrary(settings.prompts_dir).hashes()
    assigned: dict[int, list[str]] = {index: [] for index in range(workers)}
    skipped = 0
    for path in files:
        if path.stem in stored and stored[path.stem] == current_key(path, settings, hashes):
            skipped += 1
            continue
        assigned[stable_hash(path.stem) % workers].append(str(path.resolve()))
    return assigned, skipped


def worker_settings(settings: Settings, endpoints: Sequence[str]) -> Settings:
    """A worker's settings: remote endpoints, no post-processing processes of its own (Ray
    runs the workers in parallel), the endpoints as the run's base URL (redacted)."""
    shown = ",".join(redact_url(url) or "" for url in endpoints)
    return replace(settings, base_url=shown, embedded=False, cpu_workers=0)


def run_on_ray(files: Sequence[Path], settings: Settings, ray_options: RayOptions,
               options: RunOptions, *, progress: Callable[[RaySummary], None] | None = None,
               on_poll: Callable[[Progress], None] | None = None) -> RaySummary:
    """Extract ``files`` on Ray into shards under ``ray_options.workdir``. Uses the Ray
    already initialised in this process, else connects to ``address`` or starts a local
    cluster (shut down at the end)."""
    ray = import_ray()
    started = time.perf_counter()
    workdir = ray_options.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    workers = max(1, ray_options.workers)
    summary = RaySummary(articles=len(files), workers=workers)
    assigned, summary.skipped = plan(files, settings, options, workdir, workers)
    actors: dict[int, Any] = {}
    owned = not ray.is_initialized()
    if owned:
        try:
            if ray_options.address:
                ray.init(address=ray_options.address, log_to_driver=False)
            else:
                ray.init(num_cpus=ray_options.num_cpus, include_dashboard=False,
                         log_to_driver=False)
        except Exception as err:  # ConnectionError, RuntimeError, ...: Ray says why
            raise ClusterError(f"cannot start or reach the Ray cluster: {err}") from err
    try:
        cpus = float(ray.cluster_resources().get("CPU", 1))
        actor_class = ray.remote(ShardWorker).options(
            num_cpus=min(1.0, cpus / workers), max_restarts=0, max_task_retries=0)
        per_worker = worker_settings(settings, ray_options.endpoints)
        calls: dict[Any, int] = {}
        tries = dict.fromkeys(assigned, 0)

        def launch(index: int) -> None:
            actors[index] = actor_class.remote(index, str(shard_path(workdir, index)),
                                               per_worker, ray_options.endpoints, options)
            calls[actors[index].process.remote(assigned[index])] = index

        for index, paths in assigned.items():
            if paths:
                launch(index)
        state = Progress(actors, assigned, workdir, summary)
        while calls:
            ready, _ = ray.wait(list(calls), num_returns=1, timeout=ray_options.poll_seconds)
            for ref in ready:
                index = calls.pop(ref)
                try:
                    ray.get(ref)
                    summary.add(ray.get(actors[index].close.remote()))
                    ray.kill(actors.pop(index))
                except ray.exceptions.RayActorError:
                    summary.worker_deaths += 1
                    actors.pop(index, None)
                    if tries[index] < ray_options.retries:
                        tries[index] += 1
                        launch(index)  # the shard keeps what was stored: those are skipped
            if on_poll is not None:
                on_poll(state)
            if progress is not None:
                progress(summary)
    finally:
        for actor in actors.values():
            ray.kill(actor)
        if owned:
            ray.shutdown()
    stored = stored_articles(workdir)
    failed = _failed_ids(workdir)
    summary.missing = [Path(p).stem for paths in assigned.values() for p in paths
                       if Path(p).stem not in stored and Path(p).stem not in failed]
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _failed_ids(workdir: Path) -> set[str]:
    import sqlite3

    from extractor.cluster.shards import shard_files

    failed: set[str] = set()
    for path in shard_files(workdir):
        try:
            conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
            failed |= {row[0] for row in conn.execute(
                "SELECT article_id FROM errors WHERE article_id IS NOT NULL")}
            conn.close()
        except sqlite3.Error:
            continue
    return failed

