"""open_backend: replay, a remote/self-hosted URL, or the embedded server for one block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from extractor.backends import selection as backend
from extractor.backends.replay import REPLAY_BASE_URL
from extractor.backends.selection import open_backend
from extractor.config import Settings


@dataclass
class FakeServer:
    base_url: str


@pytest.fixture
def server_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the embedded server with a recorder; returns the list of lifecycle events."""
    calls: list[str] = []

    @contextmanager
    def fake_running_server(echo) -> Iterator[FakeServer]:
        calls.append("start")
        echo("fake server starting")
        try:
            yield FakeServer(base_url="http://127.0.0.1:54321/v1")
        finally:
            calls.append("stop")

    monkeypatch.setattr(backend, "running_server", fake_running_server)
    return calls


def test_replay_uses_replay_url_without_a_server(server_calls: list[str]) -> None:
    messages: list[str] = []
    settings = Settings.load()
    assert settings.embedded  # replay must win over the embedded server
    with open_backend(settings, replay=True, echo=messages.append) as url:
        assert url == REPLAY_BASE_URL
    assert server_calls == []
    assert len(messages) == 1
    assert "replay" in messages[0].lower()
    assert settings.model in messages[0]


def test_replay_keeps_configured_base_url(server_calls: list[str]) -> None:
    messages: list[str] = []
    settings = Settings.load(base_url="http://127.0.0.1:8123/v1", model="recorded-model")
    with open_backend(settings, replay=True, echo=messages.append) as url:
        assert url == "http://127.0.0.1:8123/v1"
    assert server_calls == []
    assert "replay" in messages[0].lower()
    assert "recorded-model" in messages[0]


def test_remote_url_is_used_and_announced(server_calls: list[str]) -> None:
    messages: list[str] = []
    settings = Settings.load(base_url="http://127.0.0.1:9/v1", model="remote-model-x")
    with open_backend(settings, replay=False, echo=messages.append) as url:
        assert url == "http://127.0.0.1:9/v1"
    assert server_calls == []
    assert len(messages) == 1
    assert "remote-model-x" in messages[0]
    assert "http://127.0.0.1:9/v1" in messages[0]
    assert "JSON_SCHEMA" in messages[0]


def test_openai_url_announces_tools_mode(server_calls: list[str]) -> None:
    messages: list[str] = []
    settings = Settings.load(base_url="https://api.openai.com/v1", model="gpt-4o-mini")
    with open_backend(settings, replay=False, echo=messages.append) as url:
        assert url == "https://api.openai.com/v1"
    assert "TOOLS" in messages[0]
    assert "JSON_SCHEMA" not in messages[0]


def test_remote_message_hides_api_key_and_url_credentials(
    monkeypatch: pytest.MonkeyPatch, server_calls: list[str]
) -> None:
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-very-secret-key-123")
    secret_url = "http://user:pw@127.0.0.1:9/v1?token=abc"
    settings = Settings.load(base_url=secret_url, model="remote-model-x")
    assert settings.api_key == "sk-very-secret-key-123"
    messages: list[str] = []
    with open_backend(settings, replay=False, echo=messages.append) as url:
        assert url == secret_url  # the client still needs the credentials
    text = "\n".join(messages)
    assert "remote-model-x" in text
    assert "127.0.0.1:9/v1" in text
    for secret in ("sk-very-secret-key-123", "pw", "abc", "user", "token"):
        assert secret not in text


def test_replay_message_hides_api_key_and_url_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-very-secret-key-123")
    settings = Settings.load(base_url="http://user:pw@127.0.0.1:9/v1?token=abc", model="m1")
    messages: list[str] = []
    with open_backend(settings, replay=True, echo=messages.append):
        pass
    text = "\n".join(messages)
    for secret in ("sk-very-secret-key-123", "pw", "abc"):
        assert secret not in text


def test_embedded_runs_server_for_the_block(server_calls: list[str]) -> None:
    messages: list[str] = []
    with open_backend(Settings.load(), replay=False, echo=messages.append) as url:
        assert url == "http://127.0.0.1:54321/v1"
        assert server_calls == ["start"]
    assert server_calls == ["start", "stop"]
    assert messages == ["fake server starting"]  # the echo callback is handed to the server


def test_embedded_server_stopped_when_block_raises(server_calls: list[str]) -> None:
    with pytest.raises(KeyboardInterrupt), open_backend(
        Settings.load(), replay=False, echo=lambda message: None
    ):
        raise KeyboardInterrupt
    assert server_calls == ["start", "stop"]
