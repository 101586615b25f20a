"""`extractor run`: extract articles (and its dry run and summary)."""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from extractor.cli import cli, cli_errors, console, db_option
from extractor.config import Settings, redact_url
from extractor.errors import NotFoundError
from extractor.pipeline.stages import STAGE_NAMES
from extractor.store import storage


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
@click.option("--only", "only", multiple=True, type=click.Choice(STAGE_NAMES),
              help="Recompute only this stage (repeatable); other stages reuse stored results.")
@click.option("--articles", "article_ids", multiple=True,
              help="Restrict the run to these article ids (file stems; repeatable).")
@click.option("--limit", type=click.IntRange(min=1),
              help="Process at most this many articles (the first, in path order).")
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
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process. ray: Ray workers, each writing a shard under "
              "--workdir (merge them with `extractor ingest`); needs the [cluster] extra.")
@click.option("--endpoints", help="--engine ray: model servers, comma-separated URLs; all "
              "stages of an article go to the same one (default: --base-url).")
@click.option("--address", help="--engine ray: an existing Ray cluster (e.g. auto); without "
              "it a local cluster is started on this machine.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="--engine ray: worker actors (one shard each).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("shards"), show_default=True,
              help="--engine ray: folder of the shards (one SQLite database per worker).")
@click.option("--num-cpus", type=click.IntRange(min=1),
              help="--engine ray: CPUs of the local cluster (default: all).")
@click.option("--retries", type=click.IntRange(min=0), default=1, show_default=True,
              help="--engine ray: new workers for a shard whose worker died.")
@cli_errors
def run(paths: tuple[Path, ...], db_path: Path, model: str | None, base_url: str | None,
        mode: str | None, replay_dir: Path | None, record_dir: Path | None, force: bool,
        only: tuple[str, ...], article_ids: tuple[str, ...], limit: int | None, dry_run: bool,
        prompts_dir: Path | None, max_tokens_per_article: int | None,
        concurrency: int | None, requests_per_minute: int | None,
        tokens_per_minute: int | None, engine: str, endpoints: str | None,
        address: str | None, workers: int, workdir: Path, num_cpus: int | None,
        retries: int) -> None:
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
      extractor run news/ --engine ray --endpoints http://gpu1:8000/v1,http://gpu2:8000/v1 \
          --model qwen2.5-7b --workers 8 --workdir shards   # then: extractor ingest shards
    """
    from extractor.backends.replay import recorded_compact_json
    from extractor.backends.selection import open_backend
    from extractor.pipeline.batch import (
        STAGE_PREFIX,
        RunInterrupted,
        RunOptions,
        run_batch,
        selected_files,
    )

    if replay_dir and record_dir:
        raise click.UsageError("--replay and --record cannot be combined")
    if replay_dir and not replay_dir.is_dir():
        raise click.UsageError(f"cassette folder not found: {replay_dir}")
    settings = Settings.load(model=model, base_url=base_url, mode=mode, prompts_dir=prompts_dir,
                             max_tokens_per_article=max_tokens_per_article,
                             concurrency=concurrency, requests_per_minute=requests_per_minute,
                             tokens_per_minute=tokens_per_minute)
    if replay_dir and (recorded := recorded_compact_json(replay_dir)) is not None:
        settings = dataclasses.replace(settings, compact_json=recorded)  # as recorded
    if (replay_dir or record_dir) and concurrency and concurrency > 1:
        console.print("[yellow]note:[/yellow] --replay/--record run one article at a time")
    files = selected_files(paths, frozenset(article_ids))[:limit]
    if not files:
        raise click.UsageError("no .txt articles found under the given paths")
    if dry_run and not db_path.is_file():
        raise NotFoundError(f"database not found: {db_path}; a dry run compares with what a "
                            "database holds and creates none (run without --dry-run first)")
    command = " ".join(["extractor", *map(_without_secrets, sys.argv[1:])])[:500]
    if engine == "ray":
        from extractor.cli.cluster import run_ray

        if replay_dir or record_dir or dry_run:
            raise click.UsageError("--engine ray runs against --endpoints (or --base-url); "
                                   "--replay, --record and --dry-run are for the local engine")
        urls = [u.strip() for u in (endpoints or base_url or "").split(",") if u.strip()]
        if not urls:
            raise click.UsageError("--engine ray needs --endpoints (or --base-url)")
        settings = Settings.load(model=model, base_url=urls[0], mode=mode,
                                 prompts_dir=prompts_dir,
                                 max_tokens_per_article=max_tokens_per_article,
                                 concurrency=concurrency,
                                 requests_per_minute=requests_per_minute,
                                 tokens_per_minute=tokens_per_minute)
        run_ray(files, settings, urls, workers=workers, workdir=workdir, address=address,
                num_cpus=num_cpus, retries=retries,
                options=RunOptions(force=force, only=frozenset(only),
                                   articles=frozenset(article_ids), command=command))
        return
    db = storage.open_db(db_path)
    if dry_run:
        _print_dry_run(db, files, settings, force=force, only=set(only))
        return

    options = RunOptions(replay_dir=replay_dir, record_dir=record_dir, force=force,
                         only=frozenset(only), articles=frozenset(article_ids),
                         command=command)
    with open_backend(settings, replay=replay_dir is not None, echo=console.print) as url, \
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                     console=console, transient=False) as bar:
        task = bar.add_task("extracting", total=len(files))
        running: dict[str, str] = {}  # article in flight -> what it is doing

        def progress(article_id: str, status: str) -> None:
            if status == "running" or status.startswith(STAGE_PREFIX):
                running[article_id] = status.removeprefix(STAGE_PREFIX)
            else:
                running.pop(article_id, None)
                bar.advance(task)
            doing = f"{article_id}: {status.removeprefix(STAGE_PREFIX)}"
            others = f" (+{len(running) - 1} in flight)" if len(running) > 1 else ""
            bar.update(task, description=doing + others)

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


def _without_secrets(arg: str) -> str:
    """A command-line word as runs.command stores it: URL credentials redacted (each URL of a
    comma-separated list)."""
    name, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    if "://" not in value:
        return arg
    return f"{name}{sep}" + ",".join(redact_url(url) or "" for url in value.split(","))


def _print_dry_run(db: Any, files: list[Path], settings: Settings, *, force: bool,
                   only: set[str]) -> None:
    from extractor.pipeline.history import StageStatus, estimate, stage_status

    statuses = stage_status(db, files, settings)
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
    for path, article_id in summary.duplicates[:20]:
        console.print(f"[yellow]skipped[/yellow] {path}: the same text as article {article_id} "
                      "(stored once; the file is added to its source_paths)")
    for failure in summary.failures[:20]:
        console.print(f"[red]failed[/red] {failure}")


def _counts(counter: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "0"
