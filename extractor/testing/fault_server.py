"""A scripted fault-injection HTTP server for testing the LLM client against transport failures.

Nothing here is a model: every reply is a *scripted fault or canned fixture* chosen by the test.
The server listens on 127.0.0.1 only (an OS-assigned free port), serves
``POST /v1/chat/completions`` from a queue of behaviours (one behaviour per request, in order)
and records every request body it receives.

Usage::

    with make_fault_server([inject_status(503), inject_ok('{"name": "a", "value": 1}')]) as server:
        client = LLMClient(settings, server.base_url, ...)
        ...
        assert len(server.requests) == 2

Bounds: request bodies are capped at ``MAX_BODY_BYTES``; a request that arrives when the script is
exhausted gets a non-retryable ``418`` (so a client bug cannot loop forever); ``inject_hang`` waits
on a stop event, so teardown never waits for a sleeping handler; handler threads are daemons with
a socket timeout; ``stop()`` shuts the server down and joins its thread.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from extractor.llm.grammar import requested_answer
from extractor.testing.serving import QuietHandler

CHAT_PATH = "/v1/chat/completions"
MAX_BODY_BYTES = 1_000_000
HANDLER_SOCKET_TIMEOUT = 10.0
SCRIPT_EXHAUSTED_STATUS = 418  # not retried by the client: a runaway client fails fast


# -- behaviours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """One scripted reply; ``kind`` names the fault (or ``ok`` for a canned completion)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


def inject_ok(
    content_json: str,
    *,
    prompt_tokens: int = 11,
    completion_tokens: int = 7,
    prompt_n: int | None = 5,
    delay: float = 0.0,
    finish_reason: str = "stop",
) -> Behaviour:
    """A canned, well-formed OpenAI ``chat.completion`` whose message content is ``content_json``.

    ``content_json`` is test data, written by the test: it is not produced by any model.
    ``delay`` holds the reply back (interrupted when the server stops); ``finish_reason="length"``
    imitates an answer cut by ``max_tokens``.
    """
    return Behaviour(
        "ok",
        {
            "content": content_json,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "prompt_n": prompt_n,
            "delay": delay,
            "finish_reason": finish_reason,
        },
    )


def inject_status(
    code: int, retry_after: str | float | None = None, body: str | None = None
) -> Behaviour:
    """An HTTP error status (429, 500, 502, 503, ...), optionally with a Retry-After header."""
    if body is None:
        body = json.dumps(
            {"error": {"message": f"injected fault: HTTP {code}", "type": "fault_injection"}}
        )
    return Behaviour("status", {"code": code, "retry_after": retry_after, "body": body})


def inject_reset() -> Behaviour:
    """Close the connection (TCP RST) without sending any response."""
    return Behaviour("reset")


def inject_hang(seconds: float) -> Behaviour:
    """Send nothing for ``seconds`` (longer than the client timeout), then close.

    The wait is interrupted when the server stops, so teardown is never held up.
    """
    return Behaviour("hang", {"seconds": seconds})


def inject_empty() -> Behaviour:
    """``200 OK`` with a JSON content type and an empty body."""
    return Behaviour("empty")


def inject_garbage() -> Behaviour:
    """``200 OK`` with a JSON content type and a malformed JSON body."""
    return Behaviour("garbage")


def inject_truncated() -> Behaviour:
    """Declare a Content-Length larger than the bytes sent, then close the connection."""
    return Behaviour("truncated")


def inject_stall(seconds: float) -> Behaviour:
    """Send the headers and half the body, then stall ``seconds`` (a timeout mid-response)."""
    return Behaviour("stall", {"seconds": seconds})


# -- scripted stage answers -------------------------------------------------------------------
# Canned, schema-valid answers for the extractor's five stages, keyed by the response model name
# the client puts in ``response_format.json_schema.name``. They are fault-injection FIXTURES
# written for the tiny articles of ``fixture_article`` (every evidence span is in that text), not
# model output.

