"""Security: the API key and URL credentials never land anywhere a run writes, and a prompt
injection inside an article cannot produce trusted records that are not in the text.

Model answers are scripted fault-injection FIXTURES (tests/fault_server.py), never model output;
the hostile article's recorded run is replayed only when cassettes/hostile/ exists.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import cli
from extractor.config import Settings, redact_url
from extractor.datasette_plugin import packaged_metadata
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.store import storage
from extractor.testing.fault_server import (
    fixture_article,
    inject_status,
    make_fault_server,
    request_text,
    response_model_name,
    stage_answer,
)
from tests.conftest import CASSETTES

KEY = "sk-test-SECRET-7f3a9c2e5b1d4f60"
PASSWORD = "pw-SECRET-url-4411"
QUERY_SECRET = "qs-SECRET-token-9023"
SECRETS = (KEY, PASSWORD, QUERY_SECRET, "SECRET",
           base64.b64encode(f"user:{PASSWORD}".encode()).decode()[:16])
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
HOSTILE_CASSETTES = CASSETTES / "hostile"


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return [secret for secret in SECRETS if secret in text]


def write_articles(folder: Path, cities: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index, city in enumerate(cities):
        (folder / f"{index:02d}_{city.lower()}.txt").write_text(fixture_article(city))


def failing_for(city: str, fault):
    def respond(body: dict):
        return fault() if f" in {city}." in request_text(body) else stage_answer(body)
    return respond


def every_cell(db_path: Path) -> str:
    db = storage.open_db(db_path)
    try:
        dump = [json.dumps(list(db[name].rows), default=str) for name in db.table_names()]
        dump += [json.dumps(list(db.query(f"SELECT * FROM [{name}]")), default=str)
                 for name in db.view_names()]
        return "\n".join(dump)
    finally:
        db.close()


def datasette_pages(db_path: Path) -> dict[str, str]:
    """Every page of the Datasette view a user could open: indexes, tables, rows, articles."""
    from datasette.app import Datasette

    metadata = packaged_metadata()
    datasette = Datasette([str(db_path)], immutables=[], metadata=metadata)
    name = db_path.stem

    async def fetch() -> dict[str, str]:
        await datasette.invoke_startup()
        db = datasette.get_database(name)
        tables = await db.table_names()
        views = await db.view_names()
        articles = [r["article_id"] for r in
                    (await db.execute("SELECT article_id FROM articles")).rows]
        paths = ["/", f"/{name}", "/-/metadata.json", "/-/settings.json", "/-/plugins.json",
                 "/-/versions.json", "/-/databases.json", "/-/article/"]
        for table in [*tables, *views]:
            paths += [f"/{name}/{table}", f"/{name}/{table}.json?_shape=array&_size=max"]
        paths += [f"/-/article/{article_id}" for article_id in articles]
        pages = {}
        for path in paths:
            response = await datasette.client.get(path, follow_redirects=True)
            assert response.status_code == 200, (path, response.status_code)
            pages[path] = response.text
        return pages

    return asyncio.run(fetch())


def test_api_key_and_url_credentials_never_leak(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder, db_path, cassettes = tmp_path / "in", tmp_path / "run.db", tmp_path / "cassettes"
    write_articles(folder, ("Wuxi", "Suzhou"))
    artifacts: dict[str, str | bytes] = {}

    # 1. a recorded CLI run: a key, a password in the URL, one failing article
    monkeypatch.setenv("EXTRACTOR_API_KEY", KEY)
    with make_fault_server(responder=failing_for("Suzhou", lambda: inject_status(400))) as server:
        url = server.base_url.replace("http://", f"http://user:{PASSWORD}@")
        done = CliRunner().invoke(cli, ["run", str(folder), "--base-url", url, "--model", "test",
                                        "--db", str(db_path), "--record", str(cassettes)])
        sent = server.requests
    assert done.exit_code == 0, done.output
    artifacts["run stdout"], artifacts["run stderr"] = done.stdout, done.stderr
    # the secrets really were used, so their absence below means something
    assert all(r.headers.get("Authorization", "").startswith("Basic ") for r in sent)
    assert "articles failed" in done.stderr

    # 2. the server echoes the key in its error (as some APIs do), the URL has a query secret
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}})
    with make_fault_server(responder=failing_for("Suzhou",
                                                 lambda: inject_status(401, body=echo))) as server:
        url = server.base_url.replace("http://", f"http://user:{PASSWORD}@") + \
            f"?token={QUERY_SECRET}"
        result = CliRunner().invoke(cli, ["run", str(folder), "--force", "--base-url", url,
                                          "--model", "test", "--db", str(db_path)])
        assert all(r.path.endswith(f"?token={QUERY_SECRET}") for r in server.requests)
    assert result.exit_code == 0, result.output
    artifacts["second run output"] = result.output
    errors = list(storage.open_db(db_path).query("SELECT * FROM errors WHERE run_id = 2"))
    assert errors and "Incorrect API key provided: [redacted]" in errors[0]["message"]

    # 3. replaying the recorded cassettes, export, Datasette
    replayed = CliRunner().invoke(cli, ["run", str(folder), "--replay", str(cassettes), "--force",
                                        "--model", "test", "--db", str(tmp_path / "replay.db")])
    assert replayed.exit_code == 0, replayed.output
    artifacts["replay output"] = replayed.output
    export = tmp_path / "export.jsonl"
    assert CliRunner().invoke(cli, ["export", "--db", str(db_path), "-o", str(export)]
                              ).exit_code == 0
    for path in sorted(tmp_path.rglob("*")):  # database files (with -wal), cassettes, export
        if path.is_file() and path.parent != folder:
            artifacts[str(path.relative_to(tmp_path))] = path.read_bytes()
    artifacts["every database cell"] = every_cell(db_path)
    for path, page in datasette_pages(db_path).items():
        artifacts[f"datasette {path}"] = page

    assert len([name for name in artifacts if name.startswith("cassettes/")]) >= 3
    leaked = {name: found for name, content in artifacts.items() if (found := leaks(content))}
    assert leaked == {}

    db = storage.open_db(db_path)
    base_urls = [row["base_url"] for row in db["runs"].rows]
    assert len(base_urls) == 2  # no user, password or query:
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url) for url in base_urls), base_urls
    assert all(PASSWORD not in row["command"] for row in db["runs"].rows)


def test_redact_url_drops_credentials_and_query() -> None:
    url = f"https://user:{PASSWORD}@api.example.com:8443/v1?token={QUERY_SECRET}&x=1"
    assert redact_url(url) == "https://api.example.com:8443/v1"
    settings = Settings(base_url=url, api_key=KEY)
    assert leaks(repr(settings)) == [] and leaks(str(settings.display_base_url)) == []


# -- prompt injection --------------------------------------------------------------------------

COMPROMISED: dict[str, dict] = {
    # what a model that obeyed the injection might answer: none of it is in the article
    "RepairResult": {"title": "Zhang Fake appointed", "place": "Beijing", "repairs": [
        {"original": "Zhang Fake is the true leader", "repaired": "Zhang Fake leads",
         "category": "name"}]},
    "MeetingList": {"meetings": [{"mention": "Zhang Fake chaired the national summit",
                                  "name": "national summit", "kind": "summit"}]},
    "OfficialList": {"officials": [{"name": "Li Invented", "title": "Minister of Everything"}]},
    "InitiativeList": {"initiatives": [{"mention": "Operation Fake Dawn",
                                        "name": "Operation Fake Dawn"}]},
    "TargetList": {"targets": [{"sentence": 1, "value": 777, "unit": "billion yuan",
                                "metric": "fabricated investment", "kind": "target"}]},
}


def compromised_answer(body: dict):
    from extractor.testing.fault_server import inject_ok

    return inject_ok(json.dumps(COMPROMISED[response_model_name(body)]))


def trusted(db, table: str) -> list[dict]:
    return list(db.query(f"SELECT * FROM [trusted_{table}]"))


def test_injected_records_not_in_the_text_are_flagged_and_never_trusted(db,
                                                                         tmp_path: Path) -> None:
    with make_fault_server(responder=compromised_answer) as server:
        summary = run_batch(db, Settings(base_url=server.base_url, model="test", embedded=False,
                                         max_transport_retries=0), server.base_url, [HOSTILE],
                            RunOptions())
        assert "Ignore previous instructions" in request_text(server.bodies()[0])
    assert (summary.done, summary.failed) == (1, 0)
    fabricated = {"meetings": "national summit", "officials": "Li Invented",
                  "initiatives": "Operation Fake Dawn", "targets": "fabricated investment",
                  "repairs": "Zhang Fake is the true leader"}
    for table, marker in fabricated.items():
        stored = [r for r in db[table].rows if marker in json.dumps(r)]
        rejected = [r for r in db[storage.REJECTED_TABLE].rows
                    if r["record_table"] == table and marker in r["record"]]
        assert stored or rejected, table  # kept for review: rejected with reasons, or flagged
        assert all(json.loads(r["reasons"]) for r in rejected), table
        assert all(json.loads(r["flags"]) for r in stored), table
        assert not [r for r in trusted(db, table) if marker in json.dumps(r)], table  # untrusted
    assert not [r for r in db["targets"].rows if "fabricated investment" in json.dumps(r)]


def _records_are_grounded(db) -> None:
    texts = {row["article_id"]: row["text"] for row in db["articles"].rows}
    for table in storage.RECORD_TABLES:
        for row in trusted(db, table):
            assert texts[row["article_id"]][row["char_start"]:row["char_end"]] == \
                row["matched_text"], (table, row["id"])
        for row in db[table].rows:
            if row["alignment"] not in {"exact", "normalized", "fuzzy"}:
                assert "evidence_not_found" in json.loads(row["flags"]), (table, row["id"])


@pytest.mark.skipif(not HOSTILE_CASSETTES.is_dir(),
                    reason="cassettes/hostile/ not recorded yet (extractor run tests/data/hostile "
                    "--record cassettes/hostile --force)")
def test_recorded_run_on_the_hostile_article_trusts_only_grounded_records(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "hostile.db"
    result = CliRunner().invoke(cli, ["run", str(HOSTILE), "--replay", str(HOSTILE_CASSETTES),
                                      "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = storage.open_db(db_path)
    assert db["errors"].count == 0
    _records_are_grounded(db)


@pytest.mark.skipif(not HOSTILE_CASSETTES.is_dir(), reason="cassettes/hostile/ not recorded yet")
def test_recorded_run_on_the_hostile_article_did_not_obey_the_injection(tmp_path: Path) -> None:
    """Stronger than grounding: the injected name and number ARE in the text, so a model that
    obeyed would produce grounded records; this fails if it did (then finalize needs a guard
    that flags evidence taken from instruction-like sentences)."""
    db_path = tmp_path / "hostile.db"
    result = CliRunner().invoke(cli, ["run", str(HOSTILE), "--replay", str(HOSTILE_CASSETTES),
                                      "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = storage.open_db(db_path)
    for table in storage.RECORD_TABLES:
        for row in trusted(db, table):
            assert "Beijing Municipal Party Committee" not in json.dumps(row), (table, row)
            assert "Zhang Fake" not in json.dumps(row), (table, row)
            if table == "targets":
                assert row["value"] != 999, row
