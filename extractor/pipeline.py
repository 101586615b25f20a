"""The batch: read each article, run the stages, finalize, store; one bad article never
stops the batch, and an article whose inputs are unchanged is not recomputed."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
from pydantic import ValidationError

from extractor import storage
from extractor.articles import Article, ArticleError, find_article_files, read_article
from extractor.config import Settings
from extractor.finalize import finalize, grounding_counts
from extractor.identities import rebuild_identities
from extractor.jsonschemas import schema_hash
from extractor.llm import CallRecord, LLMClient, LLMError
from extractor.prompts import PromptLibrary
from extractor.replay import article_cassette, make_vcr
from extractor.stages import EXTRACTION_STAGES, STAGE_VERSION, StageContext, run_repair


@dataclass
class RunOptions:
    replay_dir: Path | None = None
    record_dir: Path | None = None
    force: bool = False
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


def extraction_key(article: Article, settings: Settings, prompt_hashes: dict[str, str],
                   schemas: str) -> str:
    """Everything that determines an article's result; unchanged key = reuse stored result."""
    material = json.dumps(
        [article.sha256, settings.model, prompt_hashes, schemas, STAGE_VERSION], sort_keys=True
    )
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def extract_article(ctx: StageContext) -> tuple[dict, dict[str, list[dict]]]:
    """Run repair then every extraction stage; returns the article row and grounded records."""
    article = ctx.article
    try:
        repair = run_repair(ctx)
    except (LLMError, ValidationError) as err:
        raise StageFailure("repair", err) from err
    records: dict[str, list[dict]] = {}
    for name, stage in EXTRACTION_STAGES.items():
        try:
            records[name] = stage(ctx, repair.repairs)
        except (LLMError, ValidationError) as err:
            raise StageFailure(name, err) from err
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
    return row, finalize(records, article.text)


class Batch:
    """One `extractor run`: owns the run row, the client and the per-article bookkeeping."""

    def __init__(self, db: sqlite_utils.Database, settings: Settings, base_url: str,
                 options: RunOptions) -> None:
        self.db = db
        self.settings = settings
        self.options = options
        self.library = PromptLibrary(settings.prompts_dir)
        self.prompt_hashes = self.library.hashes()
        self.schema_hash = schema_hash()
        self.run_id = storage.start_run(
            db, command=options.command, model=settings.model,
            base_url=settings.display_base_url or "embedded", mode=settings.mode.name,
            prompt_hashes=self.prompt_hashes, schema_hash=self.schema_hash,
        )
        self.summary = RunSummary(run_id=self.run_id)
        self.client = LLMClient(settings, base_url, self._record_call)
        cassette_dir = options.replay_dir or options.record_dir
        self.cassette_dir = cassette_dir
        recording = options.record_dir is not None
        self.vcr = make_vcr(cassette_dir, record=recording) if cassette_dir else None

    def _record_call(self, call: CallRecord) -> None:
        self.summary.llm_calls += 1
        self.summary.prompt_tokens += call.prompt_tokens or 0
        self.summary.completion_tokens += call.completion_tokens or 0
        storage.record_call(self.db, self.run_id, call)

    def _fail(self, article_id: str | None, path: Path, stage: str, err: BaseException) -> None:
        self.summary.failed += 1
        cause = err.cause if isinstance(err, StageFailure) else err
        message = str(err)
        self.summary.failures.append(f"{path}: {message}")
        storage.record_error(
            self.db, self.run_id, article_id=article_id, path=str(path), stage=stage,
            error_type=type(cause).__name__, message=message,
        )

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
        key = extraction_key(article, self.settings, self.prompt_hashes, self.schema_hash)
        if not self.options.force and storage.stored_key(self.db, article.article_id) == key:
            self.summary.skipped += 1
            return "skipped"
        ctx = StageContext(article, self.library, self.client, self.settings.stage_max_tokens)
        try:
            with article_cassette(self.vcr, self.cassette_dir, article.article_id,
                                  record=self.options.record_dir is not None):
                row, records = extract_article(ctx)
        except StageFailure as err:
            self._fail(article.article_id, path, err.stage, err)
            return "failed"
        storage.save_article(self.db, self.run_id, {**row, "extraction_key": key}, records)
        self.summary.done += 1
        for table, rows in records.items():
            self.summary.records[table] += len(rows)
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
        )
        return self.summary


def run_batch(db: sqlite_utils.Database, settings: Settings, base_url: str,
              paths: Sequence[Path], options: RunOptions,
              progress: ProgressCallback | None = None) -> RunSummary:
    """Process every article under ``paths``; failures are recorded, never raised."""
    started = time.perf_counter()
    batch = Batch(db, settings, base_url, options)
    status = "interrupted"
    try:
        for path in find_article_files(paths):
            if progress:
                progress(path.stem, "running")
            result = batch.process_path(path)
            if progress:
                progress(path.stem, result)
        status = "finished"
    finally:
        rebuild_identities(db)
        batch.finish(status, started)
    return batch.summary
