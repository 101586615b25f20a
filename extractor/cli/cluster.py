"""`extractor run --engine ray` (its output), `extractor ingest` and `extractor verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from extractor.cli import cli, cli_errors, console, db_option, open_existing_db
from extractor.cli.output import emit, output_options
from extractor.config import Settings
from extractor.store import storage


def run_ray(files: list[Path], settings: Settings, endpoints: list[str], *, workers: int,
            workdir: Path, address: str | None, num_cpus: int | None, retries: int,
            options: Any) -> None:
    from extractor.cluster.ray_engine import RayOptions, run_on_ray

    ray_options = RayOptions(workdir=workdir, endpoints=endpoints, workers=workers,
                             address=address, num_cpus=num_cpus, retries=retries)
    console.print(f"extracting {len(files)} article(s) on Ray: {workers} worker(s), "
                  f"{len(endpoints)} endpoint(s), shards in {workdir}")
    summary = run_on_ray(files, settings, ray_options, options)
    console.print(
        f"done {summary.done}, unchanged {summary.skipped}, failed {summary.failed}, "
        f"{summary.llm_calls} LLM calls ({summary.prompt_tokens} prompt + "
        f"{summary.completion_tokens} completion tokens) in {summary.seconds} s"
        + (f"; {summary.worker_deaths} worker(s) died" if summary.worker_deaths else ""))
    if summary.missing:
        shown = ", ".join(summary.missing[:10]) + (" ..." if len(summary.missing) > 10 else "")
        console.print(f"[red]not stored[/red] {len(summary.missing)} article(s) ({shown}): "
                      "run the same command again to resume")
    console.print(f"next: extractor ingest {workdir} --db extract.db")
    if summary.missing or (summary.failed and not summary.done and not summary.skipped):
        raise SystemExit(1)


@cli.command()
@click.argument("workdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@cli_errors
def ingest(workdir: Path, db_path: Path) -> None:
    """Merge the shards of a Ray run (WORKDIR/shard-*.db) into one database.

    Runs, LLM calls, errors, stage results, articles and their records are copied; ingesting
    the same shards again adds nothing twice (an article stored again in a shard since
    replaces the older version). Identities and places are rebuilt as at the end of a run.

    \b
    Examples:
      extractor run news/ --engine ray --endpoints URL1,URL2 --model m --workdir shards
      extractor ingest shards --db extract.db
    """
    from extractor.cluster.shards import ingest as merge

    db = storage.open_db(db_path)
    summary = merge(db, workdir)
    rows = ", ".join(f"{table} {count}" for table, count in sorted(summary.rows.items()))
    console.print(f"ingested {summary.shards} shard(s) into {db_path}: {summary.runs} new "
                  f"run(s), {summary.articles} article(s) new or changed"
                  + (f", {summary.duplicates} duplicate text(s)" if summary.duplicates else "")
                  + f"; rows: {rows or 'none'}")


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@db_option
@output_options
@cli_errors
def verify(paths: tuple[Path, ...], db_path: Path, fmt: str | None) -> None:
    """Compare the input articles under PATHS with what the database stores.

    One row per article that is not stored (missing, or failed with its error); exits 1
    when any is missing or failed. --json/--csv/--nl print every article with its state.

    \b
    Examples:
      extractor verify news/ --db extract.db
      extractor verify news/ --db extract.db --json
    """
    from extractor.cluster.shards import verify as check

    rows = check(open_existing_db(db_path), paths)
    bad = [row for row in rows if row["state"] in {"missing", "failed"}]
    if fmt:
        emit(rows, fmt, columns=["article_id", "state", "detail"])
    elif bad:
        emit(bad, None, title="Articles not stored", columns=["article_id", "state", "detail"])
    counts = {state: sum(row["state"] == state for row in rows)
              for state in ("stored", "duplicate", "failed", "missing")}
    if not fmt:
        console.print(f"{len(rows)} input article(s): " + ", ".join(
            f"{count} {state}" for state, count in counts.items()))
    if bad:
        raise SystemExit(1)
