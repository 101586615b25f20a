"""Shards: the per-worker SQLite databases of a Ray run, and merging them into one database.

A shard is an ordinary extractor database (``storage.open_db``: the project's migrations) under
the run's work folder, ``shard-NNN.db``, written by one worker only, plus a ``shard_meta`` row
with the shard's own id (a uuid made once), so the target database can tell shards apart even
when two work folders both hold a ``shard-000.db``.

``ingest`` copies, per shard, in one transaction of the target database:

* ``runs``: each shard run once (``ingested_runs`` maps it to its id here; a run ingested again
  has its counts and status updated, nothing added);
* ``llm_calls``, ``errors``, ``article_versions``: the rows after the last one copied
  (``ingest_marks``), with their run ids mapped;
* ``stage_results``: by their id (article, stage, key): one copy however often ingested;
* ``articles`` and their records: an article whose stored version differs from the target's
  (missing, another extraction key, or stored later) replaces the target's, rows and all; an
  article whose text the target already holds under another id becomes another source path of
  that article, as in a plain run.

Then the cross-article identities and places are rebuilt, as at the end of a run."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from extractor.errors import NotFoundError
from extractor.models import RECORD_TABLES
from extractor.store import storage
from extractor.store.identities import rebuild_identities
from extractor.store.migrations import REJECTED_TABLE
from extractor.store.places import rebuild_places
from extractor.text.articles import find_article_files

SHARD_GLOB = "shard-*.db"
META_TABLE = "shard_meta"
CHILD_TABLES = (*RECORD_TABLES, REJECTED_TABLE)
APPEND_TABLES = ("llm_calls", "errors", "article_versions")  # integer ids, append-only


def shard_path(workdir: Path, index: int) -> Path:
    return workdir / f"shard-{index:03d}.db"


def open_shard(path: Path) -> sqlite_utils.Database:
    """Open (creating) a shard: an extractor database with its own id in ``shard_meta``."""
    db = storage.open_db(path)
    if META_TABLE not in db.table_names():
        with storage.write(db):
            db[META_TABLE].insert({"id": uuid.uuid4().hex, "created": storage.now()},
                                  pk="id")
    return db


def shard_files(workdir: Path) -> list[Path]:
    return sorted(workdir.glob(SHARD_GLOB))


def stored_articles(workdir: Path) -> dict[str, str]:
    """article id -> extraction key over every shard of ``workdir`` (read-only), the latest
    stored version winning."""
    found: dict[str, tuple[str, str]] = {}
    for path in shard_files(workdir):
        try:
            conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
            rows = conn.execute("SELECT article_id, extraction_key, updated FROM articles")
            for article_id, key, updated in rows:
                if article_id not in found or (updated or "") > found[article_id][1]:
                    found[article_id] = (key or "", updated or "")
            conn.close()
        except sqlite3.Error:
            continue  # a shard being created: nothing stored in it yet
    return {article_id: key for article_id, (key, _) in found.items()}


@dataclass
class IngestSummary:
    shards: int = 0
    runs: int = 0
    articles: int = 0
    duplicates: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count


def _columns(db: sqlite_utils.Database, schema: str, table: str) -> list[str]:
    return [row[1] for row in db.conn.execute(f"PRAGMA {schema}.table_info([{table}])")]


def _shared_columns(db: sqlite_utils.Database, table: str, skip: Iterable[str] = ()) -> list[str]:
    """The shard table's columns, each added to the target table first when it lacks it
    (sqlite-utils adds columns to a record table as records need them)."""
    target = set(_columns(db, "main", table))
    names = []
    for name in _columns(db, "shard", table):
        if name in skip:
            continue
        if name not in target:
            db.conn.execute(f"ALTER TABLE main.[{table}] ADD COLUMN [{name}]")
        names.append(name)
    return names


def _map_runs(db: sqlite_utils.Database, shard: str, summary: IngestSummary) -> None:
    """Each shard run once in ``runs``; ``temp.run_map`` maps shard run ids to ours."""
    columns = _shared_columns(db, "runs", skip=("id",))
    known = {row[0]: row[1] for row in db.conn.execute(
        "SELECT shard_run_id, run_id FROM ingested_runs WHERE shard = ?", [shard])}
    names = ", ".join(f"[{c}]" for c in columns)
    for row in db.conn.execute(f"SELECT id, {names} FROM shard.runs ORDER BY id").fetchall():
        values = dict(zip(columns, row[1:], strict=True))
        if row[0] in known:
            sets = ", ".join(f"[{c}] = ?" for c in columns)
            db.conn.execute(f"UPDATE runs SET {sets} WHERE id = ?",
                            [*values.values(), known[row[0]]])
            continue
        marks = ", ".join("?" for _ in columns)
        cursor = db.conn.execute(f"INSERT INTO runs ({names}) VALUES ({marks})",
                                 list(values.values()))
        known[row[0]] = cursor.lastrowid
        db.conn.execute("INSERT INTO ingested_runs (shard, shard_run_id, run_id) VALUES (?, ?, ?)",
                        [shard, row[0], cursor.lastrowid])
        summary.runs += 1
    db.conn.execute("DROP TABLE IF EXISTS temp.run_map")
    db.conn.execute("CREATE TEMP TABLE run_map (shard_run_id INTEGER PRIMARY KEY, run_id INT)")
    db.conn.executemany("INSERT INTO temp.run_map VALUES (?, ?)", list(known.items()))


def _select(columns: list[str], alias: str = "s") -> str:
    """The shard's columns, with run_id mapped to ours."""
    return ", ".join("m.run_id" if c == "run_id" else f"{alias}.[{c}]" for c in columns)


