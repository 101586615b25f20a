"""Record and replay HTTP exchanges with the model server (vcrpy cassettes, one per article).

Requests are matched on method, path and the JSON body (so any change to a prompt, schema,
model name or article makes a replay miss, never a silent stale answer); host and port are
ignored because the embedded server listens on a random port. Secret-bearing headers are
dropped from requests and responses before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import vcr

KEPT_REQUEST_HEADERS = frozenset({"content-type", "accept"})
KEPT_RESPONSE_HEADERS = frozenset({"content-type"})
REPLAY_BASE_URL = "http://127.0.0.1:9/v1"  # never contacted: replay answers every request


def _body_json(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body) if body else None
    except (TypeError, ValueError):
        return body


def json_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: bodies equal as JSON; the assertion names the first differing key."""
    a, b = _body_json(r1.body), _body_json(r2.body)
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        differing = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        raise AssertionError(f"request bodies differ in {differing}")
    raise AssertionError("request bodies differ")


def scrub_request(request: Any) -> Any:
    """Keep only harmless headers; drop credentials and query strings from the URI."""
    for name in list(request.headers):
        if name.lower() not in KEPT_REQUEST_HEADERS:
            del request.headers[name]
    parts = urlsplit(request.uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    request.uri = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return request


def scrub_response(response: dict, secrets: Sequence[str] = ()) -> dict:
    """Keep only the content type; blank out any secret a server echoed in the body."""
    response["headers"] = {
        name: value
        for name, value in response.get("headers", {}).items()
        if name.lower() in KEPT_RESPONSE_HEADERS
    }
    body = response.get("body", {}).get("string")
    if body and secrets:
        is_bytes = isinstance(body, bytes)
        text = body.decode("utf-8", errors="replace") if is_bytes else body
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        response["body"]["string"] = text.encode("utf-8") if is_bytes else text
    return response


def make_vcr(directory: Path, *, record: bool, secrets: Sequence[str] = ()) -> vcr.VCR:
    """A recorder (``record``) or a strict replayer (record mode ``none``) for ``directory``."""
    kept = [s for s in secrets if s and len(s) >= 4]
    recorder = vcr.VCR(
        cassette_library_dir=str(directory),
        record_mode="all" if record else "none",
        match_on=["method", "path", "json_body"],
        before_record_request=scrub_request,
        before_record_response=lambda response: scrub_response(response, kept),
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", json_body_matcher)
    return recorder


def cassette_path(directory: Path, article_id: str) -> Path:
    return directory / f"{article_id}.yaml"


@contextmanager
def article_cassette(recorder: vcr.VCR | None, directory: Path | None, article_id: str,
                     *, record: bool) -> Iterator[None]:
    """Replay (or record) the exchanges of one article; a no-op without a cassette folder."""
    if recorder is None or directory is None:
        yield
        return
    path = cassette_path(directory, article_id)
    if record:
        directory.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    with recorder.use_cassette(path.name):
        yield


MANIFEST_NAME = "manifest.json"
RERECORD_COMMAND = "make cassettes"


def write_manifest(directory: Path, *, prompt_hashes: dict[str, str], schema_hash: str,
                   model: str, compact_json: bool) -> Path:
    """Record which prompts, schemas and model the cassettes in ``directory`` were made with,
    and whether the requests carried the compact grammar (a replay sends what was recorded)."""
    path = directory / MANIFEST_NAME
    path.write_text(json.dumps({"model": model, "schema_hash": schema_hash,
                                "prompt_hashes": prompt_hashes, "compact_json": compact_json},
                               indent=2, sort_keys=True) + "\n")
    return path


def recorded_compact_json(directory: Path) -> bool | None:
    """Whether the cassettes in ``directory`` were recorded with the compact grammar (None: the
    folder has no manifest saying so)."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        return None
    value = json.loads(path.read_text()).get("compact_json")
    return value if isinstance(value, bool) else None


def manifest_changes(directory: Path, *, prompt_hashes: dict[str, str], schema_hash: str,
                     model: str) -> list[str]:
    """What differs from the recording: prompt file names, "schemas", "model"."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        return []
    recorded = json.loads(path.read_text())
    changes = sorted(
        name for name in set(prompt_hashes) | set(recorded.get("prompt_hashes", {}))
        if prompt_hashes.get(name) != recorded.get("prompt_hashes", {}).get(name)
    )
    if recorded.get("schema_hash") != schema_hash:
        changes.append("schemas")
    if recorded.get("model") != model:
        changes.append("model")
    return changes


def replay_miss_hint(changes: list[str]) -> str:
    changed = f"changed since recording: {', '.join(changes)}; " if changes else ""
    return f"{changed}re-record the cassettes against the local model with `{RERECORD_COMMAND}`"
