"""The batch: read each article, run the stages (reusing unchanged stage results), finalize,
store. One bad article never stops the batch; an unchanged article costs no LLM call."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from extractor import cache, storage
from extractor.articles import Article, ArticleError, find_article_files, read_article
from extractor.config import Settings
from extractor.finalize import finalize, grounding_counts
from extractor.identities import rebuild_identities
from extractor.jsonschemas import schema_hash
from extractor.llm import (
    CallRecord,
    LLMClient,
    LLMError,
    ReplayMissError,
    is_connection_failure,
)
from extractor.prompts import PromptLibrary
from extractor.replay import (
    article_cassette,
    make_vcr,
    manifest_changes,
    replay_miss_hint,
    write_manifest,
)
from extractor.stages import EXTRACTION_STAGES, RepairOutput, StageContext, run_repair


@dataclass
class RunOptions:
    replay_dir: Path | None = None
    record_dir: Path | None = None
    force: bool = False
    only: frozenset[str] = frozenset()  # recompute just these stages (reuse the rest)
    articles: frozenset[str] = frozenset()  # restrict to these article ids
    command: str = ""


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

    @property
    def grounding_rate(self) -> float | None:
        total = sum(self.records.values())
        return round(self.grounded / total, 4) if total else None

    @property
    def all_failed(self) -> bool:
        return self.failed > 0 and self.done == 0 and self.skipped == 0


class StageFailure(Exception):
    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {cause}")
        self.stage = stage
        self.cause = cause


ProgressCallback = Callable[[str, str], None]
ClientFactory = Callable[[Settings, str, Callable[[CallRecord], None]], Any]


class StageRunner:
    """Runs one article's stages, reusing a stored result whenever its key is unchanged."""

    def __init__(self, db: sqlite_utils.Database, article: Article, run_id: int,
                 keys: dict[str, cache.StageKey], options: RunOptions,
                 summary: RunSummary) -> None:
        self.db, self.article, self.run_id = db, article, run_id
        self.keys, self.options, self.summary = keys, options, summary

    def _must_compute(self, stage: str) -> bool:
        return self.options.force or stage in self.options.only

    def run(self, stage: str, compute: Callable[[], Any]) -> Any:
        key = self.keys[stage]
        if not self._must_compute(stage):
            stored = cache.cached_output(self.db, self.article.article_id, key)
            if stored is not None:
                self.summary.stages_reused[stage] += 1
                return stored
        try:
            output = compute()
        except (LLMError, ValidationError) as err:
            raise StageFailure(stage, err) from err
        cache.store_output(self.db, self.article.article_id, key, self.run_id, output)
        self.summary.stages_computed[stage] += 1
        return output


def extract_article(ctx: StageContext, runner: StageRunner) -> tuple[dict, dict[str, list[dict]]]:
    """Repair then every extraction stage; returns the article row and grounded records."""
    article = ctx.article
    repair = RepairOutput.from_json(runner.run("repair", lambda: run_repair(ctx).to_json()))
    records: dict[str, list[dict]] = {}
    for name, stage in EXTRACTION_STAGES.items():
        records[name] = runner.run(name, lambda stage=stage: stage(ctx, repair.repairs))
    records["repairs"] = [r.model_dump() for r in repair.repairs]
    row = {
        "article_id": article.article_id,
        "title": repair.title,
        "headline": article.headline,
        "published": article.published,
        "place": repair.place,
        "text": article.text,
        "repaired_text": repair.repaired_text,
        "sha256": article.sha256,
        "source_paths": json.dumps([str(article.path)]),
    }
    final = finalize(records, article.text)
    city = (repair.place or "").split(",")[0].strip()
    for target in final.get("targets", []):
        target["region"] = target.get("region") or city or None  # the article's city by default
    return row, final


