"""The `extractor` command line."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from extractor import storage
from extractor.articles import ArticleError
from extractor.cache import STAGES
from extractor.config import ConfigError, Settings, redact_url
from extractor.local_server import LocalModelError

KNOWN_ERRORS = (ConfigError, storage.StorageError, ArticleError, LocalModelError, OSError)
console = Console(stderr=True)


def _under_tests() -> bool:
    return bool(os.environ.get("EXTRACTOR_RAISE") or os.environ.get("PYTEST_CURRENT_TEST"))


def cli_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Known errors become a clean ClickException (re-raised as-is under tests)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KNOWN_ERRORS as err:
            if _under_tests():
                raise
            raise click.ClickException(str(err)) from err

    return wrapper


def open_existing_db(db_path: Path) -> Any:
    """Open a database that must already exist (read commands never create one)."""
    if not db_path.exists():
        raise click.ClickException(f"database not found: {db_path}")
    return storage.open_db(db_path)


db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
    default=Path("extract.db"), show_default=True, help="SQLite database file.",
)


@click.group()
@click.version_option(package_name="extractor")
def cli() -> None:
    """Structured extraction and translation repair for machine-translated Chinese
    municipal industrial-policy news.

    \b
    extractor run seeds                 # embedded local model, writes extract.db
    extractor run seeds --replay cassettes --db replay.db
    extractor export --db extract.db -o results.jsonl
    extractor eval --gold ../shared/gold --db extract.db
    extractor tokens --db extract.db
    extractor serve --db extract.db
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--model", help="Model name (env EXTRACTOR_MODEL). Default: the embedded model.")
@click.option("--base-url", help="OpenAI-compatible API base URL (env EXTRACTOR_BASE_URL). "
              "Without it, an embedded llama.cpp server is started for the run.")
@click.option("--mode", help="Instructor mode override, e.g. JSON_SCHEMA, TOOLS, JSON "
              "(env EXTRACTOR_MODE). Default: TOOLS for api.openai.com, JSON_SCHEMA otherwise.")
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Replay recorded HTTP exchanges from this cassette folder; no model is called.")
@click.option("--record", "record_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Record the HTTP exchanges of this run into this cassette folder.")
@click.option("--force", is_flag=True, help="Recompute every stage even when nothing changed.")
@click.option("--only", "only", multiple=True, type=click.Choice(STAGES),
              help="Recompute only this stage (repeatable); other stages reuse stored results.")
@click.option("--articles", "article_ids", multiple=True,
              help="Restrict the run to these article ids (file stems; repeatable).")
@click.option("--dry-run", is_flag=True,
              help="Print what would be recomputed and the estimated calls and tokens.")
@click.option("--prompts", "prompts_dir", type=click.Path(file_okay=False, exists=True,
              path_type=Path),
              help="Prompt folder, for an edited copy (default: the packaged extractor/prompts/).")
@click.option("--max-tokens-per-article", "max_tokens_per_article", type=click.IntRange(min=1),
              help="Stop spending on an article once its prompt + completion tokens, over all "
              "stages and retries, reach this (env EXTRACTOR_MAX_TOKENS_PER_ARTICLE); the "
              "article is recorded in `errors` and the batch goes on.")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Articles in flight at once (env EXTRACTOR_CONCURRENCY). Default: 1 for the "
              "embedded model, 8 for --base-url. --replay/--record run one at a time.")
@click.option("--requests-per-minute", "requests_per_minute", type=click.IntRange(min=1),
              help="Rate limit of the backend (env EXTRACTOR_REQUESTS_PER_MINUTE).")
@click.option("--tokens-per-minute", "tokens_per_minute", type=click.IntRange(min=1),
              help="Prompt + completion tokens per minute the backend allows, estimated before "
              "each call and corrected with the reported usage (env EXTRACTOR_TOKENS_PER_MINUTE).")
