"""What a failed HTTP attempt means (transient, a connection failure, a replay miss), how long to
wait, and the request and response details the client records (usage, capped re-asks, the
JSON body sent as-is)."""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import openai
from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    wait_exponential,
    wait_random,
)

from extractor.config import Settings
from extractor.errors import (
    BadResponseError,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_RETRY_AFTER_SECONDS = 120.0
REASK_ERROR_MAX_CHARS = 2_000  # the validation error text instructor sends back on a re-ask
REASK_ECHO_MAX_CHARS = 8_000  # the failed answer echoed back on a re-ask


def _is_replay_miss(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ == "CannotOverwriteExistingCassetteException":
            return True
        current = current.__cause__ or current.__context__
    return False


def is_transient(error: BaseException) -> bool:
    """Errors worth retrying at the transport level."""
    if _is_replay_miss(error):
        return False
    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(
        error, openai.APIConnectionError | openai.APITimeoutError | BadResponseError
    )


def retry_after_seconds(error: BaseException | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds form), if any."""
    if not isinstance(error, openai.APIStatusError):
        return None
    value = error.response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class _TransportWait:
    """Retry-After when the server gives one, else exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._backoff = wait_exponential(multiplier=initial, max=maximum) + wait_random(0, initial)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(error)
        return asked if asked is not None else self._backoff(state)


def _classify(error: BaseException) -> str:
    if _is_replay_miss(error):
        return "replay_miss"
    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.APIConnectionError):
        return "connection_error"
    if isinstance(error, openai.APIStatusError):
        return "http_error"
    if isinstance(error, BadResponseError):
        return "bad_response"
    return "invalid_output"


def is_connection_failure(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is a failure to reach the server at all."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, openai.APIConnectionError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _reject_unparsable_body(
    create: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Turn openai's JSONDecodeError on a non-JSON 2xx body into a transport error."""

    @functools.wraps(create)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return await create(*args, **kwargs)
        except JSONDecodeError as err:
            raise BadResponseError(f"response body is not valid JSON: {err}") from err

    return guarded


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"


def cap_reask_messages(messages: list[Any], original_count: int) -> list[Any]:
    """The messages with every re-ask message (those after the caller's) cut to size.

    Returns ``messages`` itself when nothing needs cutting, so a first attempt's request body is
    exactly what the caller built.
    """
    capped: list[Any] = list(messages[:original_count])
    changed = False
    for message in messages[original_count:]:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            limit = REASK_ECHO_MAX_CHARS if message.get("role") == "assistant" \
                else REASK_ERROR_MAX_CHARS
            if len(content) > limit:
                message = {**message, "content": cap_text(content, limit)}
                changed = True
        capped.append(message)
    return capped if changed else messages


# Parameters instructor builds from a JSON Schema. openai checks each request parameter against
# its typed definition, walking every node of these nested schemas (a few milliseconds of CPU per
# call, on the event loop all concurrent articles share); they are plain JSON already, so they
# go in ``extra_body``, which openai merges into the request body as it is. The body sent is the
# same JSON (the cassettes, matched as JSON, check it).
PLAIN_JSON_PARAMETERS = ("response_format", "tools", "tool_choice")


def as_plain_json_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with the schema-built parameters moved into ``extra_body``."""
    moved = {key: kwargs[key] for key in PLAIN_JSON_PARAMETERS
             if isinstance(kwargs.get(key), dict | list)}
    if not moved:
        return kwargs
    rest = {key: value for key, value in kwargs.items() if key not in moved}
    rest["extra_body"] = {**moved, **(kwargs.get("extra_body") or {})}
    return rest


def _secrets_of(settings: Settings, base_url: str) -> list[str]:
    """Strings that must never be written anywhere: the API key, URL password and query values."""
    found = [settings.api_key or ""]
    for url in (base_url, settings.base_url or ""):
        parts = urlsplit(url)
        found.extend((parts.password or "", unquote(parts.password or "")))
        found.extend(value for _, value in parse_qsl(parts.query))
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def _response_text(response: Any, limit: int = 20_000) -> str | None:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    text = message.content
    if not text and getattr(message, "tool_calls", None):
        text = message.tool_calls[0].function.arguments
    return text[:limit] if isinstance(text, str) else None


@dataclass(frozen=True)
class Usage:
    """What a response says it cost: tokens, and from llama.cpp's ``timings`` the prompt tokens
    it really processed (the rest came from its prompt cache) and its own milliseconds on the
    prompt and on generation."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_processed: int | None = None
    prompt_ms: float | None = None
    generation_ms: float | None = None

    @property
    def server_ms(self) -> float | None:
        if self.prompt_ms is None or self.generation_ms is None:
            return None
        return round(self.prompt_ms + self.generation_ms, 1)


def _ms(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, int | float) else None


def _usage(response: Any) -> Usage:
    """The ``Usage`` of a chat completion response (any field it lacks is None)."""
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    timings = (getattr(response, "model_extra", None) or {}).get("timings") or {}
    if not isinstance(timings, dict):
        return Usage(prompt, completion)
    return Usage(prompt, completion, timings.get("prompt_n"), _ms(timings.get("prompt_ms")),
                 _ms(timings.get("predicted_ms")))