class Batch:
    """One `extractor run`: owns the run row, the client and the per-article bookkeeping."""

    def __init__(self, db: sqlite_utils.Database, settings: Settings, base_url: str,
                 options: RunOptions, client_factory: ClientFactory = LLMClient,
                 ensure_alive: Callable[[], bool] | None = None) -> None:
        self.db = db
        self.ensure_alive = ensure_alive  # restarts a dead embedded server (backend.py)
        self.settings = settings
        self.options = options
        self.library = PromptLibrary(settings.prompts_dir)
        self.prompt_hashes = self.library.hashes()
        cache.ensure_cache_tables(db)
        self.run_id = storage.start_run(
            db, command=options.command, model=settings.model,
            base_url=settings.display_base_url or "embedded", mode=settings.mode.name,
            prompt_hashes=self.prompt_hashes, schema_hash=schema_hash(),
        )
        self.summary = RunSummary(run_id=self.run_id)
        self.client = client_factory(settings, base_url, self._record_call)
        self.cassette_dir = options.replay_dir or options.record_dir
        recording = options.record_dir is not None
        self.vcr = (
            make_vcr(self.cassette_dir, record=recording, secrets=[settings.api_key or ""])
            if self.cassette_dir else None
        )

    def _record_call(self, call: CallRecord) -> None:
        self.summary.llm_calls += 1
        self.summary.prompt_tokens += call.prompt_tokens or 0
        self.summary.completion_tokens += call.completion_tokens or 0
        storage.record_call(self.db, self.run_id, call)

    def _fail(self, article_id: str | None, path: Path, stage: str, err: BaseException) -> None:
        self.summary.failed += 1
        cause = err.cause if isinstance(err, StageFailure) else err
        message = str(err)
        if isinstance(cause, ReplayMissError) and self.cassette_dir:
            message += " — " + replay_miss_hint(manifest_changes(
                self.cassette_dir, prompt_hashes=self.prompt_hashes,
                schema_hash=schema_hash(), model=self.settings.model))
        self.summary.failures.append(f"{path}: {message}")
        storage.record_error(
            self.db, self.run_id, article_id=article_id, path=str(path), stage=stage,
            error_type=type(cause).__name__, message=message,
        )

    def _server_restarted(self, article_id: str, path: Path, err: StageFailure) -> bool:
        """After a connection failure: True when the backend was dead and is restarted."""
        if self.ensure_alive is None or not is_connection_failure(err.cause):
            return False
        try:
            return self.ensure_alive()
        except Exception as dead:
            self._fail(article_id, path, err.stage, StageFailure(err.stage, dead))
            raise  # the server died again: stop the batch with its message

    def process_path(self, path: Path) -> str:
        """Process one file; returns its status (done / skipped / duplicate / failed)."""
        try:
            article = read_article(path)
        except ArticleError as err:
            self._fail(path.stem, path, "read", err)
            return "failed"
        existing = storage.article_by_sha(self.db, article.sha256)
        if existing and existing != article.article_id:
            storage.add_source_path(self.db, existing, str(path))
            self.summary.skipped += 1
            return "duplicate"
        keys = cache.stage_keys(article.sha256, self.settings.model, self.prompt_hashes)
        key = cache.article_key(keys)
        recompute = self.options.force or self.options.only
        if not recompute and storage.stored_key(self.db, article.article_id) == key:
            self.summary.skipped += 1
            return "skipped"
        ctx = StageContext(article, self.library, self.client, self.settings.stage_max_tokens)
        runner = StageRunner(self.db, article, self.run_id, keys, self.options, self.summary)
        for attempt in (1, 2):  # a 2nd try only after the dead model server was restarted
            try:
                with article_cassette(self.vcr, self.cassette_dir, article.article_id,
                                      record=self.options.record_dir is not None):
                    row, records = extract_article(ctx, runner)
                break
            except StageFailure as err:
                if attempt == 1 and self._server_restarted(article.article_id, path, err):
                    continue
                self._fail(article.article_id, path, err.stage, err)
                return "failed"
        storage.save_article(self.db, self.run_id, {**row, "extraction_key": key}, records)
        self.summary.done += 1
        for table in storage.RECORD_TABLES:
            self.summary.records[table] += len(records.get(table, []))
        self.summary.grounded += grounding_counts(records)[0]
        return "done"

    def finish(self, status: str, started: float) -> RunSummary:
        self.summary.seconds = round(time.perf_counter() - started, 2)
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


def run_batch(db: sqlite_utils.Database, settings: Settings, base_url: str,
              paths: Sequence[Path], options: RunOptions,
              progress: ProgressCallback | None = None,
              client_factory: ClientFactory = LLMClient,
              ensure_alive: Callable[[], bool] | None = None) -> RunSummary:
    """Process every article under ``paths``; failures are recorded, never raised (except a
    model server that died again after its restart: the run stops with that error)."""
    started = time.perf_counter()
    batch = Batch(db, settings, base_url, options, client_factory, ensure_alive)
    status = "interrupted"
    try:
        for path in selected_files(paths, options.articles):
            if progress:
                progress(path.stem, "running")
            result = batch.process_path(path)
            if progress:
                progress(path.stem, result)
        status = "finished"
        if options.record_dir is not None:
            write_manifest(options.record_dir, prompt_hashes=batch.prompt_hashes,
                           schema_hash=schema_hash(), model=settings.model)
    finally:
        if batch.summary.done:
            rebuild_identities(db)
        batch.finish(status, started)
    return batch.summary
