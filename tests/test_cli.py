from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from extractor.cli import cli
from extractor.config import ConfigError
from extractor.store import storage
from extractor.testing.serving import (
    children_of,
    extractor_command,
    free_port,
    port_open,
    start_serving,
)
from tests.conftest import CASSETTES, SEEDS, invoke

GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "gold"



def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the CLI, subcommands of groups included (as sqlite-utils' docs test)."""
    paths = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


@pytest.mark.parametrize("command", _command_paths(cli), ids=" ".join)
def test_every_command_has_help_with_examples(command: tuple[str, ...]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output, f"`extractor {' '.join(command)} --help` has no example"


def test_the_help_test_sees_every_command() -> None:
    assert {"run", "status", "tokens", "diff", "export", "schemas", "eval", "serve"} <= {
        path[0] for path in _command_paths(cli)} and ("glossary", "suggest") in _command_paths(cli)


def test_run_replay_then_export(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = invoke("run", str(seed), "--replay", str(CASSETTES), "--db", str(db))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.jsonl"
    assert invoke("export", "--db", str(db), "-o", str(out)).exit_code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [obj["article_id"] for obj in lines] == [seed.stem]
    keys = {"article_id", "title", "published", "place", "meetings", "officials",
            "initiatives", "targets", "repairs"}
    assert keys <= set(lines[0])
    target = lines[0]["targets"][0]
    assert list(target)[:9] == ["metric", "value", "unit", "comparator", "kind", "period",
                                "region", "initiative", "evidence"]


def test_all_failed_exits_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = CliRunner().invoke(cli, ["run", str(bad), "--replay", str(CASSETTES),
                                      "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "empty article" in " ".join(result.output.split())


def test_replay_and_record_are_exclusive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--replay", str(CASSETTES),
                                      "--record", str(tmp_path)])
    assert result.exit_code == 2 and "cannot be combined" in result.output


def test_config_errors_are_clean_for_users(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--base-url", "http://localhost:1/v1",
                                      "--db", str(tmp_path / "x.db")])
    assert result.exit_code == ConfigError.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    assert "Error: --model" in result.output and "Traceback" not in result.output


def test_every_project_error_is_an_extractor_error() -> None:
    from extractor import errors

    classes = [value for value in vars(errors).values()
               if isinstance(value, type) and issubclass(value, Exception)]
    assert len(classes) > 5 and all(issubclass(cls, errors.ExtractorError) for cls in classes)


def test_a_bug_keeps_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug, not a user error")

    monkeypatch.setattr("extractor.cli.storage.open_db", broken)
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    result = CliRunner().invoke(cli, ["tokens", "--db", str(db)])
    assert isinstance(result.exception, KeyError)


def test_schemas_command(tmp_path: Path) -> None:
    result = invoke("schemas", "--dir", str(tmp_path))
    assert result.exit_code == 0
    assert (tmp_path / "QuantitativeTarget.json").exists()


def test_serve_refuses_public_interface_without_flag(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    result = CliRunner().invoke(cli, ["serve", "--db", str(db), "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "--public" in result.output


@pytest.mark.skipif(not GOLD.is_dir(), reason="shared gold annotations not present")
def test_eval_stores_scores(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert invoke("run", str(SEEDS), "--replay", str(CASSETTES), "--db", str(db)).exit_code == 0
    result = invoke("eval", "--gold", str(GOLD), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "micro" in result.output
    import sqlite_utils

    evals = list(sqlite_utils.Database(db)["evals"].rows)
    assert len(evals) == 1 and 0 < evals[0]["micro_f1"] <= 1


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_server_when_stopped(tmp_path: Path, stop_signal: signal.Signals
                                             ) -> None:
    db = tmp_path / "x.db"
    storage.open_db(db).close()
    port = free_port()
    served = start_serving([*extractor_command(), "serve", "--db", str(db),
                            "--port", str(port)], port)
    try:
        assert children_of(served.process.pid) == []  # Datasette runs in the command's process
        with urllib.request.urlopen(served.base + "/") as response:
            assert "extractor" in response.read().decode()  # the packaged metadata's title
        served.process.send_signal(stop_signal)  # the command alone, not its process group
        assert served.process.wait(15) is not None
        assert not port_open(port), "the port is still served after the command stopped"
    finally:
        served.stop(signal.SIGKILL)


# -- commands that fail loudly: a clear error, a non-zero exit, and no file created ----------

@pytest.fixture(scope="module")
def replayed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("replayed") / "seeds.db"
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = CliRunner().invoke(cli, ["run", str(seed), "--replay", str(CASSETTES),
                                      "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def _evals(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        return conn.execute("SELECT count(*) FROM evals").fetchone()[0] if "evals" in tables else 0


def test_eval_with_no_gold_article_fails_and_stores_nothing(replayed_db: Path,
                                                            tmp_path: Path) -> None:
    empty = tmp_path / "gold"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an annotation")
    before = _evals(replayed_db)
    result = CliRunner().invoke(cli, ["eval", "--gold", str(empty), "--db", str(replayed_db)])
    assert result.exit_code == 1 and "no gold article" in result.output
    assert "1.000" not in result.output and _evals(replayed_db) == before


def test_eval_with_gold_about_other_articles_fails(replayed_db: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "other.json").write_text(json.dumps({"article_id": "other", "targets": []}))
    result = CliRunner().invoke(cli, ["eval", "--gold", str(gold), "--db", str(replayed_db)])
    assert result.exit_code == 1 and "none of the 1 gold articles" in result.output


def test_eval_with_broken_gold_file_names_it(replayed_db: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "broken.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["eval", "--gold", str(gold), "--db", str(replayed_db)])
    assert result.exit_code == 1 and "broken.json is not valid JSON" in result.output


def test_diff_of_runs_that_do_not_exist_fails(replayed_db: Path) -> None:
    result = CliRunner().invoke(cli, ["diff", "7", "99", "--db", str(replayed_db)])
    assert result.exit_code == 1
    assert "no run 7 or 99" in result.output and "its runs: 1" in result.output
    assert "no change" not in result.output


@pytest.mark.parametrize("command", [
    ["status", str(SEEDS)], ["eval", "--gold", str(SEEDS)], ["diff", "1", "2"], ["tokens"],
    ["export"], ["serve"], ["run", str(SEEDS), "--dry-run"]])
def test_commands_on_a_missing_database_fail_and_create_nothing(command: list[str],
                                                                 tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, [*command, "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert f"database not found: {db}" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # no file, no -wal, no -shm


# -- CLI conventions: output formats, pipes, limits, provenance ---------------------------

def test_run_limit_and_the_command_as_typed(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.db"
    argv = ["extractor", "run", str(SEEDS), "--replay", str(CASSETTES), "--db", str(db),
            "--limit", "2"]
    monkeypatch.setattr("sys.argv", argv)
    result = CliRunner().invoke(cli, argv[1:])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert conn.execute("SELECT command FROM runs").fetchone()[0] == " ".join(argv)


def test_status_without_paths_uses_the_stored_source_files(replayed_db: Path) -> None:
    with_paths = invoke("status", str(sorted(SEEDS.glob("*.txt"))[0]), "--db", str(replayed_db),
                        "--json")
    without = invoke("status", "--db", str(replayed_db), "--json")
    assert without.exit_code == 0 and json.loads(without.output) == json.loads(with_paths.output)
    assert {row["state"] for row in json.loads(without.output)} == {"up to date"}


@pytest.mark.parametrize("command", [["status"], ["tokens"], ["tokens", "--per-article"],
                                     ["eval", "--gold", "GOLD"], ["diff", "1", "1"]])
def test_reporting_commands_print_json_csv_and_nl(command: list[str], replayed_db: Path,
                                                  tmp_path: Path) -> None:
    if "GOLD" in command:
        gold = tmp_path / "gold"
        gold.mkdir()
        seed = sorted(SEEDS.glob("*.txt"))[0].stem
        (gold / f"{seed}.json").write_text(json.dumps({"article_id": seed, "targets": []}))
        command = [str(gold) if part == "GOLD" else part for part in command]
    outputs = {fmt: invoke(*command, "--db", str(replayed_db), f"--{fmt}")
               for fmt in ("json", "csv", "nl")}
    assert all(result.exit_code == 0 for result in outputs.values()), outputs
    parsed = json.loads(outputs["json"].output)
    lines = [json.loads(line) for line in outputs["nl"].output.splitlines()]
    header = outputs["csv"].output.splitlines()[0] if outputs["csv"].output else ""
    if command[0] == "eval":  # --json is the full report; --csv/--nl the table's rows
        assert "micro" in parsed and [row["type"] for row in lines][-1] == "micro"
    else:
        assert parsed == lines
    if lines:
        assert header.split(",") == list(lines[0])


def test_export_json_and_csv(replayed_db: Path) -> None:
    as_lines = [json.loads(line) for line in invoke("export", "--db", str(replayed_db)).output
                .splitlines()]
    assert json.loads(invoke("export", "--db", str(replayed_db), "--json").output) == as_lines
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(invoke("export", "--db", str(replayed_db),
                                                   "--format", "csv").output)))
    assert len(rows) == sum(len(article[table]) for article in as_lines
                            for table in ("meetings", "officials", "initiatives", "targets",
                                          "repairs"))
    assert {row["record_type"] for row in rows} == {"meetings", "officials", "initiatives",
                                                    "targets", "repairs"}


def test_tables_are_full_width_when_piped(replayed_db: Path) -> None:
    result = subprocess.run([*extractor_command(), "status", "--db", str(replayed_db)],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "000_3911936b9cb8e675" in result.stdout and "…" not in result.stdout


def test_export_into_a_closed_pipe_ends_quietly(replayed_db: Path) -> None:
    export = subprocess.Popen([*extractor_command(), "export", "--db", str(replayed_db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout is not None
    export.stdout.read(10)
    export.stdout.close()  # like `| head -c 10`
    stderr = export.stderr.read().decode() if export.stderr else ""
    export.wait(30)
    assert "Broken pipe" not in stderr and "Traceback" not in stderr and "Error" not in stderr