FIXTURE_STAGE_ANSWERS: dict[str, dict[str, Any]] = {
    "RepairResult": {"title": "Work meeting on digital transformation", "place": None,
                     "repairs": [{"original": "intelligent change number turn",
                                  "repaired": "intelligent and digital transformation",
                                  "category": "term"}]},
    "MeetingList": {"meetings": [{"mention": "the work meeting",
                                  "name": "work meeting on digital transformation",
                                  "kind": "work meeting"}]},
    "OfficialList": {"officials": [{"name": "Zhao Jianjun", "title": "Mayor"}]},
    "InitiativeList": {"initiatives": [{"mention": "smart factory plan",
                                        "name": "Smart Factory Plan"}]},
    "TargetList": {"targets": [{"sentence": 1, "value": 120, "unit": "smart factories",
                                "metric": "new smart factories", "kind": "target"}]},
}
FIXTURE_RECORDS_PER_ARTICLE = 5  # one meeting, official, initiative, target and repair


def fixture_article(city: str) -> str:
    """A tiny article the canned stage answers fit (``city`` makes its text unique)."""
    return (
        f"{city}: work meeting on intelligent change number turn\n\n"
        f"On Monday morning, Mayor Zhao Jianjun chaired the work meeting in {city}. "
        "The meeting pushed the intelligent change number turn of manufacturing. "
        "Under the smart factory plan the city will add 120 smart factories by the end of "
        "the year.\n"
    )


def write_fixture_articles(folder: Path, cities: Iterable[str]) -> dict[str, str]:
    """One ``fixture_article`` file per city in ``folder``; returns city -> article id."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = {}
    for index, city in enumerate(cities):
        path = folder / f"{index:02d}_{city.lower()}.txt"
        path.write_text(fixture_article(city), encoding="utf-8")
        ids[city] = path.stem
    return ids


def response_model_name(body: dict[str, Any]) -> str | None:
    """The response model a chat request asks for (its schema or its compact grammar), if any."""
    return requested_answer(body)


def stage_answer(body: dict[str, Any], **ok_options: Any) -> Behaviour:
    """The canned answer for whichever stage ``body`` asks for (see FIXTURE_STAGE_ANSWERS)."""
    name = response_model_name(body)
    if name not in FIXTURE_STAGE_ANSWERS:
        return inject_status(400, body=json.dumps({"error": {"message": f"no fixture for {name}"}}))
    return inject_ok(json.dumps(FIXTURE_STAGE_ANSWERS[name]), **ok_options)


def request_text(body: dict[str, Any]) -> str:
    """All message contents of a chat request, joined (to tell which article it is about)."""
    return "\n".join(str(m.get("content") or "") for m in body.get("messages") or [])


Responder = Callable[[dict[str, Any]], "Behaviour | None"]


# -- server -----------------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    behaviour: str
    at: float  # time.monotonic() when the request was read

    def json(self) -> Any:
        return json.loads(self.body)


def completion_payload(
    content: str, prompt_tokens: int, completion_tokens: int, prompt_n: int | None, model: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-fault-server",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    if prompt_n is not None:
        payload["timings"] = {"prompt_n": prompt_n, "predicted_n": completion_tokens}
    return payload


class _Handler(QuietHandler):
    timeout = HANDLER_SOCKET_TIMEOUT
    server: _FaultHTTPServer

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path == "/health" and self.server.health:
            self._send_json(200, {"status": "ok"})
            return
        self._send_json(404, {"error": {"message": "fault server: only POST " + CHAT_PATH}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_json(413, {"error": {"message": "fault server: body too large"}})
            return
        body = self.rfile.read(length)
        self._body = body
        if self.path.split("?", 1)[0] != CHAT_PATH:
            self._send_json(404, {"error": {"message": f"fault server: no route {self.path}"}})
            return
        behaviour = self.server.next_behaviour(body)
        self.server.record(
            ReceivedRequest(
                path=self.path,
                headers=dict(self.headers.items()),
                body=body,
                behaviour=behaviour.kind if behaviour else "script_exhausted",
                at=time.monotonic(),
            )
        )
        if behaviour is None:
            self._send_json(
                SCRIPT_EXHAUSTED_STATUS,
                {"error": {"message": "fault server: no scripted behaviour left"}},
            )
            return
        getattr(self, "_do_" + behaviour.kind)(**behaviour.params)

    # -- behaviour implementations -----------------------------------------------------------
    def _do_ok(
        self, content: str, prompt_tokens: int, completion_tokens: int, prompt_n: int | None,
        delay: float = 0.0, finish_reason: str = "stop",
    ) -> None:
        if delay and self.server.stopping.wait(delay):
            self.close_connection = True
            return
        try:
            model = json.loads(self._body).get("model", "fault-server")
        except (ValueError, AttributeError):
            model = "fault-server"
        payload = completion_payload(content, prompt_tokens, completion_tokens, prompt_n, model)
        payload["choices"][0]["finish_reason"] = finish_reason
        self._send_json(200, payload)

    def _do_status(self, code: int, retry_after: str | float | None, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _do_reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _do_hang(self, seconds: float) -> None:
        self.server.stopping.wait(seconds)
        self.close_connection = True

    def _do_empty(self) -> None:
        self._send_raw(200, b"")

    def _do_garbage(self) -> None:
        self._send_raw(200, b'{"id": "chatcmpl-fault", "choices": [{"message": {"content": ')

    def _do_truncated(self) -> None:
        full = json.dumps(completion_payload('{"x": 1}', 1, 1, 1, "fault-server")).encode()
        part = full[: len(full) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(full)))
        self.end_headers()
        self.wfile.write(part)
        self.wfile.flush()
        self.close_connection = True

    def _do_stall(self, seconds: float) -> None:
        full = json.dumps(completion_payload('{"x": 1}', 1, 1, 1, "fault-server")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(full)))
        self.end_headers()
        self.wfile.write(full[: len(full) // 2])
        self.wfile.flush()
        self.server.stopping.wait(seconds)
        self.close_connection = True

    # -- helpers -----------------------------------------------------------------------------
    def _send_json(self, code: int, payload: Any) -> None:
        self._send_raw(code, json.dumps(payload).encode())

    def _send_raw(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, script: Iterable[Behaviour], responder: Responder | None = None,
                 port: int = 0, health: bool = False) -> None:
        self.allow_reuse_address = port != 0  # a fixed port is rebound after a restart
        super().__init__(("127.0.0.1", port), _Handler)
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque(script)
        self.responder = responder
        self.health = health
        self.requests: list[ReceivedRequest] = []
        self.stopping = threading.Event()

    def next_behaviour(self, body: bytes = b"") -> Behaviour | None:
        """The next scripted behaviour; when the script is empty, the responder's choice."""
        with self._lock:
            if self._script:
                return self._script.popleft()
            responder = self.responder
        if responder is None:
            return None
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
        return responder(parsed) if isinstance(parsed, dict) else None

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # injected faults break connections on purpose; don't print tracebacks


