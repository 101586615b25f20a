"""Token accounting from ``llm_calls``: prompt and completion tokens per stage, per article and
per record extracted (every HTTP attempt counts, failed ones and re-asks included)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from extractor.models import RECORD_TYPES
from extractor.pipeline.stages import STAGE_NAMES

# the record table each stage fills, in the stages' order
_TABLE_OF_STAGE = {record.stage: record.table for record in RECORD_TYPES.values()}
STAGE_RECORDS = {stage: _TABLE_OF_STAGE[stage] for stage in STAGE_NAMES}


@dataclass
class TokenRow:
    stage: str  # a stage name, or "total"
    calls: int
    articles: int
    prompt_tokens: int
    completion_tokens: int
    prompt_tokens_processed: int | None  # llama.cpp: after its prompt cache (None: not reported)
    records: int | None  # records of the stage's table now stored for those articles
    server_prompt_s: float | None = None  # llama.cpp timings: reading prompts (None: not reported)
    server_generation_s: float | None = None  # llama.cpp timings: generating

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def per_article(self) -> float | None:
        return self.tokens / self.articles if self.articles else None

    @property
    def per_record(self) -> float | None:
        return self.tokens / self.records if self.records else None

    @property
    def processed_share(self) -> float | None:
        if self.prompt_tokens_processed is None or not self.prompt_tokens:
            return None
        return self.prompt_tokens_processed / self.prompt_tokens


def latest_run_with_calls(db: sqlite_utils.Database) -> int | None:
    if "llm_calls" not in db.table_names():
        return None
    rows = list(db.query("SELECT max(run_id) AS id FROM llm_calls"))
    return rows[0]["id"] if rows else None


def _records(db: sqlite_utils.Database, table: str, run_id: int, stage: str | None) -> int:
    if table not in db.table_names():
        return 0
    where = "run_id = ?" + (" AND stage = ?" if stage else "")
    params = [run_id, stage] if stage else [run_id]
    return db.execute(
        f"SELECT count(*) FROM [{table}] WHERE article_id IN "
        f"(SELECT DISTINCT article_id FROM llm_calls WHERE {where})", params).fetchone()[0]


def token_report(db: sqlite_utils.Database, run_id: int) -> list[TokenRow]:
    """One row per stage of ``run_id`` (pipeline order), then the total."""
    found = {row["stage"]: row for row in db.query(
        "SELECT stage, count(*) AS calls, count(DISTINCT article_id) AS articles, "
        "coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c, "
        "sum(prompt_tokens_processed) AS processed, sum(server_prompt_ms) / 1000.0 AS "
        "prompt_s, sum(server_generation_ms) / 1000.0 AS generation_s FROM llm_calls "
        "WHERE run_id = ? GROUP BY stage", [run_id])}
    order = [s for s in STAGE_RECORDS if s in found] + sorted(set(found) - set(STAGE_RECORDS))
    rows = []
    for stage in order:
        row = found[stage]
        table = STAGE_RECORDS.get(stage)
        rows.append(TokenRow(stage, row["calls"], row["articles"], row["p"], row["c"],
                             row["processed"],
                             _records(db, table, run_id, stage) if table else None,
                             row["prompt_s"], row["generation_s"]))
    if rows:
        articles = db.execute("SELECT count(DISTINCT article_id) FROM llm_calls WHERE run_id = ?",
                              [run_id]).fetchone()[0]
        processed = [r.prompt_tokens_processed for r in rows
                     if r.prompt_tokens_processed is not None]
        rows.append(TokenRow(
            "total", sum(r.calls for r in rows), articles,
            sum(r.prompt_tokens for r in rows), sum(r.completion_tokens for r in rows),
            sum(processed) if processed else None,
            sum(_records(db, t, run_id, None) for t in STAGE_RECORDS.values()),
            _total(r.server_prompt_s for r in rows), _total(r.server_generation_s for r in rows)))
    return rows


def _total(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) if found else None


@dataclass
class TimeReport:
    """A run against its limit: the wall time, and how much of it the model server spent
    reading prompts and generating (llama.cpp timings); the rest is the pipeline's own work and
    waiting (with articles in flight together, server times overlap and can exceed the wall)."""

    wall_s: float | None
    server_prompt_s: float | None
    server_generation_s: float | None

    @property
    def outside_server_s(self) -> float | None:
        if None in (self.wall_s, self.server_prompt_s, self.server_generation_s):
            return None
        return self.wall_s - self.server_prompt_s - self.server_generation_s  # type: ignore


def time_report(db: sqlite_utils.Database, run_id: int,
                rows: Sequence[TokenRow]) -> TimeReport:
    """The run's wall seconds (``runs.seconds``) beside the server's, from ``token_report``."""
    found = list(db.query("SELECT seconds FROM runs WHERE id = ?", [run_id]))
    total = rows[-1] if rows else None
    return TimeReport(found[0]["seconds"] if found else None,
                      total.server_prompt_s if total else None,
                      total.server_generation_s if total else None)


def article_tokens(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """Prompt and completion tokens of every article and stage of ``run_id``."""
    return list(db.query(
        "SELECT article_id, stage, count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS "
        "prompt_tokens, coalesce(sum(completion_tokens), 0) AS completion_tokens "
        "FROM llm_calls WHERE run_id = ? GROUP BY article_id, stage ORDER BY article_id, "
        "min(id)", [run_id]))