def _append(db: sqlite_utils.Database, shard: str, table: str, summary: IngestSummary) -> None:
    """The rows added to an append-only shard table since the last ingest."""
    mark = db.conn.execute("SELECT last_id FROM ingest_marks WHERE shard = ? AND tbl = ?",
                           [shard, table]).fetchone()
    last = mark[0] if mark else 0
    columns = _shared_columns(db, table, skip=("id",))
    names = ", ".join(f"[{c}]" for c in columns)
    cursor = db.conn.execute(
        f"INSERT INTO main.[{table}] ({names}) SELECT {_select(columns)} FROM shard.[{table}] s "
        "JOIN temp.run_map m ON m.shard_run_id = s.run_id WHERE s.id > ? ORDER BY s.id", [last])
    summary.add(table, cursor.rowcount)
    top = db.conn.execute(f"SELECT max(id) FROM shard.[{table}]").fetchone()[0]
    if top is not None and top > last:
        db.conn.execute("INSERT OR REPLACE INTO ingest_marks (shard, tbl, last_id) "
                        "VALUES (?, ?, ?)", [shard, table, top])


def _stage_results(db: sqlite_utils.Database, summary: IngestSummary) -> None:
    columns = _shared_columns(db, "stage_results")
    names = ", ".join(f"[{c}]" for c in columns)
    cursor = db.conn.execute(
        f"INSERT OR IGNORE INTO main.stage_results ({names}) SELECT {_select(columns)} "
        "FROM shard.stage_results s LEFT JOIN temp.run_map m ON m.shard_run_id = s.run_id")
    summary.add("stage_results", cursor.rowcount)


