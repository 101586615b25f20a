from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import vcr.errors

from extractor.backends.replay import article_cassette, json_body_matcher, make_vcr
from tests.conftest import CASSETTES

KEY_LIKE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|(?i:authorization|api[-_]key|"
    r"x-api-key|set-cookie|cookie)\s*:)"
)
SECRET = "sk-live-abcdefghijklmnop1234"


class EchoHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", f"session={SECRET}")
        self.send_header("x-request-id", "req-1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def post(url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {SECRET}", "api-key": SECRET})


def test_recording_scrubs_secrets_from_requests_and_responses(
    tmp_path: Path, echo_url: str
) -> None:
    recorder = make_vcr(tmp_path, record=True)
    with article_cassette(recorder, tmp_path, "a1", record=True):
        assert post(echo_url, {"messages": [1]}).json() == {"ok": True}
    text = (tmp_path / "a1.yaml").read_text()
    assert SECRET not in text
    assert not KEY_LIKE.search(text)
    assert "x-request-id" not in text


def test_replay_matches_body_and_ignores_port(tmp_path: Path, echo_url: str) -> None:
    with article_cassette(make_vcr(tmp_path, record=True), tmp_path, "a1", record=True):
        post(echo_url, {"messages": [1]})
    replay = make_vcr(tmp_path, record=False)
    with article_cassette(replay, tmp_path, "a1", record=False):
        # a different port: replay still answers, the server is never contacted
        assert post("http://127.0.0.1:9", {"messages": [1]}).json() == {"ok": True}
    with article_cassette(replay, tmp_path, "a1", record=False), \
            pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
        post("http://127.0.0.1:9", {"messages": [2]})


def test_json_body_matcher_names_the_differing_key() -> None:
    class Req:
        def __init__(self, body: dict) -> None:
            self.body = json.dumps(body).encode()

    json_body_matcher(Req({"a": 1, "b": 2}), Req({"b": 2, "a": 1}))
    with pytest.raises(AssertionError, match="messages"):
        json_body_matcher(Req({"messages": [1]}), Req({"messages": [2]}))


def test_committed_cassettes_hold_no_secrets() -> None:
    """Every committed cassette is scanned for anything key-like (headers or tokens)."""
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert cassettes, "no cassettes committed"
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        match = KEY_LIKE.search(text)
        assert match is None, f"{path.name}: key-like string {match.group(0)!r}"


def test_key_scanner_catches_keys() -> None:
    for leaked in ("Authorization: Bearer abcdefghijk", "sk-proj-abcdefghijkl",
                   "    api-key: whatever"):
        assert KEY_LIKE.search(leaked), leaked


def test_scrub_drops_query_secrets_and_echoed_keys() -> None:
    from types import SimpleNamespace

    from extractor.backends.replay import scrub_request, scrub_response

    request = SimpleNamespace(headers={"Authorization": "Bearer x"},
                              uri="http://user:pw@127.0.0.1:8080/v1/chat?api_key=abc")
    scrub_request(request)
    assert request.uri == "http://127.0.0.1:8080/v1/chat" and request.headers == {}
    response = {"headers": {"Set-Cookie": "s"},
                "body": {"string": b'{"error": "bad key sk-live-123456"}'}}
    scrub_response(response, ["sk-live-123456"])
    assert b"sk-live" not in response["body"]["string"] and response["headers"] == {}
