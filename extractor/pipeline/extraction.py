"""Extracting one article: each stage's answer from the stage cache or the model
(``StageRunner``), the stages of each part in order, and the parts' records merged and
finalized on the whole text (``extract_article``). ``Batch`` (extractor/pipeline/batch.py)
runs this for many articles at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlite_utils
from pydantic import BaseModel

from extractor.errors import ExtractorError
from extractor.pipeline import cache
from extractor.pipeline.stages import (
    EXTRACTION_STAGES,
    STAGES,
    Inputs,
    RepairOutput,
    Stage,
    StageContext,
    prepare_inputs,
)
from extractor.pipeline.writer import Writer
from extractor.postprocess.figures import target_figures
from extractor.postprocess.finalize import finalize_article
from extractor.postprocess.place import article_place, figure_region
from extractor.text.articles import Article

if TYPE_CHECKING:
    from extractor.pipeline.batch import RunOptions, RunSummary


class StageFailure(ExtractorError):
    """A stage (or finalize) failed on one article: that article goes to ``errors``."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {cause}")
        self.stage = stage
        self.cause = cause


class StageRunner:
    """Gets each stage's answer for one article: the stored answer whenever its key is
    unchanged (no call), else the model's, which is stored."""

    def __init__(self, db: sqlite_utils.Database, writer: Writer, article: Article, run_id: int,
                 keys: dict[str, cache.StageKey], legacy_keys: dict[str, cache.StageKey],
                 options: RunOptions, summary: RunSummary,
                 report: Callable[[str], None] = lambda doing: None) -> None:
        self.db, self.writer, self.article, self.run_id = db, writer, article, run_id
        self.keys, self.legacy_keys = keys, legacy_keys
        self.options, self.summary, self.report = options, summary, report

    def _must_compute(self, stage: str) -> bool:
        return self.options.force or stage in self.options.only

    async def answer(self, stage: Stage, ctx: StageContext,
                     inputs: Inputs) -> tuple[BaseModel | None, Any]:
        """``(answer, None)``, or ``(None, records)`` for a result stored before version 2
        (already assembled: used as it is)."""
        key, article_id = self.keys[stage.name], self.article.article_id
        if not self._must_compute(stage.name):
            stored = cache.cached_output(self.db, article_id, key)
            if stored is not None:
                self.summary.stages_reused[stage.name] += 1
                return stage.answer.model_validate(stored), None
            legacy = cache.cached_output(self.db, article_id, self.legacy_keys[stage.name])
            if legacy is not None:
                self.summary.stages_reused[stage.name] += 1
                return None, legacy
        self.report(f"{stage.name} (model)")
        try:
            answer = await stage.call(ctx, inputs)
        except Exception as err:  # LLMError, invalid output, or a bug met on this article's text
            raise StageFailure(stage.name, err) from err
        output = answer.model_dump(mode="json")
        await self.writer.write(
            lambda db: cache.store_output(db, article_id, key, self.run_id, output))
        self.summary.stages_computed[stage.name] += 1
        return answer, None

    async def records(self, stage: Stage, ctx: StageContext, inputs: Inputs) -> Any:
        """The stage's records: its answer, assembled (deterministic, never cached)."""
        answer, legacy = await self.answer(stage, ctx, inputs)
        if answer is None:
            return legacy
        try:
            return await stage.assemble(ctx, inputs, answer)
        except Exception as err:  # a bug met on this article's text fails the article only
            raise StageFailure(stage.name, err) from err


def part_report(report: Callable[[str], None], number: int,
                 parts: int) -> Callable[[str], None]:
    """Progress of one part: "targets (model) part 2/5" (plain for an article in one part)."""
    return report if parts == 1 else (lambda doing: report(f"{doing} part {number}/{parts}"))


async def extract_part(ctx: StageContext,
                       runner: StageRunner) -> tuple[RepairOutput, dict[str, list[dict]]]:
    """Repair then every extraction stage of one part (the whole article when it fits)."""
    inputs = await prepare_inputs(ctx)
    repair = await runner.records(STAGES["repair"], ctx, inputs)
    if not isinstance(repair, RepairOutput):  # stored before version 2 (assembled, as JSON)
        repair = RepairOutput.from_json(repair)
    inputs.repairs = repair.repairs
    records: dict[str, list[dict]] = {}
    for name in EXTRACTION_STAGES:
        records[name] = await runner.records(STAGES[name], ctx, inputs)
    records["repairs"] = repair.records()
    return repair, records


def merge_parts(results: Sequence[dict[str, list[dict]]]) -> dict[str, list[dict]]:
    """The records of an article's parts as one article's (finalize merges the people,
    programmes, meetings and figures that overlapping parts both found); a repair of the same
    original is kept once."""
    merged: dict[str, list[dict]] = {}
    for records in results:
        for table, rows in records.items():
            merged.setdefault(table, []).extend(rows)
    if len(results) > 1 and "repairs" in merged:
        seen: set[str] = set()
        merged["repairs"] = [r for r in merged["repairs"]
                             if not ((key := " ".join(r["original"].casefold().split())) in seen
                                     or seen.add(key))]
    return merged


async def extract_article(article: Article, parts: Sequence[tuple[StageContext, StageRunner]],
                          glossary: list[dict]) -> tuple[dict, dict[str, list[dict]]]:
    """Every part's stages, in order, then the article's records finalized on its whole text;
    returns the article row and grounded records."""
    results = [await extract_part(ctx, runner) for ctx, runner in parts]
    repair = results[0][0]  # the title and place are read from the article's beginning
    records = merge_parts([part_records for _, part_records in results])
    offload = parts[0][0].offload
    try:
        final, repaired_text = await offload(
            finalize_article, records, article.text, article.published, glossary)
        place = await offload(article_place, article.text, repair.place,
                              final.get("officials", []))
    except Exception as err:  # the article fails (its stage results stay cached), not the batch
        raise StageFailure("finalize", err) from err
    row = {
        "article_id": article.article_id,
        "title": repair.title,
        "headline": article.headline,
        "published": article.published,
        "place": place,
        "text": article.text,
        "repaired_text": repaired_text,
        "sha256": article.sha256,
        "source_paths": json.dumps([str(article.path.resolve())]),
    }
    for target in final.get("targets", []):
        target["region"] = figure_region(target.get("matched_text") or target.get("evidence")
                                         or "", place, target.get("region"), article.text)
        target.update(target_figures(target, article.published))
    return row, final