@cli_errors
def run(paths: tuple[Path, ...], db_path: Path, model: str | None, base_url: str | None,
        mode: str | None, replay_dir: Path | None, record_dir: Path | None, force: bool,
        only: tuple[str, ...], article_ids: tuple[str, ...], dry_run: bool,
        prompts_dir: Path | None, max_tokens_per_article: int | None,
        concurrency: int | None, requests_per_minute: int | None,
        tokens_per_minute: int | None) -> None:
    """Extract meetings, officials, initiatives, targets and repairs from articles.

    PATHS are .txt files or folders of them. Each article is stored in one transaction;
    a failing article is recorded in the `errors` table and the batch goes on. Every stage
    result is keyed by the article text, the prompt files it reads, the model and the
    schema: only stale stages are recomputed (editing targets.j2 re-runs targets only;
    editing repair.j2 re-runs repair and the stages that read repairs).

    Articles run --concurrency at a time (each article's stages in order); Ctrl-C stops
    cleanly: articles in flight are not stored, the run is marked interrupted, and the same
    command resumes (finished articles and stages are reused).

    \b
    Examples:
      extractor run seeds
      extractor run seeds --replay cassettes --db replay.db
      EXTRACTOR_BASE_URL=http://localhost:8000/v1 extractor run news/ --model qwen2.5-7b
      extractor run news/ --base-url https://api.example.com/v1 --model m --concurrency 16
      extractor run seeds --record cassettes --force     # re-record cassettes
      extractor run seeds --dry-run
      extractor run seeds --only targets --articles 000_3911936b9cb8e675
    """
    from extractor.backend import open_backend
    from extractor.pipeline import RunInterrupted, RunOptions, run_batch, selected_files

    if replay_dir and record_dir:
        raise click.UsageError("--replay and --record cannot be combined")
    if replay_dir and not replay_dir.is_dir():
        raise click.UsageError(f"cassette folder not found: {replay_dir}")
    settings = Settings.load(model=model, base_url=base_url, mode=mode, prompts_dir=prompts_dir,
                             max_tokens_per_article=max_tokens_per_article,
                             concurrency=concurrency, requests_per_minute=requests_per_minute,
                             tokens_per_minute=tokens_per_minute)
    if (replay_dir or record_dir) and concurrency and concurrency > 1:
        console.print("[yellow]note:[/yellow] --replay/--record run one article at a time")
    files = selected_files(paths, frozenset(article_ids))
    if not files:
        raise click.UsageError("no .txt articles found under the given paths")
    db = storage.open_db(db_path)
    if dry_run:
        _print_dry_run(db, files, settings, force=force, only=set(only))
        return

    def without_secrets(arg: str) -> str:  # runs.command must not store URL credentials
        name, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
        return f"{name}{sep}{redact_url(value)}" if "://" in value else arg

    options = RunOptions(replay_dir=replay_dir, record_dir=record_dir, force=force,
                         only=frozenset(only), articles=frozenset(article_ids),
                         command=" ".join(["extractor", *map(without_secrets, sys.argv[2:])])[:500])
    with open_backend(settings, replay=replay_dir is not None, echo=console.print) as url, \
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("extracting", total=len(files))
        running: set[str] = set()

        def progress(article_id: str, status: str) -> None:
            if status == "running":
                running.add(article_id)
            else:
                running.discard(article_id)
                bar.advance(task)
            in_flight = f" ({len(running)} in flight)" if len(running) > 1 else ""
            bar.update(task, description=f"{article_id}: {status}{in_flight}")

        try:
            summary = run_batch(db, settings, url, files, options, progress,
                                ensure_alive=getattr(url, "ensure_alive", None))
        except RunInterrupted as stopped:
            bar.stop()
            console.print(f"[red]{stopped}[/red]")
            raise SystemExit(130) from None
        except sqlite3.OperationalError as err:
            busy = "locked" in str(err) or "busy" in str(err)
            raise storage.StorageError(
                f"{db_path}: the database is busy: another process (another `extractor run`?) "
                "is writing to it; articles already stored are kept, run the command again "
                "when the other one has finished"
                if busy else f"{db_path}: cannot write to the database ({err})"
            ) from err
    _print_summary(summary, db_path)
    if summary.all_failed:
        raise SystemExit(1)


def _print_dry_run(db: Any, files: list[Path], settings: Settings, *, force: bool,
                   only: set[str]) -> None:
    from extractor.history import StageStatus, estimate, stage_status
    from extractor.prompts import PromptLibrary

    statuses = stage_status(db, files, settings.model, PromptLibrary(settings.prompts_dir).hashes())
    if force or only:
        statuses = [StageStatus(s.article_id, s.stage, "forced", s.reason)
                    if force or s.stage in only else s for s in statuses]
    todo = [s for s in statuses if s.state != "up to date"]
    for status in todo:
        click.echo(f"{status.article_id}\t{status.stage}\t{status.state}\t{status.reason}")
    guess = estimate(db, todo)
    click.echo(f"would recompute {len(todo)} of {len(statuses)} stage results: "
               f"~{guess.calls} LLM calls, ~{guess.prompt_tokens} prompt and "
               f"~{guess.completion_tokens} completion tokens (averages of past calls)")


