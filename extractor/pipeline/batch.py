"""The batch: read each article, run the stages (reusing unchanged stage results), finalize,
store. One bad article never stops the batch; an unchanged article costs no LLM call.

Articles run concurrently (``concurrency`` workers fed from a bounded queue of paths; each reads
its article only when it starts it); within one article the stages run in order, repair first,
so a server's prompt cache keeps the article between its stages. Their CPU-bound steps run in
the run's worker processes when it has some (extractor/offload.py). Every write goes through the
run's single writer (extractor/writer.py). Ctrl-C cancels the articles in flight (none of them
is stored, their finished stage results stay cached), marks the run ``interrupted`` and raises
``RunInterrupted``; the same command resumes."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from extractor.backends.replay import (
    article_cassette,
    make_vcr,
    manifest_changes,
    replay_miss_hint,
    write_manifest,
)
from extractor.config import Settings
from extractor.errors import ReplayMissError
from extractor.jsonschemas import schema_hash
from extractor.llm.client import LLMClient
from extractor.llm.transport import is_connection_failure
from extractor.models import CallRecord
from extractor.pipeline import cache
from extractor.pipeline.extraction import (
    StageFailure,
    StageRunner,
    extract_article,
    part_report,
)
from extractor.pipeline.offload import Offloader, auto_workers
from extractor.pipeline.prompts import PromptLibrary
from extractor.pipeline.stages import (
    StageContext,
)
from extractor.pipeline.writer import Writer
from extractor.postprocess.finalize import grounding_counts
from extractor.store import storage
from extractor.store.identities import rebuild_identities
from extractor.store.places import rebuild_places
from extractor.text.articles import Article, ArticleError, find_article_files, read_article
from extractor.text.candidates import load_dictionary


@dataclass
class RunOptions:
    replay_dir: Path | None = None
    record_dir: Path | None = None
    force: bool = False
    only: frozenset[str] = frozenset()  # recompute just these stages (reuse the rest)
    articles: frozenset[str] = frozenset()  # restrict to these article ids
    command: str = ""
    concurrency: int | None = None  # articles in flight; None: the settings' (per backend)


@dataclass
class RunSummary:
    run_id: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(storage.RECORD_TABLES, 0))
    grounded: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    seconds: float = 0.0
    stages_computed: Counter[str] = field(default_factory=Counter)
    stages_reused: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, article it repeats)
    concurrency: int = 1
    status: str = "running"

    @property
    def grounding_rate(self) -> float | None:
        total = sum(self.records.values())
        return round(self.grounded / total, 4) if total else None

    @property
    def all_failed(self) -> bool:
        return self.failed > 0 and self.done == 0 and self.skipped == 0


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run; ``summary`` holds what was stored before it."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(
            f"interrupted: run {summary.run_id} stopped after {summary.done} article(s) stored, "
            f"{summary.skipped} unchanged and {summary.failed} failed; the articles in flight "
            "were not stored (their finished stages are cached): run the same command again "
            "to resume")
        self.summary = summary


ProgressCallback = Callable[[str, str], None]
# progress(article_id, status): "running", then STAGE_PREFIX + what a stage is doing, then the
# article's result ("done", "skipped", "duplicate of <id>", "failed")
STAGE_PREFIX = "stage:"
ClientFactory = Callable[[Settings, str, Callable[[CallRecord], None]], Any]


class Batch:
    """One `extractor run`: owns the run row, the client, the writer and the per-article
    bookkeeping."""

    def __init__(self, db: sqlite_utils.Database, settings: Settings, base_url: str,
                 options: RunOptions, client_factory: ClientFactory = LLMClient,
                 ensure_alive: Callable[[], bool] | None = None) -> None:
        self.db = db
        self.ensure_alive = ensure_alive  # restarts a dead embedded server (backend.py)
        self.settings = settings
        self.options = options
        self.library = PromptLibrary(settings.prompts_dir)
        self.prompt_hashes = self.library.hashes()
        self.run_id = storage.start_run(
            db, command=options.command, model=settings.model,
            base_url=settings.display_base_url or "embedded", mode=settings.mode.name,
            prompt_hashes=self.prompt_hashes, schema_hash=schema_hash(),
        )
        self.cassette_dir = options.replay_dir or options.record_dir
        # vcrpy patches the HTTP client globally for one cassette (one article) at a time
        self.concurrency = 1 if self.cassette_dir else max(
            1, options.concurrency or settings.concurrency)
        self.summary = RunSummary(run_id=self.run_id, concurrency=self.concurrency)
        workers = settings.cpu_workers
        self.offload = Offloader(auto_workers(self.concurrency) if workers is None else workers,
                                 preload=load_dictionary)
        self.client = client_factory(settings, base_url, self._record_call)
        recording = options.record_dir is not None
        self.vcr = (
            make_vcr(self.cassette_dir, record=recording, secrets=[settings.api_key or ""])
            if self.cassette_dir else None
        )
        self.writer: Writer = Writer(db)
        self._claims: dict[str, asyncio.Event] = {}  # article text sha -> its article in flight
        self._restart_lock: asyncio.Lock | None = None
        self.progress: ProgressCallback | None = None
        self._restarts = 0

    def _record_call(self, call: CallRecord) -> None:
        self.summary.llm_calls += 1
        self.summary.prompt_tokens += call.prompt_tokens or 0
        self.summary.completion_tokens += call.completion_tokens or 0
        self.writer.post(lambda db: storage.record_call(db, self.run_id, call))

    async def _fail(self, article_id: str | None, path: Path, stage: str,
                    err: BaseException) -> None:
        self.summary.failed += 1
        cause = err.cause if isinstance(err, StageFailure) else err
        message = str(err)
        if isinstance(cause, ReplayMissError) and self.cassette_dir:
            message += " — " + replay_miss_hint(manifest_changes(
                self.cassette_dir, prompt_hashes=self.prompt_hashes,
                schema_hash=schema_hash(), model=self.settings.model))
        self.summary.failures.append(f"{path}: {message}")
        self.writer.post(lambda db: storage.record_error(
            db, self.run_id, article_id=article_id, path=str(path), stage=stage,
            error_type=type(cause).__name__, message=message,
        ))

    async def _server_restarted(self, article_id: str, path: Path, err: StageFailure,
                                restarts_seen: int) -> bool:
        """After a connection failure: True when the backend was dead and is restarted (by this
        article, or by another one in flight since this article started)."""
        if self.ensure_alive is None or not is_connection_failure(err.cause):
            return False
        if self._restart_lock is None:
            self._restart_lock = asyncio.Lock()
        async with self._restart_lock:
            if self._restarts != restarts_seen:
                return True
            try:
                restarted = self.ensure_alive()
            except Exception as dead:
                await self._fail(article_id, path, err.stage, StageFailure(err.stage, dead))
                raise  # the server died again: stop the batch with its message
            self._restarts += restarted
            return restarted

    async def process_path(self, path: Path) -> str:
        """Process one file; returns its status (done / skipped / duplicate / failed)."""
        try:
            article = read_article(path)
        except ArticleError as err:
            await self._fail(path.stem, path, "read", err)
            return "failed"
        # the same text in flight under another name: wait for it, then it is a duplicate
        while (other := self._claims.get(article.sha256)) is not None:
            await other.wait()
        claim = self._claims[article.sha256] = asyncio.Event()
        try:
            return await self._process(article, path)
        finally:
            del self._claims[article.sha256]
            claim.set()

    async def _process(self, article: Article, path: Path) -> str:
        existing = storage.article_by_sha(self.db, article.sha256)
        if existing and existing != article.article_id:
            await self.writer.write(
                lambda db: storage.add_source_path(db, existing, str(path.resolve())))
            self.summary.skipped += 1
            self.summary.duplicates.append((str(path), existing))
            return f"duplicate of {existing}"
        parts = cache.part_keys(article, self.settings, self.prompt_hashes)
        key = cache.article_key(*(planned.keys for planned in parts))
        recompute = self.options.force or self.options.only
        if not recompute and storage.stored_key(self.db, article.article_id) == key:
            self.summary.skipped += 1
            return "skipped"
        progress = self.progress
        report = ((lambda doing: progress(article.article_id, STAGE_PREFIX + doing))
                  if progress else (lambda doing: None))
        runners = []
        for number, planned in enumerate(parts, start=1):
            ctx = StageContext(planned.part, self.library, self.client,
                               self.settings.stage_max_tokens, self.offload)
            runners.append((ctx, StageRunner(self.db, self.writer, planned.part, self.run_id,
                                             planned.keys, planned.legacy, self.options,
                                             self.summary,
                                             report=part_report(report, number, len(parts)))))
        for attempt in (1, 2):  # a 2nd try only after the dead model server was restarted
            restarts_seen = self._restarts
            try:
                with article_cassette(self.vcr, self.cassette_dir, article.article_id,
                                      record=self.options.record_dir is not None):
                    row, records = await extract_article(article, runners,
                                                         self.library.glossary())
                break
            except StageFailure as err:
                if attempt == 1 and await self._server_restarted(
                        article.article_id, path, err, restarts_seen):
                    continue
                await self._fail(article.article_id, path, err.stage, err)
                return "failed"

        def stored() -> None:  # counted once committed, even if this task is cancelled by then
            self.summary.done += 1
            for table in storage.RECORD_TABLES:
                self.summary.records[table] += len(records.get(table, []))
            self.summary.grounded += grounding_counts(records)[0]

        await self.writer.write(lambda db: storage.save_article(
            db, self.run_id, {**row, "extraction_key": key}, records), on_commit=stored)
        return "done"

    async def _work(self, queue: asyncio.Queue[Path | None],
                    progress: ProgressCallback | None) -> None:
        while (path := await queue.get()) is not None:
            if progress:
                progress(path.stem, "running")
            result = await self.process_path(path)
            if progress:
                progress(path.stem, result)

    async def process_all(self, files: Sequence[Path],
                          progress: ProgressCallback | None = None) -> None:
        """Run every file through ``concurrency`` workers fed by a bounded queue."""
        self.progress = progress
        queue: asyncio.Queue[Path | None] = asyncio.Queue(maxsize=self.concurrency)

        async def feed() -> None:
            for path in files:
                await queue.put(path)
            for _ in range(self.concurrency):
                await queue.put(None)

        tasks = [asyncio.create_task(feed(), name="feed")]
        tasks += [asyncio.create_task(self._work(queue, progress), name=f"worker-{n}")
                  for n in range(self.concurrency)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def open(self) -> None:
        """Start the run's writer, worker processes and client (``run`` does this; a caller
        that feeds ``process_all`` several times, such as a Ray worker, calls it once)."""
        self.writer.start()
        self.offload.start()  # the workers start in the background while the client is built
        prepare = getattr(self.client, "prepare", None)
        if prepare is not None:
            prepare()

    async def close(self, status: str, started: float, *, rebuild: bool = True) -> None:
        """Stop the workers, drain the writer, close the client; rebuild the cross-article
        identities and places (unless ``rebuild`` is False: a shard leaves that to ingest)
        and record the run's end with ``status``."""
        self.offload.close()
        try:
            await self.writer.close()
        finally:
            close = getattr(self.client, "aclose", None)
            if close is not None:
                await close()
            if self.summary.done and rebuild:
                rebuild_identities(self.db)
                rebuild_places(self.db)
            self.finish(status, started)

    async def run(self, paths: Sequence[Path],
                  progress: ProgressCallback | None = None) -> RunSummary:
        """The whole batch; failures are recorded, never raised (except a model server that died
        again after its restart, and cancellation: the run is marked ``interrupted``)."""
        started = time.perf_counter()
        status = "interrupted"
        try:
            await self.open()
            await self.process_all(selected_files(paths, self.options.articles), progress)
            status = "finished"
            if self.options.record_dir is not None:
                write_manifest(self.options.record_dir, prompt_hashes=self.prompt_hashes,
                               schema_hash=schema_hash(), model=self.settings.model,
                               compact_json=self.settings.compact_json)
        finally:
            await self.close(status, started)
        return self.summary

    def finish(self, status: str, started: float) -> RunSummary:
        self.summary.seconds = round(time.perf_counter() - started, 2)
        self.summary.status = status
        storage.finish_run(
            self.db, self.run_id, status=status,
            articles_done=self.summary.done, articles_skipped=self.summary.skipped,
            articles_failed=self.summary.failed, record_counts=self.summary.records,
            prompt_tokens=self.summary.prompt_tokens,
            completion_tokens=self.summary.completion_tokens,
            llm_calls=self.summary.llm_calls, grounding_rate=self.summary.grounding_rate,
            seconds=self.summary.seconds,
            stages_computed=json.dumps(dict(self.summary.stages_computed)),
            stages_reused=json.dumps(dict(self.summary.stages_reused)),
        )
        return self.summary


