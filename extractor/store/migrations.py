"""Numbered schema migrations, as llm does: each function runs once per database, in order,
and is recorded in ``_migrations``, so a database made by an older version opens and upgrades
in place without losing a row. Add a change as a new function at the end; never edit one that
has shipped.

Databases made before this table existed have some of the tables already: the first
migrations create only what is missing, then record themselves as applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from extractor.models import CONTRACT_FIELDS, RECORD_TABLES

REJECTED_TABLE = "rejected_records"  # model/rule records kept out of RECORD_TABLES, with reasons
# record table -> (column linking to the cross-article identity, identity table)
IDENTITY_COLUMNS = {
    "officials": ("person_id", "people"),
    "initiatives": ("programme_id", "programmes"),
}
MIGRATIONS_TABLE = "_migrations"
Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration this database has not had yet; returns their names."""
    if MIGRATIONS_TABLE not in db.table_names():
        db[MIGRATIONS_TABLE].create({"name": str, "applied": str}, pk="name")
    done = {row["name"] for row in db[MIGRATIONS_TABLE].rows}
    applied = []
    for function in MIGRATIONS:
        if function.__name__ not in done:
            function(db)
            applied_at = datetime.now(UTC).isoformat(timespec="seconds")
            db[MIGRATIONS_TABLE].insert({"name": function.__name__, "applied": applied_at})
            applied.append(function.__name__)
    return applied


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    """Runs, articles (with full-text search), identities, record tables with their trusted
    views, LLM calls, article versions, rejected records and errors."""
    if "runs" not in db.table_names():
        db["runs"].create(
            {
                "id": int, "started": str, "finished": str, "status": str, "command": str,
                "model": str, "base_url": str, "mode": str, "prompt_hashes": str,
                "schema_hash": str, "articles_done": int, "articles_skipped": int,
                "articles_failed": int, "record_counts": str, "prompt_tokens": int,
                "completion_tokens": int, "llm_calls": int, "grounding_rate": float,
                "seconds": float, "stages_computed": str, "stages_reused": str,
                "pid": int, "host": str,
            },
            pk="id",
        )
    if "articles" not in db.table_names():
        db["articles"].create(
            {
                "article_id": str, "title": str, "headline": str, "published": str,
                "place": str, "text": str, "repaired_text": str, "sha256": str,
                "source_paths": str, "extraction_key": str, "run_id": int, "updated": str,
            },
            pk="article_id",
            foreign_keys=[("run_id", "runs", "id")],
        )
        db["articles"].create_index(["sha256"])
        db["articles"].enable_fts(["title", "text", "repaired_text"], create_triggers=True)
    for table in ("people", "programmes"):
        if table not in db.table_names():
            db[table].create({"id": str, "name": str, "mentions": str, "article_count": int},
                             pk="id")
    for table in RECORD_TABLES:
        if table not in db.table_names():
            columns = {
                "id": str, "article_id": str, "run_id": int, "position": int,
                "char_start": int, "char_end": int, "alignment": str,
                "matched_text": str, "flags": str,
            }
            for name in CONTRACT_FIELDS[table]:
                columns[name] = float if name == "value" else str
            if table in {"officials", "initiatives"}:
                columns.update({"mention_spans": str, "merged_from": int})
            keys = [("article_id", "articles", "article_id"), ("run_id", "runs", "id")]
            if table in IDENTITY_COLUMNS:
                column, target = IDENTITY_COLUMNS[table]
                columns[column] = str
                keys.append((column, target, "id"))
            db[table].create(columns, pk="id", foreign_keys=keys)
            db[table].create_index(["article_id"])
        db.execute(
            f"CREATE VIEW IF NOT EXISTS [trusted_{table}] AS SELECT * FROM [{table}] "
            "WHERE alignment IN ('exact', 'normalized', 'fuzzy') AND flags = '[]'"
        )
    if "llm_calls" not in db.table_names():
        db["llm_calls"].create(
            {
                "id": int, "run_id": int, "article_id": str, "stage": str, "model": str,
                "attempt": int, "status": str, "started": str, "latency_ms": float,
                "prompt_tokens": int, "completion_tokens": int,
                "prompt_tokens_processed": int, "server_ms": float, "error_type": str,
                "error": str, "response_text": str,
            },
            pk="id",
            foreign_keys=[("run_id", "runs", "id")],
        )
        db["llm_calls"].create_index(["run_id"])
    if "article_versions" not in db.table_names():
        db["article_versions"].create(
            {"id": int, "article_id": str, "run_id": int, "created": str,
             "extraction_key": str, "title": str, "place": str, "records": str},
            pk="id", foreign_keys=[("run_id", "runs", "id")],
        )
        db["article_versions"].create_index(["article_id", "run_id"])
    if REJECTED_TABLE not in db.table_names():
        db[REJECTED_TABLE].create(
            {"id": str, "article_id": str, "run_id": int, "position": int, "record_table": str,
             "reasons": str, "source": str, "evidence": str, "record": str},
            pk="id", foreign_keys=[("article_id", "articles", "article_id"),
                                   ("run_id", "runs", "id")],
        )
        db[REJECTED_TABLE].create_index(["article_id"])
    if "errors" not in db.table_names():
        db["errors"].create(
            {
                "id": int, "run_id": int, "article_id": str, "path": str, "stage": str,
                "error_type": str, "message": str, "created": str,
            },
            pk="id",
            foreign_keys=[("run_id", "runs", "id")],
        )


@migration
def m002_llm_calls_server_ms(db: sqlite_utils.Database) -> None:
    """The server's own time per call (llama.cpp timings)."""
    if "server_ms" not in db["llm_calls"].columns_dict:
        db["llm_calls"].add_column("server_ms", float)


