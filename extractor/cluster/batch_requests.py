"""The requests of a Batch API wave, built by the live pipeline's own code, and the answers
read back the way the live client reads them.

For each part of a stale article, the stage runs as it would live (``prepare_inputs``, the
stage's prompt, ``build_messages``) with a stand-in client that records the call instead of
making it; the body is what instructor builds for that call (``handle_response_model`` with the
run's mode: ``response_format`` for JSON_SCHEMA, ``tools`` for TOOLS), so the answer is stored
under the same stage-cache key a live run would use. Waves follow the stages' dependencies:
the repair first; the other four, which read the repairs, once the repair is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from instructor.processing.response import handle_response_model
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from extractor.config import Settings
from extractor.errors import LLMError
from extractor.llm.client import instructor_model
from extractor.models import RepairResult
from extractor.pipeline import cache
from extractor.pipeline.prompts import PromptLibrary
from extractor.pipeline.stages import (
    EXTRACTION_STAGES,
    STAGES,
    RepairOutput,
    StageContext,
    prepare_inputs,
)
from extractor.store import storage
from extractor.text.articles import Article, read_article

CHAT_URL = "/v1/chat/completions"


@dataclass
class StageRequest:
    custom_id: str
    article_id: str
    path: str
    part: int
    key: cache.StageKey
    body: dict[str, Any]

    def line(self) -> dict[str, Any]:
        """The request as a line of the Batch API's input JSONL."""
        return {"custom_id": self.custom_id, "method": "POST", "url": CHAT_URL,
                "body": self.body}


class _Collected(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, response_model: type[BaseModel], messages: list[dict[str, str]],
                 max_tokens: int | None) -> None:
        super().__init__("collected")
        self.response_model, self.messages, self.max_tokens = response_model, messages, max_tokens


class RequestCollector:
    """Stands in for the LLM client: a stage's call is recorded, not made."""

    async def complete(self, response_model: type[BaseModel], messages: list[dict[str, str]],
                       *, article_id: str, stage: str, max_tokens: int | None = None) -> Any:
        raise _Collected(response_model, messages, max_tokens)


class NoCallClient:
    """The client of the run that stores batch-collected articles: every stage is cached, so a
    call would be a bug (or a wave not collected yet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def complete(self, response_model: Any, messages: Any, *, article_id: str, stage: str,
                       max_tokens: int | None = None) -> Any:
        raise LLMError(f"{stage} of {article_id} has no collected batch answer yet")


def chat_body(settings: Settings, response_model: type[BaseModel],
              messages: list[dict[str, str]], max_tokens: int | None) -> dict[str, Any]:
    """The chat completion body the live client sends for this call (first attempt)."""
    _, kwargs = handle_response_model(
        instructor_model(response_model), mode=settings.mode, model=settings.model,
        messages=[dict(m) for m in messages], temperature=settings.temperature,
        max_tokens=max_tokens or settings.stage_max_tokens)
    return kwargs


def parse_answer(settings: Settings, stage: str, completion: dict[str, Any]) -> dict[str, Any]:
    """The stage's answer from a chat completion body, as the live path stores it (raises
    pydantic's or instructor's error when it does not fit the schema)."""
    model = instructor_model(STAGES[stage].answer)
    answer = model.from_response(ChatCompletion.model_validate(completion),  # type: ignore[attr-defined]
                                 mode=settings.mode)
    return answer.model_dump(mode="json")


def custom_id(article_id: str, part: int, key: cache.StageKey) -> str:
    return f"{article_id}:{part}:{key.stage}:{key.key[:12]}"


@dataclass
class ArticlePlan:
    article: Article
    path: Path
    requests: list[StageRequest]
    empty: list[tuple[cache.StageKey, dict]]  # stages with nothing to ask (stored at once)
    waiting: bool  # a stage of it is in a batch not collected yet, or waits for the repair
    key: str  # the article's extraction key

    @property
    def complete(self) -> bool:
        """Every stage of every part has its answer stored: ready to be finalized."""
        return not (self.requests or self.empty or self.waiting)


async def plan_article(db: sqlite_utils.Database, path: Path, settings: Settings,
                       library: PromptLibrary, pending: set[str]) -> ArticlePlan:
    """What the next wave holds for one article (``pending``: custom ids already sent)."""
    article = read_article(path)
    hashes = library.hashes()
    parts = cache.part_keys(article, settings, hashes)
    plan = ArticlePlan(article, path, [], [], False,
                       cache.article_key(*(planned.keys for planned in parts)))
    for number, planned in enumerate(parts):
        part, part_keys, legacy = planned.part, planned.keys, planned.legacy
        ctx = StageContext(part, library, RequestCollector(),  # type: ignore[arg-type]
                           settings.stage_max_tokens)
        inputs = await prepare_inputs(ctx)

        async def want(name: str, inputs: Any = inputs, ctx: StageContext = ctx,
                       part_keys: dict = part_keys, number: int = number) -> None:
            key, stage = part_keys[name], STAGES[name]
            if custom_id(article.article_id, number, key) in pending:
                plan.waiting = True
                return
            if stage.skip is not None and stage.skip(ctx, inputs):
                plan.empty.append((key, stage.answer().model_dump(mode="json")))
                return
            try:
                await stage.call(ctx, inputs)
            except _Collected as call:
                plan.requests.append(StageRequest(
                    custom_id(article.article_id, number, key), article.article_id,
                    str(path.resolve()), number, key,
                    chat_body(settings, call.response_model, call.messages, call.max_tokens)))

        repair_key = part_keys["repair"]
        stored = cache.cached_output(db, article.article_id, repair_key)
        old = cache.cached_output(db, article.article_id, legacy["repair"])
        if stored is None and old is None:
            await want("repair")
            plan.waiting = plan.waiting or any(
                not cache.has_result(db, article.article_id, part_keys[n], legacy[n])
                for n in EXTRACTION_STAGES)  # their wave comes after the repair's
            continue
        if stored is not None:
            repair = await STAGES["repair"].assemble(ctx, inputs,
                                                     RepairResult.model_validate(stored))
        else:
            repair = RepairOutput.from_json(old)  # type: ignore[arg-type]
        assert isinstance(repair, RepairOutput)
        inputs.repairs = repair.repairs
        for name in EXTRACTION_STAGES:
            if not cache.has_result(db, article.article_id, part_keys[name], legacy[name]):
                await want(name)
    return plan


def is_stale(db: sqlite_utils.Database, plan: ArticlePlan) -> bool:
    return storage.stored_key(db, plan.article.article_id) != plan.key


def jsonl(requests: list[StageRequest]) -> bytes:
    return "".join(json.dumps(r.line(), ensure_ascii=False) + "\n"
                   for r in requests).encode("utf-8")