def selected_files(paths: Sequence[Path], articles: frozenset[str]) -> list[Path]:
    files = list(find_article_files(paths))
    return [f for f in files if f.stem in articles] if articles else files


async def run_batch_async(db: sqlite_utils.Database, settings: Settings, base_url: str,
                          paths: Sequence[Path], options: RunOptions,
                          progress: ProgressCallback | None = None,
                          client_factory: ClientFactory = LLMClient,
                          ensure_alive: Callable[[], bool] | None = None) -> RunSummary:
    """Process every article under ``paths`` (see ``Batch.run``)."""
    batch = Batch(db, settings, base_url, options, client_factory, ensure_alive)
    return await batch.run(paths, progress)


def run_batch(db: sqlite_utils.Database, settings: Settings, base_url: str,
              paths: Sequence[Path], options: RunOptions,
              progress: ProgressCallback | None = None,
              client_factory: ClientFactory = LLMClient,
              ensure_alive: Callable[[], bool] | None = None) -> RunSummary:
    """``run_batch_async`` in its own event loop; Ctrl-C raises ``RunInterrupted``."""
    batch = Batch(db, settings, base_url, options, client_factory, ensure_alive)
    try:
        return asyncio.run(batch.run(paths, progress))
    except KeyboardInterrupt:
        if batch.summary.status != "interrupted":
            raise  # interrupted before the run got going (or twice): nothing to report
        raise RunInterrupted(batch.summary) from None
