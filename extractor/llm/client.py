"""LLM client: openai + instructor for structured output, tenacity for transport retries.

Two retry layers, both bounded:
- transport (tenacity): 429 (Retry-After honoured), 5xx, connection errors and timeouts, with
  exponential backoff and jitter (``max_transport_retries``);
- validation (instructor ``max_retries``): a response that fails the schema is re-asked
  (``max_reasks``); the re-ask messages instructor appends (the failed answer and the
  validation error text) are cut to ``REASK_ECHO_MAX_CHARS`` / ``REASK_ERROR_MAX_CHARS``.
So one stage makes at most (max_transport_retries + 1) * (max_reasks + 1) HTTP attempts.
On top, ``max_tokens_per_article`` caps the prompt + completion tokens one article may spend
over all its attempts and stages: once spent, the next attempt is refused before it is sent.
Every HTTP attempt, failed or not, is reported to a recorder with its tokens and latency (the
tokens of attempts that failed validation included), and error texts never carry the API key.

The client is asynchronous (AsyncOpenAI + instructor's async client): one client serves all the
articles a batch has in flight; each call's bookkeeping lives in a context variable of its own
asyncio task, and each HTTP attempt first waits for the backend's rate limiter (ratelimit.py)
when a limit is configured.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json import JSONDecodeError
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import instructor
import openai
from instructor.core.exceptions import InstructorRetryException
from instructor.core.exceptions import ValidationError as InstructorValidationError
from instructor.processing.function_calls import openai_schema
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
)

from extractor.config import Settings, redact_url
from extractor.errors import (
    LLMError,
    ReplayMissError,
    TokenBudgetExceededError,
)
from extractor.llm.grammar import with_compact_grammar
from extractor.llm.ratelimit import RateLimiter, estimate_tokens
from extractor.llm.transport import (
    _classify,
    _is_replay_miss,
    _reject_unparsable_body,
    _response_text,
    _secrets_of,
    _TransportWait,
    _usage,
    as_plain_json_body,
    cap_reask_messages,
    is_transient,
)
from extractor.models import CallRecord

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class CallContext:
    """Mutable bookkeeping for one logical call (many attempts)."""

    article_id: str
    stage: str
    attempt: int = 0
    started_at: float = 0.0
    started_iso: str = ""
    message_count: int = 0  # the caller's messages; anything after them is a re-ask
    records: list[CallRecord] = field(default_factory=list)


Recorder = Callable[[CallRecord], None]
# the logical call in progress in the current asyncio task (concurrent calls each have their own)
_CURRENT_CALL: ContextVar[CallContext | None] = ContextVar("extractor_llm_call", default=None)


@functools.cache
def instructor_model(model: type[ModelT]) -> type[ModelT]:
    """instructor's wrapper of ``model``, built once, with its JSON Schema generated once.

    instructor would re-create the wrapper class and generate the schema twice on every call
    (milliseconds of CPU per call on the event loop that all concurrent articles share); the
    request it sends is the same (the cassettes, matched on the whole body, check it)."""
    wrapped = openai_schema(model)
    schema = wrapped.model_json_schema()
    generate = wrapped.model_json_schema.__func__  # type: ignore[attr-defined]

    def model_json_schema(cls: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs or cls is not wrapped:
            return generate(cls, *args, **kwargs)
        return copy.deepcopy(schema)

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign,assignment]
    return wrapped  # type: ignore[return-value]


class LLMClient:
    """Structured completions with bounded retries and per-attempt accounting.

    ``complete`` is a coroutine: one client serves every concurrent article of a run (each
    call's bookkeeping lives in its own asyncio task), and every HTTP attempt first waits for
    the backend's rate limiter when one is configured.
    """

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        recorder: Recorder,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._recorder = recorder
        self._wait = _TransportWait(backoff_initial, backoff_max)
        self._secrets = _secrets_of(settings, base_url)
        self._base_url = base_url
        self.limiter = limiter or RateLimiter(settings.requests_per_minute,
                                              settings.tokens_per_minute)
        self.tokens_spent: dict[str, int] = {}  # article id -> prompt + completion tokens
        self._raw: openai.AsyncOpenAI | None = None
        self._client: instructor.AsyncInstructor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _build(self) -> instructor.AsyncInstructor:
        """The instructor client for the running event loop (httpx pools are tied to a loop)."""
        parts = urlsplit(self._base_url)
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        # credentials in the URL go in a header, never in the request URL (which a cassette
        # would record); a query string is sent as default query parameters
        auth = (httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
                if parts.username or parts.password else None)
        http_client: httpx.AsyncClient | None = None
        limits = httpx.Limits(max_connections=max(100, self.settings.concurrency * 2),
                              max_keepalive_connections=max(20, self.settings.concurrency))
        if loopback:  # a proxy configured in the environment must not catch the loopback server
            http_client = httpx.AsyncClient(trust_env=False, auth=auth, limits=limits)
        elif auth is not None:
            http_client = openai.DefaultAsyncHttpxClient(auth=auth, limits=limits)
        raw = openai.AsyncOpenAI(
            base_url=redact_url(self._base_url),
            api_key=self.settings.api_key or "not-needed-for-local-server",
            max_retries=0,  # retries are ours (tenacity), so each attempt is recorded
            timeout=self.settings.request_timeout,
            default_query=dict(parse_qsl(parts.query)) or None,
            http_client=http_client,
        )
        raw.chat.completions.create = self._guard(  # type: ignore[method-assign]
            _reject_unparsable_body(raw.chat.completions.create)
        )
        client = instructor.from_openai(raw, mode=self.settings.mode)
        client.on("completion:kwargs", self._on_request)
        client.on("completion:response", self._on_response)
        client.on("completion:error", self._on_error)
        client.on("parse:error", self._on_parse_error)
        self._raw = raw
        return client

    def prepare(self) -> None:
        """Build the clients now, in the running loop (openai imports its API resources on first
        use: half a second), rather than in the first call."""
        self._instructor()

    def _instructor(self) -> instructor.AsyncInstructor:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._build(), loop
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections (call from the loop that made the calls)."""
        raw, self._raw, self._client = self._raw, None, None
        if raw is not None and self._loop is asyncio.get_running_loop():
            await raw.close()

    def _guard(self, create: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Every HTTP attempt passes here: budget check, re-ask messages capped, rate limit."""

        @functools.wraps(create)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            ctx = self._require_context()
            self._check_budget(ctx.article_id, ctx.stage)
            messages = kwargs.get("messages")
            if isinstance(messages, list) and len(messages) > ctx.message_count:
                kwargs = {**kwargs, "messages": cap_reask_messages(messages, ctx.message_count)}
            kwargs = as_plain_json_body(kwargs)
            if self.settings.compact_json and "extra_body" in kwargs:
                kwargs = {**kwargs, "extra_body": with_compact_grammar(kwargs["extra_body"])}
            reserved = 0
            if self.limiter.enabled:
                reserved = await self.limiter.acquire(
                    estimate_tokens(kwargs.get("messages") or [], kwargs.get("max_tokens")))
                self._start_clock(ctx)  # the latency of the call, not of the wait before it
            used: int | None = None
            try:
                response = await create(*args, **kwargs)
                spent = _usage(response)
                used = (spent.prompt_tokens or 0) + (spent.completion_tokens or 0)
                return response
            finally:
                if self.limiter.enabled:
                    self.limiter.settle(reserved, used)

        return guarded

    def _check_budget(self, article_id: str, stage: str) -> None:
        budget = self.settings.max_tokens_per_article
        spent = self.tokens_spent.get(article_id, 0)
        if budget is not None and spent >= budget:
            raise TokenBudgetExceededError(
                f"token budget of {budget} exceeded for article {article_id} "
                f"({spent} prompt + completion tokens spent; stopped before a {stage} call)"
            )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    # -- instructor hooks (run inside the calling task: the context is that call's) -------
    @staticmethod
    def _start_clock(ctx: CallContext) -> None:
        ctx.started_at = time.perf_counter()
        ctx.started_iso = datetime.now(UTC).isoformat(timespec="milliseconds")

    def _on_request(self, *args: Any, **kwargs: Any) -> None:
        ctx = self._require_context()
        ctx.attempt += 1
        self._start_clock(ctx)

    def _new_record(self, status: str) -> CallRecord:
        ctx = self._require_context()
        record = CallRecord(
            article_id=ctx.article_id,
            stage=ctx.stage,
            model=self.settings.model,
            attempt=ctx.attempt,
            status=status,
            started=ctx.started_iso,
            latency_ms=round((time.perf_counter() - ctx.started_at) * 1000, 1),
        )
        ctx.records.append(record)
        return record

    def _on_response(self, response: Any) -> None:
        record = self._new_record("ok")
        spent = _usage(response)
        record.prompt_tokens = spent.prompt_tokens
        record.completion_tokens = spent.completion_tokens
        record.prompt_tokens_processed = spent.prompt_processed
        record.server_ms = spent.server_ms
        record.server_prompt_ms = spent.prompt_ms
        record.server_generation_ms = spent.generation_ms
        record.response_text = _response_text(response)
        spent = (record.prompt_tokens or 0) + (record.completion_tokens or 0)
        article_id = self._require_context().article_id
        self.tokens_spent[article_id] = self.tokens_spent.get(article_id, 0) + spent

    def _on_parse_error(self, error: Exception) -> None:
        ctx = self._require_context()
        if ctx.records:
            ctx.records[-1].status = "invalid_output"
            ctx.records[-1].error_type = type(error).__name__
            ctx.records[-1].error = self._redact(str(error)[:2000])

    def _on_error(self, error: Exception) -> None:
        if isinstance(error, TokenBudgetExceededError):
            return  # refused before sending: not an HTTP attempt
        ctx = self._require_context()
        last = ctx.records[-1] if ctx.records else None
        if last is not None and last.attempt == ctx.attempt and last.status == "ok":
            # the server answered (tokens already counted) but the answer was unusable,
            # e.g. cut off by max_tokens: mark that attempt instead of adding a phantom one
            record = last
            record.status = "invalid_output"
        else:
            record = self._new_record(_classify(error))
        record.error_type = type(error).__name__
        record.error = self._redact(str(error)[:2000])

    @staticmethod
    def _require_context() -> CallContext:
        ctx = _CURRENT_CALL.get()
        if ctx is None:
            raise RuntimeError("LLM hook fired outside a call")
        return ctx

    # -- public API ---------------------------------------------------------------------
    async def complete(
        self,
        response_model: type[ModelT],
        messages: list[dict[str, str]],
        *,
        article_id: str,
        stage: str,
        max_tokens: int | None = None,
    ) -> ModelT:
        """One structured completion; raises LLMError (or ReplayMissError) when retries run out,
        TokenBudgetExceededError when the article has spent its token budget."""
        self._check_budget(article_id, stage)
        ctx = CallContext(article_id=article_id, stage=stage, message_count=len(messages))
        token = _CURRENT_CALL.set(ctx)
        transport = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=self._wait,
            stop=stop_after_attempt(self.settings.max_transport_retries + 1),
            reraise=True,
        )
        validation = AsyncRetrying(
            retry=retry_if_exception_type(
                (ValidationError, JSONDecodeError, InstructorValidationError)
            ),
            stop=stop_after_attempt(self.settings.max_reasks + 1),
        )
        try:
            client = self._instructor()
            async for attempt in transport:
                with attempt:
                    return await client.chat.completions.create(
                        model=self.settings.model,
                        messages=[dict(m) for m in messages],
                        response_model=instructor_model(response_model),
                        max_retries=validation,
                        temperature=self.settings.temperature,
                        max_tokens=max_tokens or self.settings.stage_max_tokens,
                    )
        except TokenBudgetExceededError:
            raise
        except InstructorRetryException as err:
            attempts = getattr(err, "failed_attempts", None) or []
            last = attempts[-1].exception if attempts else err  # not the whole attempt dump
            raise LLMError(self._redact(
                f"{stage}: model output failed validation after {err.n_attempts} attempt(s): "
                f"{_short(last)}"
            )) from err
        except Exception as err:
            if _is_replay_miss(err):
                raise ReplayMissError(
                    f"no recorded exchange for article {article_id!r}, stage {stage!r} "
                    "(the request differs from every recorded one)"
                ) from err
            raise LLMError(
                self._redact(f"{stage}: {type(err).__name__}: {_short(err)}")
            ) from err
        finally:
            _CURRENT_CALL.reset(token)
            for record in ctx.records:
                self._recorder(record)
        raise AssertionError("unreachable")  # pragma: no cover


def _short(error: BaseException, limit: int = 500) -> str:
    text = str(error).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
