"""What is stale, what a run would recompute, and what changed between two runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from extractor.config import Settings
from extractor.pipeline import cache
from extractor.pipeline.prompts import PromptLibrary
from extractor.store import storage
from extractor.text.articles import ArticleError, read_article

GROUNDING_KEYS = frozenset({"char_start", "char_end", "alignment", "matched_text", "flags",
                            "mention_spans", "merged_from"})
RECORD_IDENTITY = {
    "meetings": ("name",), "officials": ("name",), "initiatives": ("name",),
    "targets": ("metric", "value", "unit"), "repairs": ("original",),
}


@dataclass
class StageStatus:
    article_id: str
    stage: str
    state: str  # up to date | stale | failed | never run
    reason: str = ""


def _last_error_stage(db: sqlite_utils.Database, article_id: str) -> str | None:
    if "errors" not in db.table_names():
        return None
    rows = list(db.query("SELECT stage FROM errors WHERE article_id = ? ORDER BY id DESC LIMIT 1",
                         [article_id]))
    return rows[0]["stage"] if rows else None


def stage_status(db: sqlite_utils.Database, files: Sequence[Path],
                 settings: Settings) -> list[StageStatus]:
    """Per article and stage: up to date, stale (and which input changed), failed, never run."""
    prompt_hashes = PromptLibrary(settings.prompts_dir).hashes()
    statuses: list[StageStatus] = []
    for path in files:
        try:
            article = read_article(path)
        except ArticleError as err:
            statuses.append(StageStatus(path.stem, "read", "failed", str(err)))
            continue
        failed_stage = _last_error_stage(db, article.article_id)
        parts = cache.part_keys(article, settings, prompt_hashes)
        for stage in cache.STAGES:
            missing = [planned.keys[stage] for planned in parts
                       if not cache.has_result(db, article.article_id, planned.keys[stage],
                                               planned.legacy[stage])]
            if not missing:
                statuses.append(StageStatus(article.article_id, stage, "up to date"))
                continue
            old = cache.latest_inputs(db, article.article_id, stage)
            reasons = cache.stale_reasons(old, missing[0].inputs)
            if old is None and failed_stage == stage:
                statuses.append(StageStatus(article.article_id, stage, "failed", "see errors"))
            elif old is None:
                statuses.append(StageStatus(article.article_id, stage, "never run"))
            else:
                statuses.append(StageStatus(article.article_id, stage, "stale",
                                            "changed: " + ", ".join(reasons)))
    return statuses


@dataclass
class Estimate:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    per_stage: dict[str, int] = field(default_factory=dict)


def estimate(db: sqlite_utils.Database, statuses: Sequence[StageStatus]) -> Estimate:
    """Calls and tokens a run would spend, from the average past successful call per stage."""
    averages: dict[str, tuple[float, float]] = {}
    if "llm_calls" in db.table_names():
        for row in db.query("SELECT stage, avg(prompt_tokens) AS p, avg(completion_tokens) AS c "
                            "FROM llm_calls WHERE status = 'ok' GROUP BY stage"):
            averages[row["stage"]] = (row["p"] or 0.0, row["c"] or 0.0)
    result = Estimate()
    for status in statuses:
        if status.state == "up to date" or status.stage == "read":
            continue
        prompt, completion = averages.get(status.stage, (0.0, 0.0))
        result.calls += 1
        result.prompt_tokens += round(prompt)
        result.completion_tokens += round(completion)
        result.per_stage[status.stage] = result.per_stage.get(status.stage, 0) + 1
    return result


# -- diff -----------------------------------------------------------------------------------
@dataclass
class ArticleDiff:
    article_id: str
    added: dict[str, list[dict]] = field(default_factory=dict)
    removed: dict[str, list[dict]] = field(default_factory=dict)
    changed: dict[str, list[tuple[dict, dict]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (any(self.added.values()) or any(self.removed.values())
                    or any(self.changed.values()))


def versions_as_of(db: sqlite_utils.Database, run_id: int) -> dict[str, dict[str, list[dict]]]:
    """Each article's records as they stood right after ``run_id``."""
    rows = db.query(
        "SELECT v.article_id, v.records FROM article_versions v JOIN ("
        "  SELECT article_id, max(id) AS id FROM article_versions WHERE run_id <= ? "
        "  GROUP BY article_id) latest ON latest.id = v.id", [run_id])
    return {row["article_id"]: json.loads(row["records"]) for row in rows}


def _content(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in GROUNDING_KEYS}


def _identity(table: str, record: dict) -> tuple:
    return tuple(str(record.get(k)).casefold() for k in RECORD_IDENTITY[table])


def diff_records(table: str, before: list[dict], after: list[dict]
                 ) -> tuple[list[dict], list[dict], list[tuple[dict, dict]]]:
    old = {_identity(table, r): _content(r) for r in before}
    new = {_identity(table, r): _content(r) for r in after}
    added = [new[k] for k in new if k not in old]
    removed = [old[k] for k in old if k not in new]
    changed = [(old[k], new[k]) for k in new if k in old and old[k] != new[k]]
    return added, removed, changed


def diff_runs(db: sqlite_utils.Database, run_a: int, run_b: int) -> list[ArticleDiff]:
    before, after = versions_as_of(db, run_a), versions_as_of(db, run_b)
    diffs = []
    for article_id in sorted(set(before) | set(after)):
        diff = ArticleDiff(article_id)
        for table in storage.RECORD_TABLES:
            added, removed, changed = diff_records(
                table, before.get(article_id, {}).get(table, []),
                after.get(article_id, {}).get(table, []))
            diff.added[table], diff.removed[table], diff.changed[table] = added, removed, changed
        diffs.append(diff)
    return diffs
