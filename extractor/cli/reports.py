"""Reporting commands: status, tokens, diff, export, schemas, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from extractor.cli import cli, cli_errors, db_option, open_existing_db
from extractor.cli.output import emit, output_options
from extractor.config import Settings
from extractor.errors import EvaluationError, NotFoundError
from extractor.store import storage


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--model", help="Model name (env EXTRACTOR_MODEL).")
@output_options
@cli_errors
def status(paths: tuple[Path, ...], db_path: Path, model: str | None, fmt: str | None) -> None:
    """Show, per article and stage, whether stored results are up to date.

    States: up to date, stale (with the inputs that changed: a prompt file, the model,
    the schema, or the repair stage it reads), failed, never run. Without PATHS, the
    files the database's articles were read from (a file no longer there is listed).

    \b
    Example:
      extractor status seeds --db extract.db
      extractor status --db extract.db --csv
    """
    from extractor.pipeline.batch import selected_files
    from extractor.pipeline.history import stage_status

    settings = Settings.load(model=model)
    db = open_existing_db(db_path)
    rows: list[dict[str, Any]] = []
    if paths:
        files = selected_files(paths, frozenset())
    else:
        files, missing = storage.stored_source_files(db)
        rows += [{"article": article_id, "stage": "read", "state": "file missing",
                  "why": ", ".join(sources)} for article_id, sources in missing.items()]
    rows += [{"article": row.article_id, "stage": row.stage, "state": row.state,
              "why": row.reason}
             for row in stage_status(db, files, settings)]
    emit(rows, fmt, title=f"Stage status in {db_path}", columns=("article", "stage", "state",
                                                                  "why"))


@cli.command()
@db_option
@click.option("--run", "run_id", type=int, help="Run id (default: the latest run with calls).")
@click.option("--per-article", is_flag=True,
              help="List every article's tokens per stage instead of the totals per stage.")
@output_options
@cli_errors
def tokens(db_path: Path, run_id: int | None, per_article: bool, fmt: str | None) -> None:
    """Show the prompt and completion tokens a run spent, per stage: per article and per
    record extracted (every attempt counts, re-asks and failures included), the share of
    prompt tokens the server really processed (llama.cpp's prompt cache skips the rest), and
    the seconds the server spent reading prompts and generating, against the run's wall time.

    \b
    Example:
      extractor tokens --db extract.db
      extractor tokens --db extract.db --run 3 --per-article
      extractor tokens --db extract.db --json
    """
    from extractor.pipeline.tokens import (
        article_tokens,
        latest_run_with_calls,
        time_report,
        token_report,
    )

    db = open_existing_db(db_path)
    run_id = run_id or latest_run_with_calls(db)
    rows = token_report(db, run_id) if run_id else []
    if not rows:
        raise click.ClickException(f"no LLM calls recorded in {db_path}"
                                   + (f" for run {run_id}" if run_id else ""))

    numbers = ("calls", "articles", "prompt_tokens", "completion_tokens", "tokens_per_article",
               "records", "tokens_per_record", "prompt_processed_share", "server_prompt_s",
               "server_generation_s")
    if not (per_article and fmt):  # a format prints one kind of row: per article if asked
        emit([{"stage": row.stage, "calls": row.calls, "articles": row.articles,
               "prompt_tokens": row.prompt_tokens, "completion_tokens": row.completion_tokens,
               "tokens_per_article": _rounded(row.per_article), "records": row.records,
               "tokens_per_record": _rounded(row.per_record),
               "prompt_processed_share": _rounded(row.processed_share, 3),
               "server_prompt_s": _rounded(row.server_prompt_s, 1),
               "server_generation_s": _rounded(row.server_generation_s, 1)} for row in rows],
             fmt, title=f"Tokens of run {run_id} in {db_path}", columns=("stage", *numbers),
             right=frozenset(numbers))
        times = time_report(db, run_id, rows)
        if not fmt and times.outside_server_s is not None:
            line = (f"run {run_id}: {times.wall_s:.1f} s wall; the model server spent "
                    f"{times.server_prompt_s:.1f} s reading prompts and "
                    f"{times.server_generation_s:.1f} s generating")
            if times.outside_server_s >= 0:
                line += (f"; the other {times.outside_server_s:.1f} s are the pipeline's own "
                         "work and waiting")
            else:  # a replay carries the recording's times; parallel calls overlap
                line += (" (more than the wall time: replayed answers carry the recording's "
                         "times, and calls in flight together overlap; no overhead computed)")
            click.echo(line)
    if per_article:
        emit([dict(item) for item in article_tokens(db, run_id)], fmt,
             title=f"Tokens per article of run {run_id} in {db_path}",
             columns=("article_id", "stage", "calls", "prompt_tokens", "completion_tokens"),
             right=frozenset({"calls", "prompt_tokens", "completion_tokens"}))


def _rounded(value: float | None, digits: int = 0) -> float | int | None:
    if value is None:
        return None
    return round(value) if digits == 0 else round(value, digits)


@cli.command()
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@db_option
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), help="Also show the change in eval scores against this gold.")
@output_options
@cli_errors
def diff(run_a: int, run_b: int, db_path: Path, gold_dir: Path | None,
         fmt: str | None) -> None:
    """Show records added, removed and changed per article between two runs.

    Each side is the database as it stood right after that run (history is kept in
    `article_versions`). With --json, --csv or --nl: one row per added, removed or changed
    record (the --gold scores then go to stderr).

    \b
    Example:
      extractor diff 3 4 --gold ../shared/gold
      extractor diff 3 4 --csv > changes.csv
    """
    from extractor.pipeline.history import diff_runs, versions_as_of

    db = open_existing_db(db_path)
    missing = [run for run in dict.fromkeys((run_a, run_b)) if not storage.run_exists(db, run)]
    if missing:
        known = [row["id"] for row in db.query("SELECT id FROM runs ORDER BY id")]
        raise NotFoundError(
            f"no run {' or '.join(map(str, missing))} in {db_path} (its runs: "
            f"{', '.join(map(str, known)) or 'none'})")
    diffs = diff_runs(db, run_a, run_b)
    if fmt:
        emit(_diff_rows(diffs), fmt, columns=("article_id", "table", "change", "record",
                                              "fields", "before", "after"))
    for item in diffs if not fmt else ():
        if item.empty:
            click.echo(f"{item.article_id}: no change")
            continue
        click.echo(f"{item.article_id}:")
        for table in storage.RECORD_TABLES:
            for record in item.added[table]:
                click.echo(f"  + {table}: {_brief(record)}")
            for record in item.removed[table]:
                click.echo(f"  - {table}: {_brief(record)}")
            for old, new in item.changed[table]:
                fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                click.echo(f"  ~ {table}: {_brief(new)} ({', '.join(fields)})")
    if gold_dir:
        from extractor.evaluation.evaluate import load_gold, score

        gold = load_gold(gold_dir)
        for label, run_id in (("A", run_a), ("B", run_b)):
            predictions = [{"article_id": aid, **records}
                           for aid, records in versions_as_of(db, run_id).items()]
            micro = score(predictions, gold).micro
            click.echo(f"run {label} ({run_id}): micro P {micro.precision:.3f} "
                       f"R {micro.recall:.3f} F1 {micro.f1:.3f}", err=fmt is not None)


def _diff_rows(diffs: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in diffs:
        for table in storage.RECORD_TABLES:
            rows += [{"article_id": item.article_id, "table": table, "change": "added",
                      "record": _brief(r), "fields": None, "before": None, "after": r}
                     for r in item.added[table]]
            rows += [{"article_id": item.article_id, "table": table, "change": "removed",
                      "record": _brief(r), "fields": None, "before": r, "after": None}
                     for r in item.removed[table]]
            rows += [{"article_id": item.article_id, "table": table, "change": "changed",
                      "record": _brief(new),
                      "fields": sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)),
                      "before": old, "after": new} for old, new in item.changed[table]]
    return rows


def _brief(record: dict) -> str:
    for key in ("name", "metric", "original"):
        if record.get(key):
            extra = f" = {record['value']} {record.get('unit')}" if key == "metric" else ""
            return f"{record[key]}{extra}"
    return json.dumps(record, ensure_ascii=False)[:80]


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv"]), default="jsonl",
              show_default=True, help="jsonl: one object per article (the contract's shape); "
              "json: a JSON array of them; csv: one row per record.")
@click.option("--json", "fmt", flag_value="json", help="Same as --format json.")
@click.option("--csv", "fmt", flag_value="csv", help="Same as --format csv.")
@click.option("--nl", "fmt", flag_value="jsonl", help="Same as --format jsonl.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Output file (default: stdout).")
@cli_errors
def export(db_path: Path, fmt: str, output: Any) -> None:
    """Export results in the contract's format, one JSON object per article.

    With --csv, one row per record: the article, the record type and the contract's fields
    of every type (lists as JSON).

    \b
    Example:
      extractor export --db extract.db -o results.jsonl
      extractor export --db extract.db --csv -o records.csv
    """
    import csv

    from extractor.store.export import CSV_COLUMNS, csv_rows, export_articles

    articles = export_articles(open_existing_db(db_path))
    if fmt == "csv":
        writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows(articles))
    elif fmt == "json":
        output.write("[")
        for index, article in enumerate(articles):
            output.write((",\n" if index else "\n") + json.dumps(article, ensure_ascii=False))
        output.write("\n]\n")
    else:
        for article in articles:
            output.write(json.dumps(article, ensure_ascii=False) + "\n")


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("schemas"), show_default=True)
def schemas(directory: Path) -> None:
    """Write the JSON Schema of every Pydantic model into a folder.

    \b
    Example:
      extractor schemas --dir schemas
    """
    from extractor.jsonschemas import write_schemas

    for path in write_schemas(directory):
        click.echo(str(path))


@cli.command(name="eval")
@click.option("--gold", "gold_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of gold JSON files (contract export shape).")
@db_option
@click.option("--export", "export_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Score a JSONL export instead of the database.")
@click.option("--trusted-only", is_flag=True,
              help="Score only trusted records (grounded, no flags), as the trusted_* views.")
@output_options
@cli_errors
def evaluate(gold_dir: Path, db_path: Path, export_file: Path | None, trusted_only: bool,
             fmt: str | None) -> None:
    """Score stored results against gold annotations (precision, recall, F1 per record type).

    The scores are stored in the `evals` table of the database (with the latest run id)
    unless --export is used. --json prints every score (per type, per article, field
    accuracy); --csv and --nl the table's rows.

    \b
    Example:
      extractor eval --gold ../shared/gold --db extract.db
    """
    from extractor.evaluation.evaluate import TABLE_HEADER, load_gold, score
    from extractor.store.export import export_articles, trusted_records

    db = None if export_file else open_existing_db(db_path)
    gold = load_gold(gold_dir)
    if export_file:
        predictions = [json.loads(line) for line in export_file.read_text("utf-8").splitlines()
                       if line.strip()]
    else:
        predictions = list(export_articles(db))
    if trusted_only:
        predictions = [trusted_records(p) for p in predictions]
    stored = {p.get("article_id") for p in predictions}
    if not any(g["article_id"] in stored for g in gold):
        raise EvaluationError(
            f"none of the {len(gold)} gold articles in {gold_dir} is among the "
            f"{len(stored)} scored articles; nothing to score (gold ids such as "
            f"{gold[0]['article_id']})")
    originals = None if db is None else {
        row["article_id"]: row["text"] for row in db.query("SELECT article_id, text FROM articles")}
    report = score(predictions, gold, originals)
    if db is not None:
        label = f"{gold_dir} (trusted only)" if trusted_only else str(gold_dir)
        storage.record_eval(db, label, report.to_dict())
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    emit([dict(zip(TABLE_HEADER, row, strict=True)) for row in report.table_rows()], fmt,
         title=f"Evaluation against {gold_dir}", columns=TABLE_HEADER,
         right=frozenset(TABLE_HEADER[1:]))
    if fmt:
        return
    if report.repaired_text_chrf is not None:
        line = f"repaired text chrF: {report.repaired_text_chrf:.1f}"
        if report.original_text_chrf is not None:
            line += (f" (original text {report.original_text_chrf:.1f},"
                     f" gain {report.repair_chrf_gain:+.1f})")
        click.echo(line)
    if report.place_right:
        click.echo(f"article place right: {sum(report.place_right.values())} of "
                   f"{len(report.place_right)}")
    regions = report.per_type["targets"].field_total.get("region")
    if regions:
        right = report.per_type["targets"].field_correct.get("region", 0)
        click.echo(f"target region right: {right} of {regions} matched targets")
    if report.articles_missing:
        click.echo(f"articles without predictions: {', '.join(report.articles_missing)}")
