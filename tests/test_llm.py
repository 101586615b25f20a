"""Tests for extractor.llm.client against a scripted fault-injection server (tests/fault_server.py).

Every server reply here is a scripted fault or a canned completion written by the test; no model
is involved. The client is built with tiny backoffs so the module runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import instructor
import openai
import pytest
from pydantic import BaseModel

from extractor.config import Settings
from extractor.errors import LLMError
from extractor.llm.client import LLMClient
from extractor.llm.transport import (
    MAX_RETRY_AFTER_SECONDS,
    _is_replay_miss,
    as_plain_json_body,
    is_transient,
    retry_after_seconds,
)
from extractor.models import CallRecord
from extractor.testing.fault_server import (
    SCRIPT_EXHAUSTED_STATUS,
    FaultServer,
    inject_empty,
    inject_garbage,
    inject_hang,
    inject_ok,
    inject_reset,
    inject_status,
    inject_truncated,
    make_fault_server,
)

SECRET_KEY = "sk-fault-test-SECRET-0123456789"
MESSAGES = [
    {"role": "system", "content": "You extract items. Answer with JSON."},
    {"role": "user", "content": "Item: widget, value 2.5"},
]
VALID = '{"name": "widget", "value": 2.5}'
MISSING_VALUE = '{"name": "widget"}'  # parses as JSON, fails the Item schema


class Item(BaseModel):
    name: str
    value: float


# -- fixtures / helpers -------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with make_fault_server() as srv:
        yield srv


def make_client(
    server: FaultServer, **overrides: object
) -> tuple[LLMClient, list[CallRecord], Settings]:
    options: dict[str, object] = {
        "base_url": server.base_url,
        "model": "test-model",
        "request_timeout": 2,
        "max_transport_retries": 3,
        "max_reasks": 1,
    }
    options.update(overrides)
    settings = Settings(**options)  # type: ignore[arg-type]
    records: list[CallRecord] = []
    client = LLMClient(
        settings, server.base_url, recorder=records.append, backoff_initial=0.01, backoff_max=0.05
    )
    return client, records, settings


def call(client: LLMClient, messages: list[dict[str, str]] | None = None) -> Item:
    return asyncio.run(client.complete(
        Item, messages if messages is not None else MESSAGES, article_id="art-7", stage="officials"
    ))


def assert_widget(result: object) -> None:
    assert isinstance(result, Item)
    assert result.model_dump() == {"name": "widget", "value": 2.5}


def statuses(records: list[CallRecord]) -> list[str]:
    return [r.status for r in records]


def api_status_error(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(code, headers=headers or {}, request=request)
    return openai.APIStatusError(f"HTTP {code}", response=response, body=None)


def connection_error() -> openai.APIConnectionError:
    return openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1/"))


class CannotOverwriteExistingCassetteException(Exception):  # noqa: N818 - mirrors vcrpy's name
    """Stand-in with the same class name vcrpy raises on a replay miss."""


# -- success ------------------------------------------------------------------------------------


def test_success_first_try_records_one_ok_attempt_with_tokens(server: FaultServer) -> None:
    server.enqueue(inject_ok(VALID, prompt_tokens=123, completion_tokens=45, prompt_n=67))
    client, records, _ = make_client(server)

    assert_widget(call(client))

    assert len(server.requests) == 1
    assert len(records) == 1
    record = records[0]
    assert record.status == "ok"
    assert record.attempt == 1
    assert (record.article_id, record.stage, record.model) == ("art-7", "officials", "test-model")
    assert (record.prompt_tokens, record.completion_tokens) == (123, 45)
    assert record.prompt_tokens_processed == 67
    assert record.error is None and record.error_type is None
    assert record.latency_ms >= 0
    assert datetime.fromisoformat(record.started).tzinfo is not None


def test_missing_timings_leaves_prompt_tokens_processed_empty(server: FaultServer) -> None:
    server.enqueue(inject_ok(VALID, prompt_n=None))
    client, records, _ = make_client(server)
    call(client)
    assert records[0].prompt_tokens_processed is None
    assert records[0].prompt_tokens == 11


def test_request_uses_json_schema_response_format_and_unchanged_messages(
    server: FaultServer,
) -> None:
    server.enqueue(inject_ok(VALID))
    client, _, settings = make_client(server, api_key=SECRET_KEY)
    caller_messages = [dict(m) for m in MESSAGES]

    call(client, caller_messages)

    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    body = request.json()
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES  # no schema injected into system/user messages
    assert "json_schema" not in body["messages"][0]["content"]
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Item"
    schema = response_format["json_schema"]["schema"]
    assert set(schema["properties"]) == {"name", "value"}
    assert set(schema["required"]) == {"name", "value"}
    assert "tools" not in body and "functions" not in body
    assert body["temperature"] == settings.temperature
    assert body["max_tokens"] == settings.stage_max_tokens
    assert request.headers.get("Authorization") == f"Bearer {SECRET_KEY}"
    assert caller_messages == MESSAGES  # the caller's list is not mutated


def test_compact_json_sends_the_grammar_instead_of_the_schema(server: FaultServer) -> None:
    server.enqueue(inject_ok(VALID))
    client, _, _ = make_client(server, compact_json=True)
    assert call(client).name
    body = server.requests[0].json()
    assert "response_format" not in body
    assert body["grammar"].startswith("# answer: Item\nroot ::= ")
    assert body["messages"] == MESSAGES


def test_tools_mode_request_carries_the_tool_schema_and_choice(server: FaultServer) -> None:
    server.enqueue(inject_ok(VALID))  # content, not a tool call: instructor cannot parse it
    client, _, _ = make_client(server, mode=instructor.Mode.TOOLS, max_reasks=0)
    with pytest.raises(LLMError):
        call(client)
    body = server.requests[0].json()
    (tool,) = body["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "Item"
    assert set(tool["function"]["parameters"]["properties"]) == {"name", "value"}
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Item"}}
    assert body["messages"] == MESSAGES and "response_format" not in body


def test_schema_parameters_go_as_plain_json_and_nothing_else_moves() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "Item", "schema": {}}}
    kwargs = {"model": "m", "messages": MESSAGES, "response_format": schema, "max_tokens": 9,
              "extra_body": {"cache_prompt": True}}
    moved = as_plain_json_body(kwargs)
    assert moved == {"model": "m", "messages": MESSAGES, "max_tokens": 9,
                     "extra_body": {"response_format": schema, "cache_prompt": True}}
    assert "response_format" in kwargs  # the caller's dict is left as it was
    plain = {"model": "m", "messages": MESSAGES}
    assert as_plain_json_body(plain) is plain


# -- transport retries --------------------------------------------------------------------------


def test_429_then_ok_retries_and_records_both_attempts(server: FaultServer) -> None:
    server.enqueue(inject_status(429), inject_ok(VALID))
    client, records, _ = make_client(server)

    started = time.monotonic()
    assert_widget(call(client))
    elapsed = time.monotonic() - started

    assert statuses(records) == ["http_error", "ok"]
    assert [r.attempt for r in records] == [1, 2]
    assert records[0].error_type == "RateLimitError"
    assert "429" in (records[0].error or "")
    assert records[0].prompt_tokens is None
    assert elapsed < 1.0  # no Retry-After: the tiny exponential backoff applies


def test_retry_after_header_is_honoured(server: FaultServer) -> None:
    server.enqueue(inject_status(429, retry_after=1), inject_ok(VALID))
    client, records, _ = make_client(server)

    started = time.monotonic()
    call(client)
    elapsed = time.monotonic() - started

    assert statuses(records) == ["http_error", "ok"]
    assert elapsed >= 0.9
    first, second = server.requests
    assert second.at - first.at >= 0.9
    assert elapsed < 5  # and it is not something far longer than asked


@pytest.mark.parametrize("code", [500, 502, 503])
def test_5xx_then_ok(server: FaultServer, code: int) -> None:
    server.enqueue(inject_status(code), inject_ok(VALID))
    client, records, _ = make_client(server)

    assert_widget(call(client))

    assert statuses(records) == ["http_error", "ok"]
    assert str(code) in (records[0].error or "")
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("fault", "expected_status"),
    [(inject_reset, "connection_error"), (inject_truncated, "connection_error")],
    ids=["reset", "truncated"],
)
def test_connection_faults_then_ok(server: FaultServer, fault, expected_status: str) -> None:
    server.enqueue(fault(), inject_ok(VALID))
    client, records, _ = make_client(server)

    assert_widget(call(client))

    assert statuses(records) == [expected_status, "ok"]
    assert records[0].error_type == "APIConnectionError"
    assert records[0].completion_tokens is None


def test_timeout_then_ok(server: FaultServer) -> None:
    server.enqueue(inject_hang(10), inject_ok(VALID))
    client, records, _ = make_client(server, request_timeout=0.5)

    started = time.monotonic()
    assert_widget(call(client))
    elapsed = time.monotonic() - started

    assert statuses(records) == ["timeout", "ok"]
    assert records[0].error_type == "APITimeoutError"
    assert records[0].latency_ms >= 400
    assert 0.4 <= elapsed < 3  # waited for the client timeout, not for the 10 s hang


def test_too_many_5xx_raise_after_exactly_max_transport_retries_plus_one(
    server: FaultServer,
) -> None:
    server.enqueue(inject_status(500), inject_status(502), inject_status(503), inject_status(500))
    server.enqueue(inject_ok(VALID))  # must never be reached
    client, records, settings = make_client(server)

    started = time.monotonic()
    with pytest.raises(LLMError, match="officials"):
        call(client)
    elapsed = time.monotonic() - started

    attempts = settings.max_transport_retries + 1
    assert len(server.requests) == attempts
    assert server.remaining == 1
    assert statuses(records) == ["http_error"] * attempts
    assert [r.attempt for r in records] == list(range(1, attempts + 1))
    assert ["500" in (records[0].error or ""), "502" in (records[1].error or "")] == [True, True]
    assert elapsed < 2  # backoff is bounded by backoff_max


def test_non_transient_4xx_is_not_retried(server: FaultServer) -> None:
    server.enqueue(inject_status(400), inject_ok(VALID))
    client, records, _ = make_client(server)

    with pytest.raises(LLMError, match="400"):
        call(client)

    assert len(server.requests) == 1
    assert server.remaining == 1
    assert statuses(records) == ["http_error"]


# -- validation re-asks -------------------------------------------------------------------------


def test_schema_invalid_then_valid_reasks_with_error_message(server: FaultServer) -> None:
    server.enqueue(inject_ok(MISSING_VALUE, completion_tokens=9), inject_ok(VALID))
    client, records, _ = make_client(server)

    assert_widget(call(client))

    assert statuses(records) == ["invalid_output", "ok"]
    assert records[0].completion_tokens == 9
    assert records[0].error_type == "ValidationError"
    assert "value" in (records[0].error or "")

    first, second = server.bodies()
    assert first["messages"] == MESSAGES
    n = len(MESSAGES)
    assert second["messages"][:n] == MESSAGES
    reask = second["messages"][n:]
    assert len(reask) == 2
    assert reask[0]["role"] == "assistant"
    assert reask[0]["content"] == MISSING_VALUE
    assert reask[1]["role"] == "user"
    assert "value" in reask[1]["content"] and "Field required" in reask[1]["content"]
    assert second["response_format"] == first["response_format"]


def test_schema_invalid_every_time_raises_and_keeps_tokens(server: FaultServer) -> None:
    server.enqueue(
        inject_ok(MISSING_VALUE, completion_tokens=13),
        inject_ok(MISSING_VALUE, completion_tokens=17),
        inject_ok(VALID),  # must never be reached
    )
    client, records, settings = make_client(server)

    with pytest.raises(LLMError, match="failed validation"):
        call(client)

    attempts = settings.max_reasks + 1
    assert len(server.requests) == attempts
    assert server.remaining == 1
    assert statuses(records) == ["invalid_output"] * attempts
    assert sum(r.completion_tokens or 0 for r in records) == 30
    assert all(r.prompt_tokens == 11 for r in records)


def test_transport_fault_during_reask_restarts_from_original_messages(
    server: FaultServer,
) -> None:
    server.enqueue(inject_ok(MISSING_VALUE), inject_status(503), inject_ok(VALID))
    client, records, _ = make_client(server)

    assert_widget(call(client))

    assert statuses(records) == ["invalid_output", "http_error", "ok"]
    assert [r.attempt for r in records] == [1, 2, 3]
    bodies = server.bodies()
    assert len(bodies[1]["messages"]) == len(MESSAGES) + 2  # the re-ask that got the 503
    assert bodies[2]["messages"] == MESSAGES  # a fresh transport attempt


# -- malformed 200 bodies -----------------------------------------------------------------------

@pytest.mark.parametrize("fault", [inject_garbage, inject_empty], ids=["garbage", "empty"])
def test_malformed_200_body_is_recorded_as_a_failed_attempt(server: FaultServer, fault) -> None:
    server.enqueue(*(fault() for _ in range(4)))
    client, records, _ = make_client(server)

    with pytest.raises(LLMError) as excinfo:
        call(client)

    assert "AttributeError" not in str(excinfo.value)
    assert len(server.requests) >= 1
    assert len(records) == len(server.requests)  # every HTTP attempt is reported
    assert all(r.status != "ok" and r.error_type for r in records)


@pytest.mark.parametrize("fault", [inject_garbage, inject_empty], ids=["garbage", "empty"])
def test_malformed_200_body_raises_llm_error_not_a_crash(server: FaultServer, fault) -> None:
    server.enqueue(*(fault() for _ in range(4)))
    client, _, _ = make_client(server)

    with pytest.raises(LLMError):
        call(client)


def test_malformed_body_during_reask_does_not_overwrite_previous_record(
    server: FaultServer,
) -> None:
    server.enqueue(inject_ok(MISSING_VALUE), inject_garbage(), inject_ok(VALID))
    client, records, _ = make_client(server)

    with contextlib.suppress(LLMError):
        call(client)

    assert len(records) == len(server.requests)
    assert records[0].status == "invalid_output"
    assert records[0].error_type == "ValidationError"


# -- secrets ------------------------------------------------------------------------------------


def test_api_key_never_appears_in_call_records(server: FaultServer) -> None:
    server.enqueue(
        inject_status(429),
        inject_status(500),
        inject_reset(),
        inject_ok(MISSING_VALUE),
        inject_ok(VALID),
    )
    client, records, _ = make_client(server, api_key=SECRET_KEY)

    call(client)

    assert statuses(records) == [
        "http_error",
        "http_error",
        "connection_error",
        "invalid_output",
        "ok",
    ]
    # the key really was sent, so its absence below means something
    assert all(r.headers.get("Authorization") == f"Bearer {SECRET_KEY}" for r in server.requests)
    for record in records:
        dumped = json.dumps(dataclasses.asdict(record))
        assert SECRET_KEY not in dumped
        assert SECRET_KEY not in repr(record)


def test_api_key_absent_from_llm_error_and_records_on_failure(server: FaultServer) -> None:
    server.enqueue(*(inject_status(503) for _ in range(4)))
    client, records, _ = make_client(server, api_key=SECRET_KEY)

    with pytest.raises(LLMError) as excinfo:
        call(client)

    assert SECRET_KEY not in str(excinfo.value)
    assert len(records) == 4
    assert all(SECRET_KEY not in json.dumps(dataclasses.asdict(r)) for r in records)


# -- the fault server itself --------------------------------------------------------------------


def test_fault_server_is_loopback_only_and_fails_fast_when_script_exhausted(
    server: FaultServer,
) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    response = httpx.post(server.base_url + "/chat/completions", json={"x": 1}, timeout=2)
    assert response.status_code == SCRIPT_EXHAUSTED_STATUS
    assert server.requests[0].json() == {"x": 1}


def test_fault_server_stops_promptly_with_a_hanging_request() -> None:
    with make_fault_server([inject_hang(30)]) as srv:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(srv.base_url + "/chat/completions", json={}, timeout=0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 2


# -- unit: is_transient -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504])
def test_is_transient_true_for_429_and_5xx(code: int) -> None:
    assert is_transient(api_status_error(code)) is True


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_is_transient_false_for_other_4xx(code: int) -> None:
    assert is_transient(api_status_error(code)) is False


def test_is_transient_connection_and_timeout_errors() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/")
    assert is_transient(connection_error()) is True
    assert is_transient(openai.APITimeoutError(request=request)) is True


@pytest.mark.parametrize("error", [ValueError("x"), RuntimeError("x"), KeyError("x")])
def test_is_transient_false_for_non_transport_errors(error: BaseException) -> None:
    assert is_transient(error) is False


def test_is_transient_false_for_replay_miss_wrapped_in_connection_error() -> None:
    error = connection_error()
    error.__cause__ = CannotOverwriteExistingCassetteException("no match")
    assert is_transient(error) is False


# -- unit: retry_after_seconds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        (str(MAX_RETRY_AFTER_SECONDS), MAX_RETRY_AFTER_SECONDS),
        ("99999", MAX_RETRY_AFTER_SECONDS),
        ("inf", MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_retry_after_seconds_parses_and_caps(header: str, expected: float) -> None:
    assert retry_after_seconds(api_status_error(429, {"Retry-After": header})) == expected


@pytest.mark.parametrize("header", ["soon", "", "Wed, 21 Oct 2015 07:28:00 GMT", "1s"])
def test_retry_after_seconds_bad_values_are_none(header: str) -> None:
    assert retry_after_seconds(api_status_error(503, {"Retry-After": header})) is None


def test_retry_after_seconds_nan_is_none() -> None:
    assert retry_after_seconds(api_status_error(429, {"Retry-After": "nan"})) is None


def test_retry_after_seconds_none_without_header_or_status_error() -> None:
    assert retry_after_seconds(api_status_error(429)) is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(connection_error()) is None
    assert retry_after_seconds(ValueError("Retry-After: 3")) is None


# -- unit: _is_replay_miss ----------------------------------------------------------------------


def test_is_replay_miss_direct_and_through_cause_or_context() -> None:
    assert _is_replay_miss(CannotOverwriteExistingCassetteException()) is True

    via_cause = connection_error()
    via_cause.__cause__ = CannotOverwriteExistingCassetteException()
    assert _is_replay_miss(via_cause) is True

    via_context = RuntimeError("outer")
    middle = ValueError("middle")
    middle.__context__ = CannotOverwriteExistingCassetteException()
    via_context.__context__ = middle
    assert _is_replay_miss(via_context) is True


def test_is_replay_miss_recognises_vcrpy_exception() -> None:
    errors = pytest.importorskip("vcr.errors")
    real = errors.CannotOverwriteExistingCassetteException.__new__(
        errors.CannotOverwriteExistingCassetteException
    )
    assert _is_replay_miss(real) is True


def test_is_replay_miss_false_for_other_errors_and_terminates_on_cycles() -> None:
    assert _is_replay_miss(ValueError("CannotOverwriteExistingCassetteException")) is False
    assert _is_replay_miss(connection_error()) is False

    a, b = RuntimeError("a"), RuntimeError("b")
    a.__context__, b.__context__ = b, a
    assert _is_replay_miss(a) is False