@migration
def m003_stage_results(db: sqlite_utils.Database) -> None:
    """The stage cache: one stored result per article, stage and key."""
    if "stage_results" not in db.table_names():
        db["stage_results"].create(
            {"id": str, "article_id": str, "stage": str, "key": str, "inputs": str,
             "run_id": int, "output": str, "created": str},
            pk="id", foreign_keys=[("run_id", "runs", "id")],
        )
        db["stage_results"].create_index(["article_id", "stage"])


@migration
def m004_evals(db: sqlite_utils.Database) -> None:
    """Stored scores: micro precision, recall and F1, an F1 per record type, all scores (JSON).
    Older versions created the table on the first `extractor eval`, with the same columns."""
    columns: dict[str, type] = {
        "id": int, "run_id": int, "gold_set": str, "created": str, "micro_f1": float,
        "micro_precision": float, "micro_recall": float, "scores": str,
        **{f"{table}_f1": float for table in RECORD_TABLES}}
    if "evals" not in db.table_names():
        db["evals"].create(columns, pk="id", foreign_keys=[("run_id", "runs", "id")])
        return
    present = db["evals"].columns_dict
    for name, kind in columns.items():
        if name not in present:
            db["evals"].add_column(name, kind)


@migration
def m005_target_figures(db: sqlite_utils.Database) -> None:
    """Normalised figures of targets: value in base units, unit family, year, deadline."""
    present = db["targets"].columns_dict
    for name, kind in (("value_base", float), ("unit_family", str), ("year", int),
                       ("by_deadline", int)):
        if name not in present:
            db["targets"].add_column(name, kind)
    db["targets"].create_index(["unit_family", "year"], if_not_exists=True)


# The columns an analyst reads first, per record table; the rest follow in stored order.
ANALYST_COLUMNS = {
    "meetings": ("name", "kind", "date", "place", "organizer", "chaired_by", "speakers"),
    "officials": ("name", "title", "organization", "role", "mentions"),
    "initiatives": ("name", "level", "period", "description", "mentions"),
    "targets": ("metric", "value", "unit", "value_base", "unit_family", "year", "by_deadline",
                "period", "region", "kind", "comparator", "initiative"),
    "repairs": ("original", "repaired", "category", "note"),
}
READING_COLUMNS = ("evidence", "article_id", "flags", "source", "alignment")


@migration
def m006_analyst_columns_first(db: sqlite_utils.Database) -> None:
    """Record tables laid out for reading: the record's own fields first, then its evidence,
    article and flags; bookkeeping columns (ids, offsets, runs) last. Rows are kept."""
    for table, first in ANALYST_COLUMNS.items():
        present = list(db[table].columns_dict)
        order = [name for name in (*first, *READING_COLUMNS) if name in present]
        order += [name for name in present if name not in order]
        if order != present:
            db[table].transform(column_order=order)


@migration
def m007_places(db: sqlite_utils.Database) -> None:
    """Places (province, city, district) shared by articles and targets."""
    if "places" not in db.table_names():
        db["places"].create({"id": str, "name": str, "level": str, "city": str,
                             "province": str}, pk="id")
    if "place_id" not in db["articles"].columns_dict:
        db["articles"].add_column("place_id", str)
    for name in ("place_id", "place_source"):
        if name not in db["targets"].columns_dict:
            db["targets"].add_column(name, str)
    db["targets"].create_index(["place_id"], if_not_exists=True)


@migration
def m008_ingested_shards(db: sqlite_utils.Database) -> None:
    """What `extractor ingest` has merged from each shard (the per-worker databases of a Ray
    run): each shard run's row here, and the last llm_calls, errors and article_versions row
    copied, so re-ingesting a shard adds nothing twice."""
    if "ingested_runs" not in db.table_names():
        db["ingested_runs"].create({"shard": str, "shard_run_id": int, "run_id": int},
                                   pk=("shard", "shard_run_id"),
                                   foreign_keys=[("run_id", "runs", "id")])
    if "ingest_marks" not in db.table_names():
        db["ingest_marks"].create({"shard": str, "tbl": str, "last_id": int},
                                  pk=("shard", "tbl"))


@migration
def m009_llm_batches(db: sqlite_utils.Database) -> None:
    """Jobs sent to an OpenAI-format Batch API (`extractor batch`) and their requests, one per
    stage of an article part, by ``custom_id``."""
    if "llm_batches" not in db.table_names():
        db["llm_batches"].create(
            {"id": str, "run_id": int, "created": str, "base_url": str, "model": str,
             "status": str, "input_file_id": str, "output_file_id": str,
             "error_file_id": str, "requests": int, "request_counts": str,
             "collected": str},
            pk="id", foreign_keys=[("run_id", "runs", "id")])
    if "llm_batch_requests" not in db.table_names():
        db["llm_batch_requests"].create(
            {"custom_id": str, "batch_id": str, "article_id": str, "path": str, "part": int,
             "stage": str, "key": str, "inputs": str, "status": str, "error": str},
            pk="custom_id", foreign_keys=[("batch_id", "llm_batches", "id")])
        db["llm_batch_requests"].create_index(["batch_id"])
        db["llm_batch_requests"].create_index(["article_id", "stage"])


@migration
def m010_llm_calls_server_split(db: sqlite_utils.Database) -> None:
    """The server's time per call split into reading the prompt and generating (llama.cpp
    timings.prompt_ms and predicted_ms), so a run can be reported against its limit."""
    for column in ("server_prompt_ms", "server_generation_ms"):
        if column not in db["llm_calls"].columns_dict:
            db["llm_calls"].add_column(column, float)

