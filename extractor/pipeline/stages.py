"""Pipeline stages. Each stage is one small unit: it renders its prompt, makes one structured
LLM call, and returns plain records. Messages share one prefix (system prompt, then the
article) so a server's prompt cache reads the article once for all stages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from extractor.llm.client import LLMClient
from extractor.models import (
    InitiativeList,
    MeetingList,
    OfficialList,
    Repair,
    RepairResult,
    TargetList,
)
from extractor.pipeline.offload import Offloader
from extractor.pipeline.prompts import PromptLibrary
from extractor.postprocess import assemble
from extractor.postprocess.repairs import merge_repairs, repair_inputs
from extractor.text import candidates
from extractor.text.articles import Article


@dataclass(frozen=True)
class StageContext:
    """What every stage of one article can read; ``offload`` runs its CPU-bound steps (see
    extractor/offload.py: inline unless the batch has worker processes)."""

    article: Article
    library: PromptLibrary
    client: LLMClient
    max_tokens: int
    offload: Offloader = field(default_factory=Offloader)


def build_messages(library: PromptLibrary, article: Article, task: str) -> list[dict[str, str]]:
    """System prompt, then the article, then the stage's task (shared prefix first)."""
    return [
        {"role": "system", "content": library.render("system")},
        {
            "role": "user",
            "content": library.render("article", text=article.text) + "\n\n" + task,
        },
    ]


async def _call(ctx: StageContext, stage: str, model: type[BaseModel],
                **variables: Any) -> BaseModel:
    task = ctx.library.render(stage, **variables)
    return await ctx.client.complete(
        model,
        build_messages(ctx.library, ctx.article, task),
        article_id=ctx.article.article_id,
        stage=stage,
        max_tokens=ctx.max_tokens,
    )


# -- repair -------------------------------------------------------------------------------
@dataclass
class RepairOutput:
    title: str
    place: str | None
    repairs: list[Repair]
    rule_repairs: int = 0  # the first ``rule_repairs`` repairs are deterministic (glossary, ...)

    def to_json(self) -> dict:
        return {"title": self.title, "place": self.place,
                "repairs": [r.model_dump() for r in self.repairs],
                "rule_repairs": self.rule_repairs}

    @classmethod
    def from_json(cls, data: dict) -> RepairOutput:
        return cls(title=data["title"], place=data.get("place"),
                   repairs=[Repair(**r) for r in data.get("repairs", [])],
                   rule_repairs=int(data.get("rule_repairs") or 0))

    def records(self) -> list[dict]:
        """The repairs as records, each with its ``source`` ("rule" or "model")."""
        return [{**r.model_dump(), "source": "rule" if i < self.rule_repairs else "model"}
                for i, r in enumerate(self.repairs)]


async def run_repair(ctx: StageContext) -> RepairOutput:
    fixed, phrases = await ctx.offload(repair_inputs, ctx.article.text, ctx.library.glossary())
    result = await _call(
        ctx,
        "repair",
        RepairResult,
        headline=ctx.article.headline,
        candidates=phrases,
        glossary=[
            {"garbled": r.original, "repaired": r.repaired, "chinese": r.note} for r in fixed
        ],
    )
    assert isinstance(result, RepairResult)
    proposed = [Repair(**item.model_dump()) for item in result.repairs]
    repairs = await ctx.offload(merge_repairs, fixed, proposed, ctx.article.text)
    return RepairOutput(
        title=result.title,
        place=result.place,
        repairs=repairs,
        rule_repairs=len(fixed),  # merge keeps every deterministic repair, first
    )


# -- extraction ---------------------------------------------------------------------------
def _repair_hints(repairs: list[Repair]) -> list[dict[str, str]]:
    return [{"original": r.original, "repaired": r.repaired} for r in repairs[:20]]


async def run_meetings(ctx: StageContext, repairs: list[Repair]) -> list[dict]:
    out = await _call(
        ctx, "meetings", MeetingList,
        published=ctx.article.published, repairs=_repair_hints(repairs),
    )
    assert isinstance(out, MeetingList)
    return [m.model_dump() for m in out.meetings]


async def run_officials(ctx: StageContext, repairs: list[Repair]) -> list[dict]:
    names = candidates.name_candidates(ctx.article.text)
    out = await _call(ctx, "officials", OfficialList, name_candidates=names,
                repairs=_repair_hints(repairs))
    assert isinstance(out, OfficialList)
    return await ctx.offload(assemble.assemble_officials, out.officials, ctx.article.text)


async def run_initiatives(ctx: StageContext, repairs: list[Repair]) -> list[dict]:
    out = await _call(
        ctx, "initiatives", InitiativeList,
        quoted_phrases=candidates.quoted_phrases(ctx.article.text),
        repairs=_repair_hints(repairs),
    )
    assert isinstance(out, InitiativeList)
    return await ctx.offload(assemble.assemble_initiatives, out.initiatives, ctx.article.text,
                             repairs)


async def run_targets(ctx: StageContext, repairs: list[Repair]) -> list[dict]:
    sentences = candidates.number_sentences(ctx.article.text)
    if not sentences:
        return []
    out = await _call(ctx, "targets", TargetList, number_sentences=sentences)
    assert isinstance(out, TargetList)
    return await ctx.offload(assemble.assemble_targets, out.targets, sentences)


ExtractionStage = Callable[[StageContext, list[Repair]], Awaitable[list[dict]]]

EXTRACTION_STAGES: dict[str, ExtractionStage] = {
    "meetings": run_meetings,
    "officials": run_officials,
    "initiatives": run_initiatives,
    "targets": run_targets,
}
