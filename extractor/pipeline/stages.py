"""The stages, defined once. A stage renders its prompt (``<name>.j2``), makes one structured
LLM call for its ``answer`` model and stores that raw answer in the stage cache; its
``assemble`` step turns the answer into records, deterministically, every time the article is
finalized. So a change to the code after the model costs no call, and a change to a prompt
re-calls only the stages that read it. Messages share one prefix (system prompt, then the
article) so a server's prompt cache reads the article once for all stages.

The cache key (extractor/pipeline/cache.py), the batch, ``status``, ``--dry-run`` and
``tokens`` all read ``STAGES``."""

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
    extractor/pipeline/offload.py: inline unless the batch has worker processes)."""

    article: Article
    library: PromptLibrary
    client: LLMClient
    max_tokens: int
    offload: Offloader = field(default_factory=Offloader)


@dataclass
class Inputs:
    """The deterministic inputs of an article's stages, computed once per article: the
    termbase and structural repairs with the repair candidates, and (after the repair stage)
    the repairs every later stage is shown."""

    fixed: list[Repair]
    phrases: list[str]
    repairs: list[Repair] = field(default_factory=list)
    sentences: list[str] | None = None  # the sentences with numbers, found once

    def number_sentences(self, text: str) -> list[str]:
        """The article's sentences with numbers (the targets stage's prompt and assembly)."""
        if self.sentences is None:
            self.sentences = candidates.number_sentences(text)
        return self.sentences


Variables = Callable[[StageContext, Inputs], dict[str, Any]]
Assemble = Callable[[StageContext, Inputs, BaseModel], Awaitable[Any]]


@dataclass(frozen=True)
class Stage:
    """One LLM stage: its prompt file, the answer it asks for, what it reads, how its answer
    becomes records. ``skip`` says when there is nothing to ask (no call; empty answer)."""

    name: str
    answer: type[BaseModel]
    prompt_files: tuple[str, ...]  # read besides the shared system.j2 and article.j2
    reads_repairs: bool  # its prompt lists the repair stage's repairs (so its key depends on it)
    variables: Variables
    assemble: Assemble
    skip: Callable[[StageContext, Inputs], bool] | None = None

    @property
    def template(self) -> str:
        return self.name

    async def call(self, ctx: StageContext, inputs: Inputs) -> BaseModel:
        """The model's structured answer (one logical call, retries included)."""
        if self.skip is not None and self.skip(ctx, inputs):
            return self.answer()
        task = ctx.library.render(self.template, **self.variables(ctx, inputs))
        return await ctx.client.complete(
            self.answer, build_messages(ctx.library, ctx.article, task),
            article_id=ctx.article.article_id, stage=self.name, max_tokens=ctx.max_tokens)


def build_messages(library: PromptLibrary, article: Article, task: str) -> list[dict[str, str]]:
    """System prompt, then the article, then the stage's task (shared prefix first)."""
    return [
        {"role": "system", "content": library.render("system")},
        {
            "role": "user",
            "content": library.render("article", text=article.text) + "\n\n" + task,
        },
    ]


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


async def prepare_inputs(ctx: StageContext) -> Inputs:
    """The article's deterministic repairs and repair candidates (before any call)."""
    fixed, phrases = await ctx.offload(repair_inputs, ctx.article.text, ctx.library.glossary())
    return Inputs(fixed=fixed, phrases=phrases)


def _repair_variables(ctx: StageContext, inputs: Inputs) -> dict[str, Any]:
    return {"headline": ctx.article.headline, "candidates": inputs.phrases,
            "glossary": [{"garbled": r.original, "repaired": r.repaired, "chinese": r.note}
                         for r in inputs.fixed]}


async def _assemble_repair(ctx: StageContext, inputs: Inputs, answer: BaseModel) -> RepairOutput:
    assert isinstance(answer, RepairResult)
    proposed = [Repair(**item.model_dump()) for item in answer.repairs]
    repairs = await ctx.offload(merge_repairs, inputs.fixed, proposed, ctx.article.text)
    # merge keeps every deterministic repair, first
    return RepairOutput(title=answer.title, place=answer.place, repairs=repairs,
                        rule_repairs=len(inputs.fixed))


# -- extraction ---------------------------------------------------------------------------
def _repair_hints(inputs: Inputs) -> list[dict[str, str]]:
    return [{"original": r.original, "repaired": r.repaired} for r in inputs.repairs[:20]]


async def _assemble_meetings(ctx: StageContext, inputs: Inputs, answer: BaseModel) -> list[dict]:
    assert isinstance(answer, MeetingList)
    return await ctx.offload(assemble.assemble_meetings, answer.meetings, ctx.article.text,
                             inputs.repairs)


async def _assemble_officials(ctx: StageContext, inputs: Inputs, answer: BaseModel) -> list[dict]:
    assert isinstance(answer, OfficialList)
    return await ctx.offload(assemble.assemble_officials, answer.officials, ctx.article.text)


async def _assemble_initiatives(ctx: StageContext, inputs: Inputs,
                                answer: BaseModel) -> list[dict]:
    assert isinstance(answer, InitiativeList)
    return await ctx.offload(assemble.assemble_initiatives, answer.initiatives,
                             ctx.article.text, inputs.repairs)


async def _assemble_targets(ctx: StageContext, inputs: Inputs, answer: BaseModel) -> list[dict]:
    assert isinstance(answer, TargetList)
    return await ctx.offload(assemble.assemble_targets, answer.targets,
                             inputs.number_sentences(ctx.article.text))


def _no_numbers(ctx: StageContext, inputs: Inputs) -> bool:
    return not inputs.number_sentences(ctx.article.text)


STAGES: dict[str, Stage] = {stage.name: stage for stage in (
    Stage("repair", RepairResult, ("repair.j2", "glossary.yaml"), False,
          _repair_variables, _assemble_repair),
    Stage("meetings", MeetingList, ("meetings.j2",), True,
          lambda ctx, inputs: {"published": ctx.article.published,
                               "repairs": _repair_hints(inputs)},
          _assemble_meetings),
    Stage("officials", OfficialList, ("officials.j2",), True,
          lambda ctx, inputs: {"name_candidates": candidates.name_candidates(ctx.article.text),
                               "repairs": _repair_hints(inputs)},
          _assemble_officials),
    Stage("initiatives", InitiativeList, ("initiatives.j2",), True,
          lambda ctx, inputs: {"quoted_phrases": candidates.quoted_phrases(ctx.article.text),
                               "repairs": _repair_hints(inputs)},
          _assemble_initiatives),
    Stage("targets", TargetList, ("targets.j2",), False,
          lambda ctx, inputs: {"number_sentences": inputs.number_sentences(ctx.article.text)},
          _assemble_targets, skip=_no_numbers),
)}
STAGE_NAMES = tuple(STAGES)
EXTRACTION_STAGES = tuple(name for name in STAGES if name != "repair")
