"""`extractor glossary` and `extractor serve`."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from extractor.cli import cli, cli_errors, console, db_option, open_existing_db
from extractor.config import Settings


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

    from extractor.pipeline.prompts import PromptLibrary
    from extractor.store.glossary import suggest

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
