"""A loopback OpenAI-compatible server answering from the recorded cassettes, with a fixed
latency per call (for bench/throughput.py and the concurrency tests).

Nothing here is a model: every answer is a response recorded in ``cassettes/*.yaml``. A request
is matched on which recorded article it is about (the opening of its user message: the article
template and the first ``PREFIX_CHARS`` of the article), the stage it asks for
(``response_format.json_schema.name``) and its number of messages (a re-ask has more), not on the
whole body: so copies of a seed article that differ only after their opening (e.g. trailing
whitespace, to give each copy its own text hash and so its own pass through the LLM path) all get
the seed's recorded answers. An unmatched request gets a non-retryable 404.

The server listens on 127.0.0.1 only; it counts requests and the most it held at once.
Run it on its own (``python -m extractor.testing.replay_server --latency 1``) to serve from
another process: it prints its base URL on the first line and serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from extractor.llm.grammar import requested_answer
from extractor.testing.serving import LoopbackServer, QuietHandler

# the source checkout's recordings (this package is test support, used from the source tree)
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
PREFIX_CHARS = 1000
Key = tuple[str, str, int]


def request_key(body: dict[str, Any]) -> Key | None:
    """(opening of the user message, stage schema name, number of messages) of a chat request."""
    messages = body.get("messages") or []
    user = next((m.get("content") for m in messages
                 if isinstance(m, dict) and m.get("role") == "user"), None)
    schema = requested_answer(body)
    if not isinstance(user, str) or not schema:
        return None
    return user[:PREFIX_CHARS], schema, len(messages)


def load_answers(cassette_dir: Path) -> dict[Key, bytes]:
    """Every recorded 200 answer of the cassettes, by request key (the last one recorded wins)."""
    answers: dict[Key, bytes] = {}
    for path in sorted(cassette_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for interaction in data.get("interactions") or []:
            response = interaction.get("response") or {}
            if (response.get("status") or {}).get("code") != 200:
                continue
            key = request_key(json.loads(interaction["request"]["body"]))
            body = (response.get("body") or {}).get("string")
            if key is not None and body:
                answers[key] = body.encode() if isinstance(body, str) else body
    return answers


class _Handler(QuietHandler):
    server: _ReplayHTTPServer

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.enter()
        try:
            self.server.wait_at_gate()
            with self.server.slots or contextlib.nullcontext():
                if self.server.latency:
                    time.sleep(self.server.latency)
            try:
                key = request_key(json.loads(body))
            except ValueError:
                key = None
            answer = self.server.answers.get(key) if key else None
            self.server.count(key, answer is not None)
        finally:
            self.server.leave()
        if answer is None:
            self._send(404, json.dumps({"error": {"message": "no recorded answer"}}).encode())
        else:
            self._send(200, answer)

    def _send(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _ReplayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, answers: dict[Key, bytes], latency: float, gate: int,
                 slots: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers, self.latency, self.gate = answers, latency, gate
        # like a model server's parallel slots: at most ``slots`` requests served at once
        self.slots = threading.BoundedSemaphore(slots) if slots else None
        self._lock = threading.Lock()
        self._gate_open = threading.Condition(self._lock)
        self.requests = 0
        self.misses = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.stages: list[str] = []  # schema names in arrival order

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self._gate_open.notify_all()

    def wait_at_gate(self) -> None:
        """Until ``gate`` requests have been in flight together, hold each (at most 5 s)."""
        with self._lock:
            self._gate_open.wait_for(lambda: self.peak_in_flight >= self.gate, timeout=5)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def count(self, key: Key | None, hit: bool) -> None:
        with self._lock:
            self.requests += 1
            self.misses += not hit
            if key is not None:
                self.stages.append(key[1])


class ReplayServer(LoopbackServer):
    """Handle on a running replay server: its URL and what it has seen."""

    def __init__(self, cassette_dir: Path = CASSETTES, latency: float = 0.0,
                 gate: int = 0, slots: int = 0) -> None:
        super().__init__(_ReplayHTTPServer(load_answers(cassette_dir), latency, gate, slots),
                         "replay-server")

    @property
    def requests(self) -> int:
        return self._httpd.requests

    @property
    def misses(self) -> int:
        return self._httpd.misses

    @property
    def peak_in_flight(self) -> int:
        return self._httpd.peak_in_flight

    def reset_counts(self) -> None:
        with self._httpd._lock:
            self._httpd.requests = self._httpd.misses = self._httpd.peak_in_flight = 0
            self._httpd.stages = []



@contextmanager
def replay_server(cassette_dir: Path = CASSETTES, latency: float = 0.0,
                  gate: int = 0) -> Iterator[ReplayServer]:
    """``gate``: hold the first requests until that many are in flight together (a test of
    concurrency that does not depend on timing; each waits 5 s at most)."""
    server = ReplayServer(cassette_dir, latency, gate).start()
    try:
        yield server
    finally:
        server.stop()


def synthetic_copies(seeds: list[Path], count: int, folder: Path) -> list[Path]:
    """``count`` article files cycling through ``seeds``, each with its own text (the seed plus
    a different run of trailing spaces), so no copy is a duplicate or a cache hit of another."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [seed.read_text(encoding="utf-8") for seed in seeds]
    paths = []
    for index in range(count):
        path = folder / f"{index:05d}_{seeds[index % len(seeds)].stem}.txt"
        path.write_text(texts[index % len(texts)] + " " * (index // len(texts) + 1) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cassettes", type=Path, default=CASSETTES)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--slots", type=int, default=0,
                        help="requests served at once (0: no limit), like a model server")
    args = parser.parse_args()
    server = ReplayServer(args.cassettes, args.latency, slots=args.slots)
    print(server.base_url, flush=True)
    with suppress(KeyboardInterrupt):
        server._httpd.serve_forever(poll_interval=0.05)
    sys.exit(0)


if __name__ == "__main__":
    main()
