from __future__ import annotations

import instructor
import pytest

from extractor.config import LOCAL_MODEL_NAME, ConfigError, Settings, choose_mode, redact_url


def test_defaults_use_embedded_model() -> None:
    settings = Settings.load()
    assert settings.embedded
    assert settings.model == LOCAL_MODEL_NAME
    assert settings.mode is instructor.Mode.JSON_SCHEMA
    assert settings.base_url is None


def test_compact_json_is_on_for_the_embedded_model_and_asked_for_a_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().compact_json
    url = "http://127.0.0.1:9/v1"
    assert not Settings.load(base_url=url, model="m").compact_json
    monkeypatch.setenv("EXTRACTOR_COMPACT_JSON", "1")
    assert Settings.load(base_url=url, model="m").compact_json
    monkeypatch.setenv("EXTRACTOR_COMPACT_JSON", "0")
    assert not Settings.load().compact_json
    monkeypatch.setenv("EXTRACTOR_COMPACT_JSON", "yes")
    with pytest.raises(ConfigError, match="EXTRACTOR_COMPACT_JSON"):
        Settings.load()


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_BASE_URL", "http://localhost:8000/v1")
    monkeypatch.setenv("EXTRACTOR_MODEL", "qwen2.5-7b")
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-test-123")
    settings = Settings.load()
    assert not settings.embedded
    assert (settings.base_url, settings.model, settings.api_key) == (
        "http://localhost:8000/v1", "qwen2.5-7b", "sk-test-123")
    assert "sk-test" not in repr(settings)


def test_options_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODEL", "env-model")
    settings = Settings.load(model="cli-model", base_url="http://127.0.0.1:9/v1")
    assert settings.model == "cli-model"


def test_openai_key_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert Settings.load().api_key == "sk-openai"
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-extractor")
    assert Settings.load().api_key == "sk-extractor"


def test_base_url_requires_model() -> None:
    with pytest.raises(ConfigError, match="--model"):
        Settings.load(base_url="http://localhost:8000/v1")


def test_bad_scheme_is_refused_without_leaking_secrets() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.load(base_url="ftp://user:hunter2@host/v1", model="m")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:secret@api.example.com:8443/v1?key=abc", "https://api.example.com:8443/v1"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        (None, None),
    ],
)
def test_redact_url(url: str | None, expected: str | None) -> None:
    assert redact_url(url) == expected


def test_mode_per_backend() -> None:
    assert choose_mode("https://api.openai.com/v1") is instructor.Mode.TOOLS
    assert choose_mode("http://localhost:8080/v1") is instructor.Mode.JSON_SCHEMA
    assert choose_mode(None) is instructor.Mode.JSON_SCHEMA
    assert choose_mode("http://x/v1", "tools") is instructor.Mode.TOOLS
    with pytest.raises(ConfigError):
        choose_mode(None, "nonsense")


def test_cpu_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().cpu_workers is None  # unset: one per spare core when concurrent
    monkeypatch.setenv("EXTRACTOR_CPU_WORKERS", "0")
    assert Settings.load().cpu_workers == 0
    monkeypatch.setenv("EXTRACTOR_CPU_WORKERS", "3")
    assert Settings.load().cpu_workers == 3
    monkeypatch.setenv("EXTRACTOR_CPU_WORKERS", "-1")
    with pytest.raises(ConfigError, match="EXTRACTOR_CPU_WORKERS must be a whole number"):
        Settings.load()
