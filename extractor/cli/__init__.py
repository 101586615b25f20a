"""The `extractor` command line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from extractor.errors import ExtractorError, NotFoundError
from extractor.store import storage

console = Console(stderr=True)


def cli_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """The project's errors (ExtractorError) and file errors become a clean message and exit
    code; any other exception is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ExtractorError as err:
            exception = click.ClickException(str(err))
            exception.exit_code = err.exit_code
            raise exception from err
        except BrokenPipeError:
            raise  # the reader closed the pipe (`| head`): click ends the command quietly
        except OSError as err:
            raise click.ClickException(str(err)) from err

    return wrapper


def open_existing_db(db_path: Path) -> Any:
    """Open a database that must already exist (read commands never create one)."""
    if not db_path.is_file():
        raise NotFoundError(f"database not found: {db_path}")
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


# the commands register themselves on `cli` when their modules are imported
from extractor.cli import batchapi, cluster, reports, run, serving  # noqa: E402, F401