def _articles(db: sqlite_utils.Database, summary: IngestSummary) -> None:
    """Articles the shard holds in another version than ours, with their records."""
    changed = db.conn.execute(
        "SELECT s.article_id, s.sha256, s.source_paths FROM shard.articles s "
        "LEFT JOIN main.articles t ON t.article_id = s.article_id "
        "WHERE t.article_id IS NULL OR t.extraction_key IS NOT s.extraction_key "
        "OR t.updated < s.updated").fetchall()
    if not changed:
        return
    take = []
    for article_id, sha, sources in changed:
        other = db.conn.execute("SELECT article_id, source_paths FROM main.articles "
                                "WHERE sha256 = ? AND article_id != ?",
                                [sha, article_id]).fetchone()
        if other is None:
            take.append(article_id)
            continue
        paths = json.loads(other[1] or "[]")  # the same text stored under another id
        paths += [p for p in json.loads(sources or "[]") if p not in paths]
        db.conn.execute("UPDATE main.articles SET source_paths = ? WHERE article_id = ?",
                        [json.dumps(paths, ensure_ascii=False), other[0]])
        summary.duplicates += 1
    db.conn.execute("DROP TABLE IF EXISTS temp.take")
    db.conn.execute("CREATE TEMP TABLE take (article_id TEXT PRIMARY KEY)")
    db.conn.executemany("INSERT INTO temp.take VALUES (?)", [(a,) for a in take])
    for table in CHILD_TABLES:
        db.conn.execute(f"DELETE FROM main.[{table}] WHERE article_id IN "
                        "(SELECT article_id FROM temp.take)")
    db.conn.execute("DELETE FROM main.articles WHERE article_id IN "
                    "(SELECT article_id FROM temp.take)")
    for table in ("articles", *CHILD_TABLES):
        columns = _shared_columns(db, table)
        names = ", ".join(f"[{c}]" for c in columns)
        cursor = db.conn.execute(
            f"INSERT INTO main.[{table}] ({names}) SELECT {_select(columns)} "
            f"FROM shard.[{table}] s JOIN temp.take k ON k.article_id = s.article_id "
            "LEFT JOIN temp.run_map m ON m.shard_run_id = s.run_id")
        summary.add(table, cursor.rowcount)
    summary.articles += len(take)


def ingest_shard(db: sqlite_utils.Database, path: Path, summary: IngestSummary) -> None:
    """Merge one shard into ``db`` in one transaction."""
    db.conn.execute("ATTACH DATABASE ? AS shard", [str(path.resolve())])
    try:
        tables = {row[0] for row in db.conn.execute(
            "SELECT name FROM shard.sqlite_master WHERE type = 'table'")}
        if META_TABLE not in tables or "articles" not in tables:
            raise NotFoundError(f"{path} is not a shard of a Ray run (no {META_TABLE} table)")
        shard = db.conn.execute(f"SELECT id FROM shard.{META_TABLE}").fetchone()[0]
        with storage.write(db):
            _map_runs(db, shard, summary)
            for table in APPEND_TABLES:
                _append(db, shard, table, summary)
            _stage_results(db, summary)
            _articles(db, summary)
        summary.shards += 1
    finally:
        db.conn.execute("DETACH DATABASE shard")


def ingest(db: sqlite_utils.Database, workdir: Path) -> IngestSummary:
    """Merge every shard of ``workdir`` into ``db`` (idempotent), then rebuild identities and
    places."""
    paths = shard_files(workdir)
    if not paths:
        raise NotFoundError(f"no shards ({SHARD_GLOB}) in {workdir}")
    db.conn.execute("PRAGMA foreign_keys = OFF")  # rows come whole from consistent shards
    summary = IngestSummary()
    try:
        for path in paths:
            ingest_shard(db, path, summary)
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")
    if summary.articles or summary.duplicates:
        rebuild_identities(db)
        rebuild_places(db)
    return summary


# -- verify -----------------------------------------------------------------------------------
def verify(db: sqlite_utils.Database, paths: Iterable[Path]) -> list[dict]:
    """One row per input article: ``stored``, ``duplicate`` (its text is stored under another
    id), ``failed`` (its latest error) or ``missing``."""
    stored = {row["article_id"]: json.loads(row["source_paths"] or "[]")
              for row in db.query("SELECT article_id, source_paths FROM articles")}
    by_path = {p: article_id for article_id, sources in stored.items() for p in sources}
    errors = {row["article_id"]: row for row in db.query(
        "SELECT article_id, stage, message FROM errors WHERE id IN "
        "(SELECT max(id) FROM errors GROUP BY article_id)")}
    rows = []
    for path in find_article_files(list(paths)):
        article_id = path.stem
        if article_id in stored:
            rows.append({"article_id": article_id, "state": "stored", "detail": ""})
        elif (other := by_path.get(str(path.resolve()))) is not None:
            rows.append({"article_id": article_id, "state": "duplicate",
                         "detail": f"same text as {other}"})
        elif article_id in errors:
            error = errors[article_id]
            rows.append({"article_id": article_id, "state": "failed",
                         "detail": f"{error['stage']}: {error['message']}"[:300]})
        else:
            rows.append({"article_id": article_id, "state": "missing", "detail": str(path)})
    return rows