class FaultServer:
    """Handle on a running fault server: URL, script control, received requests.

    ``responder`` (optional) chooses a behaviour from the parsed request body whenever the
    script queue is empty, e.g. ``stage_answer`` for the canned stage fixtures, or a fault for
    requests about one article. ``health=True`` also answers ``GET /health`` like llama-server.
    """

    def __init__(self, script: Iterable[Behaviour] = (), responder: Responder | None = None,
                 *, port: int = 0, health: bool = False) -> None:
        self._httpd = _FaultHTTPServer(script, responder, port, health)
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.base_url = f"{self.url}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-server",
            daemon=True,
        )

    # script
    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._httpd._lock:
            self._httpd._script.extend(behaviours)

    @property
    def remaining(self) -> int:
        with self._httpd._lock:
            return len(self._httpd._script)

    # observations
    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._httpd._lock:
            return list(self._httpd.requests)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.requests]

    # lifecycle
    def serve_forever(self) -> None:
        """Serve in the calling thread until the process is killed (a fake llama-server)."""
        self._httpd.serve_forever(poll_interval=0.05)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.stopping.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def make_fault_server(script: Iterable[Behaviour] = (), responder: Responder | None = None,
                      **options: Any) -> Iterator[FaultServer]:
    """Run a fault server for the duration of the ``with`` block; always stopped on exit."""
    server = FaultServer(script, responder, **options).start()
    try:
        yield server
    finally:
        server.stop()
