"""Shared fixtures: isolated database, settings and environment per test."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from extractor.config import Settings
from extractor.store import storage

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CASSETTES = ROOT / "cassettes"
PROMPTS = ROOT / "extractor" / "prompts"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's model settings or cache."""
    for name in ("EXTRACTOR_MODEL", "EXTRACTOR_BASE_URL", "EXTRACTOR_API_KEY", "OPENAI_API_KEY",
                 "EXTRACTOR_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def db(db_path: Path):
    database = storage.open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def settings() -> Settings:
    return Settings.load()


def articles_stored(db_path: Path) -> int:
    """Articles stored so far in a database another process is writing (0 if unreadable)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True,
                                                timeout=1)) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def invoke(*args: str):
    """Run the ``extractor`` command in process (exceptions propagate)."""
    from click.testing import CliRunner

    from extractor.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def exported(db_path: Path) -> list[dict]:
    """The database's export, one dict per article."""
    import json

    from extractor.store.export import to_jsonl

    db = storage.open_db(db_path)
    try:
        return [json.loads(line) for line in to_jsonl(db)]
    finally:
        db.close()

