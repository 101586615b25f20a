"""Reporting commands: status, tokens, diff, export, schemas, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from extractor.cli import cli, cli_errors, db_option, open_existing_db
from extractor.config import Settings
from extractor.errors import EvaluationError, NotFoundError
from extractor.store import storage


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--model", help="Model name (env EXTRACTOR_MODEL).")
@cli_errors
def status(paths: tuple[Path, ...], db_path: Path, model: str | None) -> None:
    """Show, per article and stage, whether stored results are up to date.

    States: up to date, stale (with the inputs that changed: a prompt file, the model,
    the schema, or the repair stage it reads), failed, never run.

    \b
    Example:
      extractor status seeds --db extract.db
    """
    from extractor.pipeline.batch import selected_files
    from extractor.pipeline.history import stage_status
    from extractor.pipeline.prompts import PromptLibrary

    settings = Settings.load(model=model)
    db = open_existing_db(db_path)
    files = selected_files(paths, frozenset())
    table = Table(title=f"Stage status in {db_path}")
    for column in ("article", "stage", "state", "why"):
        table.add_column(column)
    for row in stage_status(db, files, settings.model,
                            PromptLibrary(settings.prompts_dir).hashes()):
        table.add_row(row.article_id, row.stage, row.state, row.reason)
    Console().print(table)


@cli.command()
@db_option
@click.option("--run", "run_id", type=int, help="Run id (default: the latest run with calls).")
@click.option("--per-article", is_flag=True, help="Also list every article's tokens per stage.")
@cli_errors
def tokens(db_path: Path, run_id: int | None, per_article: bool) -> None:
    """Show the prompt and completion tokens a run spent, per stage: per article and per
    record extracted (every attempt counts, re-asks and failures included), and the share of
    prompt tokens the server really processed (llama.cpp's prompt cache skips the rest).

    \b
    Example:
      extractor tokens --db extract.db
      extractor tokens --db extract.db --run 3 --per-article
    """
    from extractor.pipeline.tokens import article_tokens, latest_run_with_calls, token_report

    db = open_existing_db(db_path)
    run_id = run_id or latest_run_with_calls(db)
    rows = token_report(db, run_id) if run_id else []
    if not rows:
        raise click.ClickException(f"no LLM calls recorded in {db_path}"
                                   + (f" for run {run_id}" if run_id else ""))

    def num(value: float | None, digits: int = 0) -> str:
        return "n/a" if value is None else f"{value:,.{digits}f}"

    table = Table(title=f"Tokens of run {run_id} in {db_path}")
    for column in ("stage", "calls", "articles", "prompt", "completion", "tokens/article",
                   "records", "tokens/record", "prompt processed"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for row in rows:
        share = row.processed_share
        table.add_row(row.stage, str(row.calls), str(row.articles), num(row.prompt_tokens),
                      num(row.completion_tokens), num(row.per_article), num(row.records),
                      num(row.per_record), "n/a" if share is None else f"{share:.0%}")
    Console().print(table)
    if per_article:
        detail = Table(title="Per article")
        for column in ("article", "stage", "calls", "prompt", "completion"):
            detail.add_column(column, justify="left" if column in {"article", "stage"}
                              else "right")
        for item in article_tokens(db, run_id):
            detail.add_row(item["article_id"], item["stage"], str(item["calls"]),
                           num(item["prompt_tokens"]), num(item["completion_tokens"]))
        Console().print(detail)


@cli.command()
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@db_option
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), help="Also show the change in eval scores against this gold.")
@cli_errors
def diff(run_a: int, run_b: int, db_path: Path, gold_dir: Path | None) -> None:
    """Show records added, removed and changed per article between two runs.

    Each side is the database as it stood right after that run (history is kept in
    `article_versions`).

    \b
    Example:
      extractor diff 3 4 --gold ../shared/gold
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
    for item in diffs:
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
                       f"R {micro.recall:.3f} F1 {micro.f1:.3f}")


def _brief(record: dict) -> str:
    for key in ("name", "metric", "original"):
        if record.get(key):
            extra = f" = {record['value']} {record.get('unit')}" if key == "metric" else ""
            return f"{record[key]}{extra}"
    return json.dumps(record, ensure_ascii=False)[:80]


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Output file (default: stdout).")
@cli_errors
def export(db_path: Path, fmt: str, output: Any) -> None:
    """Export results in the contract's format, one JSON object per article.

    \b
    Example:
      extractor export --db extract.db -o results.jsonl
    """
    from extractor.store.export import to_jsonl

    for line in to_jsonl(open_existing_db(db_path)):
        output.write(line + "\n")


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
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--trusted-only", is_flag=True,
              help="Score only trusted records (grounded, no flags), as the trusted_* views.")
@cli_errors
def evaluate(gold_dir: Path, db_path: Path, export_file: Path | None, as_json: bool,
             trusted_only: bool) -> None:
    """Score stored results against gold annotations (precision, recall, F1 per record type).

    The scores are stored in the `evals` table of the database (with the latest run id)
    unless --export is used.

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
    report = score(predictions, gold)
    if db is not None:
        label = f"{gold_dir} (trusted only)" if trusted_only else str(gold_dir)
        storage.record_eval(db, label, report.to_dict())
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    table = Table(title=f"Evaluation against {gold_dir}")
    for name in TABLE_HEADER:
        table.add_column(name, justify="left" if name == "type" else "right")
    for row in report.table_rows():
        table.add_row(*row)
    Console().print(table)
    if report.repaired_text_chrf is not None:
        click.echo(f"repaired text chrF: {report.repaired_text_chrf:.1f}")
    if report.articles_missing:
        click.echo(f"articles without predictions: {', '.join(report.articles_missing)}")
