"""A FAKE OpenAI-format Batch API on loopback, for testing ``extractor batch`` (a test fixture:
nothing here is a model, and nothing here is OpenAI's service).

It serves the endpoints the openai client uses for batches:

* ``POST /v1/files`` (multipart, ``purpose=batch``): stores the JSONL, returns a file object;
* ``POST /v1/batches``: a batch of that file, ``in_progress`` until polled ``polls`` times;
* ``GET /v1/batches/{id}``: its status; when it ends, every request is answered by the
  ``responder`` (a function of the request body returning a ``Behaviour`` of the fault
  server: ``stage_answer`` gives the canned stage fixtures) into the output file (status 200)
  or the error file (any other status), both shuffled when ``shuffle`` is set;
* ``GET /v1/files/{id}/content``: a file's JSONL.

Faults, chosen by the test: ``expire_batches`` (the n-th batches submitted, counting from 1,
end ``expired``: the first half of their requests answered, the rest in the error file with
code ``batch_expired``) and ``invalid`` (a predicate on a request body: that request gets an
HTTP 400 line in the error file, once).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from extractor.testing.fault_server import Behaviour, completion_payload
from extractor.testing.serving import LoopbackServer, QuietHandler

Responder = Callable[[dict[str, Any]], Behaviour]


class _Handler(QuietHandler):
    server: _FakeBatchServer

    def _send(self, code: int, payload: Any, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if raw is None
                         else "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        if path == "/v1/files":
            content = _multipart_file(body, self.headers.get("Content-Type") or "")
            self._send(200, self.server.add_file(content, "batch"))
        elif path == "/v1/batches":
            request = json.loads(body)
            found = self.server.create_batch(request["input_file_id"])
            self._send(200 if found else 404, found or {"error": {"message": "no such file"}})
        else:
            self._send(404, {"error": {"message": f"fake batch API: no route {path}"}})

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        if match := re.fullmatch(r"/v1/batches/([\w-]+)", path):
            batch = self.server.poll(match.group(1))
            self._send(200 if batch else 404, batch or {"error": {"message": "no such batch"}})
        elif match := re.fullmatch(r"/v1/files/([\w-]+)/content", path):
            data = self.server.files.get(match.group(1))
            if data is None:
                self._send(404, {"error": {"message": "no such file"}})
            else:
                self._send(200, None, raw=data)
        else:
            self._send(404, {"error": {"message": f"fake batch API: no route {path}"}})


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The ``file`` part of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return data.rsplit(b"\r\n", 1)[0]
    return b""


class _FakeBatchServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, responder: Responder, *, polls: int, expire_batches: set[int],
                 invalid: Callable[[dict], bool] | None, shuffle: bool, seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.responder, self.polls, self.expire_batches = responder, polls, expire_batches
        self.invalid, self.shuffle, self.random = invalid, shuffle, random.Random(seed)
        self.lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.polled: dict[str, int] = {}
        self.invalidated: set[str] = set()
        self.requests_seen: list[dict] = []  # every request line of every batch

    def add_file(self, content: bytes, purpose: str) -> dict[str, Any]:
        with self.lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = content
        return {"id": file_id, "object": "file", "bytes": len(content), "purpose": purpose,
                "created_at": int(time.time()), "filename": f"{file_id}.jsonl",
                "status": "processed"}

    def create_batch(self, file_id: str) -> dict[str, Any] | None:
        with self.lock:
            if file_id not in self.files:
                return None
            batch_id = f"batch-{len(self.batches) + 1}"
            total = sum(1 for line in self.files[file_id].splitlines() if line.strip())
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions",
                "input_file_id": file_id, "completion_window": "24h",
                "status": "in_progress", "created_at": int(time.time()),
                "output_file_id": None, "error_file_id": None,
                "request_counts": {"total": total, "completed": 0, "failed": 0}}
            self.polled[batch_id] = 0
            return dict(self.batches[batch_id])

    def poll(self, batch_id: str) -> dict[str, Any] | None:
        with self.lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            self.polled[batch_id] += 1
            if batch["status"] == "in_progress" and self.polled[batch_id] > self.polls:
                self._finish(batch, int(batch_id.split("-")[1]) in self.expire_batches)
            return dict(batch)

    def _finish(self, batch: dict[str, Any], expire: bool) -> None:
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]].splitlines()
                 if x.strip()]
        self.requests_seen.extend(lines)
        output, errors = [], []
        for index, line in enumerate(lines):
            custom = line["custom_id"]
            if expire and index >= len(lines) // 2:
                errors.append({"id": f"req-{custom}", "custom_id": custom, "response": None,
                               "error": {"code": "batch_expired",
                                         "message": "This request could not be executed "
                                                    "before the completion window expired."}})
                continue
            if self.invalid is not None and custom not in self.invalidated \
                    and self.invalid(line["body"]):
                self.invalidated.add(custom)
                errors.append({"id": f"req-{custom}", "custom_id": custom, "error": None,
                               "response": {"status_code": 400, "body": {"error": {
                                   "message": "invalid request (fake batch API fault)"}}}})
                continue
            behaviour = self.responder(line["body"])
            if behaviour.kind == "ok":
                params = behaviour.params
                payload = completion_payload(params["content"], params["prompt_tokens"],
                                             params["completion_tokens"], None,
                                             line["body"].get("model", "fake"))
                output.append({"id": f"req-{custom}", "custom_id": custom, "error": None,
                               "response": {"status_code": 200, "request_id": custom,
                                            "body": payload}})
            else:
                errors.append({"id": f"req-{custom}", "custom_id": custom, "error": None,
                               "response": {"status_code": behaviour.params.get("code", 500),
                                            "body": {"error": {"message": behaviour.kind}}}})
        if self.shuffle:
            self.random.shuffle(output)
            self.random.shuffle(errors)
        for name, rows in (("output_file_id", output), ("error_file_id", errors)):
            if rows:
                data = "".join(json.dumps(r) + "\n" for r in rows).encode()
                batch[name] = self.add_file_locked(data)
        batch["status"] = "expired" if expire else "completed"
        batch["request_counts"] = {"total": len(lines), "completed": len(output),
                                   "failed": len(errors)}

    def add_file_locked(self, content: bytes) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = content
        return file_id


class FakeBatchAPI(LoopbackServer):
    """Handle on a running fake Batch API: its base URL and what it received."""

    def __init__(self, responder: Responder, *, polls: int = 1,
                 expire_batches: set[int] | frozenset[int] = frozenset(),
                 invalid: Callable[[dict], bool] | None = None, shuffle: bool = True,
                 seed: int = 7) -> None:
        super().__init__(_FakeBatchServer(responder, polls=polls,
                                          expire_batches=set(expire_batches), invalid=invalid,
                                          shuffle=shuffle, seed=seed), "fake-batch-api")

    @property
    def batches(self) -> dict[str, dict[str, Any]]:
        with self._httpd.lock:
            return {k: dict(v) for k, v in self._httpd.batches.items()}

    @property
    def requests_seen(self) -> list[dict]:
        with self._httpd.lock:
            return list(self._httpd.requests_seen)



@contextmanager
def fake_batch_api(responder: Responder, **options: Any) -> Iterator[FakeBatchAPI]:
    server = FakeBatchAPI(responder, **options).start()
    try:
        yield server
    finally:
        server.stop()
