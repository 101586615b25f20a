"""`extractor batch submit|status|collect`: stages through an OpenAI-format Batch API."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from extractor.cli import cli, cli_errors, console, db_option, open_existing_db
from extractor.cli.output import emit, output_options
from extractor.config import Settings
from extractor.errors import ConfigError
from extractor.store import storage

api_options = [
    click.option("--base-url", help="The Batch API's base URL (env EXTRACTOR_BASE_URL); "
                 "status and collect default to the last batch's. Key: env EXTRACTOR_API_KEY."),
    click.option("--model", help="Model (env EXTRACTOR_MODEL); status and collect default to "
                 "the last batch's."),
    click.option("--mode", help="Instructor mode override (env EXTRACTOR_MODE)."),
]


def with_api_options(function: Any) -> Any:
    for option in reversed(api_options):
        function = option(function)
    return function


def _settings(db: Any, base_url: str | None, model: str | None,
              mode: str | None) -> tuple[Settings, str]:
    last = next(iter(db.query("SELECT base_url, model FROM llm_batches "
                              "ORDER BY created DESC, rowid DESC LIMIT 1")), {})
    settings = Settings.load(model=model or last.get("model"),
                             base_url=base_url or last.get("base_url"), mode=mode)
    if not settings.base_url:
        raise ConfigError("--base-url (or EXTRACTOR_BASE_URL) is required for a Batch API")
    return settings, settings.base_url


@cli.group()
def batch() -> None:
    """Run stages through an OpenAI-format Batch API (about half the price, within 24 h).

    The stages of an article go in successive waves: `submit` sends the repair of every
    stale article, `collect` stores the answers; the next `submit` sends the four stages
    that read the repairs, and the next `collect` stores them and the finished articles.

    \b
    Examples:
      extractor batch submit news/ --db extract.db --base-url https://api.openai.com/v1 \\
          --model gpt-4o-mini
      extractor batch status --db extract.db
      extractor batch collect --db extract.db --wait 3600
    """


@batch.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@with_api_options
@cli_errors
def submit(paths: tuple[Path, ...], db_path: Path, base_url: str | None, model: str | None,
           mode: str | None) -> None:
    """Send the next wave of requests of every stale article under PATHS as one batch.

    Each request is the one a live run would send for that stage (same prompt, same
    schema), so its answer goes into the same stage cache. Requests already in a batch not
    collected are not sent again; invalid or expired ones are.

    \b
    Examples:
      extractor batch submit news/ --db extract.db --base-url https://api.openai.com/v1 \\
          --model gpt-4o-mini
    """
    from extractor.cluster.batch_api import submit as send
    from extractor.pipeline.batch import selected_files

    db = storage.open_db(db_path)
    settings, url = _settings(db, base_url, model, mode)
    files = selected_files(paths, frozenset())
    if not files:
        raise click.UsageError("no .txt articles found under the given paths")
    sent = send(db, settings, url, files,
                command=" ".join(["extractor", *sys.argv[1:]])[:500])
    if not sent.batch_ids:
        console.print(f"nothing to send: {sent.up_to_date} article(s) up to date, "
                      f"{sent.waiting} waiting for a batch not collected yet")
        return
    console.print(f"submitted batch {', '.join(sent.batch_ids)}: {sent.requests} request(s) for "
                  f"{sent.articles} article(s); {sent.up_to_date} up to date, {sent.waiting} "
                  "waiting for an earlier batch. Next: extractor batch collect --wait 3600")


@batch.command()
@db_option
@with_api_options
@output_options
@cli_errors
def status(db_path: Path, base_url: str | None, model: str | None, mode: str | None,
           fmt: str | None) -> None:
    """The status of every batch not collected yet (asks the API).

    \b
    Examples:
      extractor batch status --db extract.db
      extractor batch status --db extract.db --json
    """
    from extractor.cluster.batch_api import status as poll

    db = open_existing_db(db_path)
    settings, url = _settings(db, base_url, model, mode)
    rows = [{k: row.get(k) for k in ("id", "status", "requests", "request_counts", "created")}
            for row in poll(db, settings, url)]
    emit(rows, fmt, title="Batches not collected",
         columns=["id", "status", "requests", "request_counts", "created"])


@batch.command()
@db_option
@with_api_options
@click.option("--wait", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seconds to keep polling until every batch has ended.")
@click.option("--poll", "poll_seconds", type=click.FloatRange(min=0.01), default=30.0,
              show_default=True, help="Seconds between polls with --wait.")
@cli_errors
def collect(db_path: Path, base_url: str | None, model: str | None, mode: str | None,
            wait: int, poll_seconds: float) -> None:
    """Store the answers of every batch that has ended, then the articles now complete.

    Answers go into the stage cache; every request gets an llm_calls row. Invalid,
    failed or expired requests are sent again by the next `submit`.

    \b
    Examples:
      extractor batch collect --db extract.db
      extractor batch collect --db extract.db --wait 86400 --poll 60
    """
    from extractor.cluster.batch_api import collect as gather

    db = open_existing_db(db_path)
    settings, url = _settings(db, base_url, model, mode)
    deadline = time.monotonic() + wait
    command = " ".join(["extractor", *sys.argv[1:]])[:500]
    while True:
        result = gather(db, settings, url, command=command)
        if not result.waiting or time.monotonic() >= deadline:
            break
        time.sleep(poll_seconds)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.results.items())) or "none"
    console.print(f"collected {len(result.batches)} batch(es): requests {counts}; "
                  f"{result.articles_stored} article(s) stored; {result.waiting} batch(es) "
                  f"still running; {result.next_wave} article(s) need another wave"
                  + (" (extractor batch submit)" if result.next_wave else ""))