def _print_summary(summary: Any, db_path: Path) -> None:
    table = Table(title=f"Run {summary.run_id} -> {db_path}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("articles done", summary.done), ("articles skipped (unchanged)", summary.skipped),
        ("articles failed", summary.failed),
        *((f"{name} records", count) for name, count in summary.records.items()),
        ("grounding rate", "n/a" if summary.grounding_rate is None
         else f"{summary.grounding_rate:.1%}"),
        ("LLM calls", summary.llm_calls), ("prompt tokens", summary.prompt_tokens),
        ("completion tokens", summary.completion_tokens), ("seconds", summary.seconds),
        ("stages computed", _counts(summary.stages_computed)),
        ("stages reused", _counts(summary.stages_reused)),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    for failure in summary.failures[:20]:
        console.print(f"[red]failed[/red] {failure}")


def _counts(counter: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "0"


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
    from extractor.history import stage_status
    from extractor.pipeline import selected_files
    from extractor.prompts import PromptLibrary

    settings = Settings.load(model=model)
    db = storage.open_db(db_path)
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
    from extractor.tokens import article_tokens, latest_run_with_calls, token_report

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
    from extractor.history import diff_runs, versions_as_of

    db = open_existing_db(db_path)
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
        from extractor.evaluate import load_gold, score

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
    from extractor.export import to_jsonl

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
    from extractor.evaluate import TABLE_HEADER, load_gold, score
    from extractor.export import export_articles, trusted_records

    gold = load_gold(gold_dir)
    db = None
    if export_file:
        predictions = [json.loads(line) for line in export_file.read_text("utf-8").splitlines()
                       if line.strip()]
    else:
        db = open_existing_db(db_path)
        predictions = list(export_articles(db))
    if trusted_only:
        predictions = [trusted_records(p) for p in predictions]
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


@cli.group()
def glossary() -> None:
    """Maintain the repair termbase, extractor/prompts/glossary.yaml."""


@glossary.command(name="suggest")
@db_option
@click.option("--min-count", type=int, default=2, show_default=True,
              help="Suggest repairs made at least this many times.")
@cli_errors
def glossary_suggest(db_path: Path, min_count: int) -> None:
    """List frequent model repairs that are not in the glossary yet (review, then add them).

    \b
    Example:
      extractor glossary suggest --db extract.db --min-count 2
    """
    import yaml

    from extractor.glossary import suggest
    from extractor.prompts import PromptLibrary

    db = open_existing_db(db_path)
    entries = PromptLibrary(Settings.load().prompts_dir).glossary()
    found = suggest(db, entries, min_count=min_count)
    if not found:
        click.echo(f"no repair made {min_count}+ times is missing from the glossary")
        return
    click.echo(f"# {len(found)} suggestion(s): review, then add to "
               "extractor/prompts/glossary.yaml (or your --prompts copy)")
    click.echo(yaml.safe_dump(
        [{"garbled": [s.garbled], "repaired": s.repaired,
          "note": f"{s.category}; seen {s.count} times in {s.articles} article(s)"}
         for s in found], allow_unicode=True, sort_keys=False).rstrip())


@cli.command()
@db_option
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. Anything but loopback needs --public.")
@click.option("--public", is_flag=True, help="Allow binding a non-loopback interface.")
@cli_errors
def serve(db_path: Path, port: int, host: str, public: bool) -> None:
    """Open the database in Datasette, read-only, with titles, descriptions and article pages.

    The database is opened immutable (-i); the extractor plugin brings the packaged metadata
    (titles, descriptions, facets, canned queries), adds an article page at
    /-/article/<article_id> with every record highlighted in the text, and prints targets'
    values with their units. Datasette runs in this process: stopping the command (Ctrl+C,
    SIGTERM) stops the server. Prints the address to open.

    \b
    Example:
      extractor serve --db extract.db --port 8001
    """
    import importlib.metadata

    from datasette.cli import cli as datasette_cli

    if not db_path.exists():
        raise click.ClickException(f"database not found: {db_path}")
    if host not in {"127.0.0.1", "localhost", "::1"}:
        if not public:
            raise click.ClickException(f"refusing to serve on {host} without --public")
        console.print(f"[yellow]warning:[/yellow] serving on {host}: reachable from other hosts")
    if not any(ep.name == "extractor"
               for ep in importlib.metadata.entry_points(group="datasette")):
        console.print("[yellow]warning:[/yellow] the extractor Datasette plugin is not "
                      "registered (article pages, units, metadata): reinstall the package "
                      "with `pip install -e .`")
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        console.print(f"[yellow]note:[/yellow] {wal} is not empty (a run may be writing): "
                      "the read-only view shows the database file as last checkpointed")
    first_article = None
    try:
        conn = sqlite3.connect(f"file:{db_path.resolve()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT min(article_id) FROM articles").fetchone()
            first_article = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.Error:
        pass
    arguments = ["serve", "-i", str(db_path), "--host", host, "--port", str(port),
                 "--setting", "sql_time_limit_ms", "5000"]
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    click.echo(f"Serving {db_path} read-only with Datasette. Open {address}")
    if first_article:
        click.echo(f"Article page (records highlighted in the text): "
                   f"{address}-/article/{first_article}")
    click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
    # uvicorn, inside Datasette's serve, stops on SIGINT and SIGTERM: no child process is left
    datasette_cli.main(arguments, prog_name="datasette", standalone_mode=True)
