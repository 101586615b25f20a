"""SQLite storage (sqlite-utils): articles, extracted records, runs, LLM calls and errors.

Each article's rows are replaced in one transaction, so a killed run never leaves half an
article and re-running never duplicates rows.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from extractor.errors import StorageError
from extractor.models import RECORD_TABLES, CallRecord
from extractor.store.migrations import REJECTED_TABLE, migrate

BUSY_TIMEOUT_MS = 30_000


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE), so a
    second process waits for the busy timeout instead of failing on a lock upgrade. Inside an
    open transaction it joins that one (the outer block commits or rolls back everything)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


_KNOWN_COLUMNS: weakref.WeakKeyDictionary[sqlite_utils.Database, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary())


def _table_columns(db: sqlite_utils.Database, table: str) -> frozenset[str]:
    """The table's columns (empty for a missing table), read once per connection."""
    known = _KNOWN_COLUMNS.setdefault(db, {})
    if table not in known:
        columns = frozenset(column.name for column in db[table].columns)
        if not columns:
            return columns
        known[table] = columns
    return known[table]


def _sql_value(value: Any) -> Any:
    """A value as SQLite stores it: lists, tuples and dicts as JSON."""
    return _json(value) if isinstance(value, dict | list | tuple) else value


def insert_rows(db: sqlite_utils.Database, table: str, rows: Sequence[dict], *,
                pk: str = "id", replace: bool = False) -> None:
    """Insert (or, with ``replace``, insert or replace) rows: one prepared statement for rows
    whose columns the table has; sqlite-utils' ``insert_all``, which adds the missing columns,
    only for a table that lacks one (sqlite-utils reads the table's schema on every call:
    a dozen statements per insert on the writer's hot path)."""
    if not rows:
        return
    columns = _table_columns(db, table)
    if not columns or any(not columns.issuperset(row) for row in rows):
        db[table].insert_all(rows, pk=pk, alter=True, replace=replace)
        _KNOWN_COLUMNS.get(db, {}).pop(table, None)
        return
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    for keys, group in itertools.groupby(rows, key=lambda row: tuple(row)):
        names = ", ".join(f"[{key}]" for key in keys)
        marks = ", ".join("?" for _ in keys)
        db.conn.executemany(f"{verb} INTO [{table}] ({names}) VALUES ({marks})",
                            [tuple(_sql_value(row[key]) for key in keys) for row in group])


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def open_db(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) a database with WAL, a busy timeout and foreign keys."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise StorageError(f"database folder does not exist: {path.parent}")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if db.journal_mode != "wal":
            db.enable_wal()
        # WAL + NORMAL: a commit survives a crash or kill of the process (not a power cut of
        # the machine, which may lose the last commits but never corrupts); saves an fsync each
        conn.execute("PRAGMA synchronous = NORMAL")
        with write(db):
            migrate(db)
    except sqlite3.DatabaseError as err:
        raise StorageError(f"{path}: cannot use database ({err})") from err
    return db


# -- runs -----------------------------------------------------------------------------------
def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_dead_runs(db: sqlite_utils.Database) -> int:
    """Runs left `running` by a process that no longer exists (kill -9, power loss) on this
    host become `killed`; returns how many."""
    host = socket.gethostname()
    dead = [row["id"] for row in db.query(
        "SELECT id, pid, host FROM runs WHERE status = 'running'")
        if row.get("host") == host and not _process_alive(row.get("pid"))]
    if dead:
        with write(db):
            for run_id in dead:
                db["runs"].update(run_id, {"status": "killed"})
    return len(dead)


def start_run(db: sqlite_utils.Database, **fields: Any) -> int:
    mark_dead_runs(db)
    row = {"started": now(), "status": "running", "pid": os.getpid(),
           "host": socket.gethostname(), **fields}
    for key in ("prompt_hashes",):
        if isinstance(row.get(key), dict):
            row[key] = _json(row[key])
    with write(db):
        return int(db["runs"].insert(row, alter=True).last_pk)


def finish_run(db: sqlite_utils.Database, run_id: int, **fields: Any) -> None:
    row = {"finished": now(), **fields}
    if isinstance(row.get("record_counts"), dict):
        row["record_counts"] = _json(row["record_counts"])
    with write(db):
        db["runs"].update(run_id, row)


def record_call(db: sqlite_utils.Database, run_id: int, call: CallRecord) -> None:
    with write(db):
        insert_rows(db, "llm_calls", [{"run_id": run_id, **call.__dict__}])


def record_error(
    db: sqlite_utils.Database, run_id: int, *, article_id: str | None, path: str | None,
    stage: str, error_type: str, message: str,
) -> None:
    with write(db):
        db["errors"].insert(
            {
                "run_id": run_id, "article_id": article_id, "path": path, "stage": stage,
                "error_type": error_type, "message": message, "created": now(),
            }
        )


