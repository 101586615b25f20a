"""How reporting commands print rows, as sqlite-utils does: a table for people, or --json,
--csv or --nl (newline-delimited JSON) for programs. Tables are never cut to 80 columns when
the output is piped."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

WIDE = 10_000  # columns of a piped table (rich would use 80 and cut the cells)


def output_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--json / --csv / --nl, one parameter ``fmt`` (None: a table)."""
    for flag, help_text in (("nl", "Output newline-delimited JSON (one object per line)."),
                            ("csv", "Output CSV with a header row."),
                            ("json", "Output a JSON array.")):
        function = click.option(f"--{flag}", "fmt", flag_value=flag, help=help_text)(function)
    return function


def stdout_console() -> Console:
    """A console on stdout: the terminal's width, or wide enough for any row when piped."""
    console = Console()
    return console if console.is_terminal else Console(width=WIDE, soft_wrap=True)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def emit(rows: Sequence[dict[str, Any]], fmt: str | None, *, title: str | None = None,
         columns: Sequence[str] | None = None,
         right: frozenset[str] = frozenset()) -> None:
    """Print ``rows`` as a table (``right``: right-aligned columns) or in ``fmt``."""
    names = list(columns or (rows[0] if rows else []))
    if fmt == "json":
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False))
    elif fmt == "nl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_cell(row.get(name)) for name in names] for row in rows)
    else:
        table = Table(title=title)
        for name in names:
            table.add_column(name, justify="right" if name in right else "left")
        for row in rows:
            table.add_row(*(_cell(row.get(name)) for name in names))
        stdout_console().print(table)
