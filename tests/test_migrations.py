"""Numbered migrations: a database made by an older version opens, upgrades in place and loses
no row; its stored stage results are reused without a call."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from extractor.cli import cli
from extractor.store import storage
from extractor.store.migrations import MIGRATIONS, MIGRATIONS_TABLE, migrate
from tests.conftest import CASSETTES, ROOT, SEEDS

# made by main at 301ca02 (before migrations existed): the seeds replayed, then `extractor eval`
OLD_DATABASE = ROOT / "tests" / "data" / "databases" / "made-by-301ca02.db"


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%'")]
        return {name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]
                for name in names}


def test_migration_names_are_numbered_in_order() -> None:
    names = [function.__name__ for function in MIGRATIONS]
    assert names == sorted(names) and all(name[0] == "m" and name[1:4].isdigit() for name in names)
    assert len({name[:4] for name in names}) == len(names)


def test_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    db = storage.open_db(tmp_path / "new.db")
    applied = [row["name"] for row in db[MIGRATIONS_TABLE].rows]
    assert applied == [function.__name__ for function in MIGRATIONS]
    assert migrate(db) == []  # nothing left to apply
    assert {"runs", "articles", "stage_results", "llm_calls", *storage.RECORD_TABLES} <= set(
        db.table_names())


def test_database_from_an_older_version_upgrades_without_losing_a_row(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, old)
    before = _counts(old)
    assert MIGRATIONS_TABLE not in before and before["targets"] > 0 and before["evals"] == 1
    storage.open_db(old).close()
    after = _counts(old)
    assert after.pop(MIGRATIONS_TABLE) == len(MIGRATIONS)
    for new_table in ("places", "ingested_runs", "ingest_marks", "llm_batches",
                      "llm_batch_requests"):
        assert after.pop(new_table) == 0  # new tables start empty
    assert after == before


def test_upgraded_database_recomputes_changed_stages_then_reuses_them(tmp_path: Path) -> None:
    """The prompts and answer schemas changed since 301ca02, so its stage results are stale:
    the upgraded database recomputes every stage once (from the recording), gives the records
    a fresh database gets, and a re-run then reuses everything."""
    old = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, old)
    no_recordings = tmp_path / "no-cassettes"
    no_recordings.mkdir()
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(SEEDS), "--replay", str(CASSETTES), "--db", str(old)])
    assert result.exit_code == 0, result.output
    fresh = tmp_path / "fresh.db"
    assert runner.invoke(cli, ["run", str(SEEDS), "--replay", str(CASSETTES),
                               "--db", str(fresh)]).exit_code == 0
    exported = [runner.invoke(cli, ["export", "--db", str(path)]).output for path in (old, fresh)]
    assert exported[0] == exported[1] and exported[0].count("\n") == len(list(SEEDS.glob("*.txt")))
    again = runner.invoke(cli, ["run", str(SEEDS), "--replay", str(no_recordings),
                                "--db", str(old)])
    assert again.exit_code == 0, again.output  # any call would be a replay miss
    with sqlite3.connect(old) as conn:
        calls = [conn.execute("SELECT count(*) FROM llm_calls WHERE run_id = ?",
                              (run_id,)).fetchone()[0]
                 for (run_id,) in conn.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 2")]
    assert calls[0] == 0 and calls[1] == 5 * len(list(SEEDS.glob("*.txt")))