# -- articles -------------------------------------------------------------------------------
def _record_row(article_id: str, table: str, position: int, run_id: int, record: dict) -> dict:
    row = {"id": f"{article_id}:{table}:{position}", "article_id": article_id, "run_id": run_id,
           "position": position}
    for key, value in record.items():
        row[key] = _sql_value(value)
    return row


def _rejected_row(article_id: str, position: int, run_id: int, record: dict) -> dict:
    table = record.get("table", "")
    body = {k: v for k, v in record.items() if k != "table"}
    return {"id": f"{article_id}:rejected:{position}", "article_id": article_id,
            "run_id": run_id, "position": position, "record_table": table,
            "reasons": _json(record.get("flags") or []), "source": record.get("source"),
            "evidence": record.get("evidence"), "record": _json(body)}


def save_article(
    db: sqlite_utils.Database, run_id: int, article: dict, records: dict[str, list[dict]]
) -> None:
    """Replace one article and all its records atomically."""
    article_id = article["article_id"]
    with write(db):
        for table in (*RECORD_TABLES, REJECTED_TABLE):
            db.execute(f"DELETE FROM [{table}] WHERE article_id = ?", [article_id])
        db["articles"].upsert({**article, "run_id": run_id, "updated": now()}, pk="article_id",
                              alter=True)
        for table in RECORD_TABLES:
            rows = [
                _record_row(article_id, table, position, run_id, record)
                for position, record in enumerate(records.get(table, []))
            ]
            insert_rows(db, table, rows)
        insert_rows(db, REJECTED_TABLE, [
            _rejected_row(article_id, position, run_id, record)
            for position, record in enumerate(records.get("rejected", []))])
        insert_rows(db, "article_versions", [
            {"article_id": article_id, "run_id": run_id, "created": now(),
             "extraction_key": article.get("extraction_key"),
             "title": article.get("title"), "place": article.get("place"),
             "records": _json(records)}])


def add_source_path(db: sqlite_utils.Database, article_id: str, path: str) -> None:
    """Remember another file name for an article already stored (duplicate content)."""
    row = db["articles"].get(article_id)
    paths = json.loads(row.get("source_paths") or "[]")
    if path not in paths:
        paths.append(path)
        with write(db):
            db["articles"].update(article_id, {"source_paths": _json(paths)})


def stored_key(db: sqlite_utils.Database, article_id: str) -> str | None:
    rows = list(db.query("SELECT extraction_key FROM articles WHERE article_id = ?", [article_id]))
    return rows[0]["extraction_key"] if rows else None


def article_by_sha(db: sqlite_utils.Database, sha256: str) -> str | None:
    rows = list(db.query("SELECT article_id FROM articles WHERE sha256 = ?", [sha256]))
    return rows[0]["article_id"] if rows else None


def load_records(db: sqlite_utils.Database, table: str, article_id: str) -> list[dict]:
    return list(
        db.query(f"SELECT * FROM [{table}] WHERE article_id = ? ORDER BY position", [article_id])
    )


def iter_articles(db: sqlite_utils.Database) -> Iterable[dict]:
    yield from db.query("SELECT * FROM articles ORDER BY article_id")


def stored_source_files(db: sqlite_utils.Database) -> tuple[list[Path], dict[str, list[str]]]:
    """Per stored article, the first of its source files that still exists; and the articles
    none of whose files exist (paths stored relative, by older versions, are tried as they
    are: relative to the current folder)."""
    files: list[Path] = []
    missing: dict[str, list[str]] = {}
    for row in db.query("SELECT article_id, source_paths FROM articles ORDER BY article_id"):
        sources = json.loads(row["source_paths"] or "[]")
        found = next((Path(p) for p in sources if Path(p).is_file()), None)
        if found is None:
            missing[row["article_id"]] = sources
        else:
            files.append(found)
    return files, missing


def run_exists(db: sqlite_utils.Database, run_id: int) -> bool:
    return bool(list(db.query("SELECT 1 FROM runs WHERE id = ?", [run_id])))


def record_eval(db: sqlite_utils.Database, gold_set: str, scores: dict) -> int:
    """Store one evaluation, attached to the latest run."""
    latest = list(db.query("SELECT max(id) AS id FROM runs"))
    micro = scores.get("micro", {})
    row = {
        "run_id": latest[0]["id"] if latest else None, "gold_set": gold_set, "created": now(),
        "micro_f1": micro.get("f1"), "micro_precision": micro.get("precision"),
        "micro_recall": micro.get("recall"), "scores": _json(scores),
    }
    for record_type in RECORD_TABLES:  # the columns migration m004_evals made
        row[f"{record_type}_f1"] = (scores.get("per_type", {}).get(record_type) or {}).get("f1")
    with write(db):
        return int(db["evals"].insert(row).last_pk)
