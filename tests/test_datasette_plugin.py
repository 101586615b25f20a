"""The Datasette plugin: article page, metadata, canned queries and cells, in-process.

The database is built once per session from the seed articles replayed from the cassettes
(articles whose cassette is missing fail in the run and are simply absent), plus one article
whose text and records carry HTML/JS injection attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import shutil
import sqlite3
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import markupsafe
import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from extractor.cli import cli
from extractor.datasette_plugin import Record, build_events, format_value, packaged_metadata
from extractor.store import storage
from tests.conftest import CASSETTES, ROOT, SEEDS

METADATA = ROOT / "extractor" / "datasette_plugin" / "metadata.yaml"
ARTIFACTS = ROOT / "test-artifacts"
RECORD_TABLES = ("meetings", "officials", "initiatives", "targets", "repairs")
INJECTED_ID = "000_injection"  # sorts before the seeds 001..004 (not next to 004)
SCRIPT = "<script>window.__xss = 1; alert(1)</script>"
INJECTED_TEXT = (
    "Zhenjiang (Jiangsu) 2022-05-01. Officials said " + SCRIPT + " and "
    '<img src=x onerror="window.__xss=2"> the city will invest 600 billion yuan by 2025 '
    "in the & \"smart\" 'factory' plan."
)
# the garbled stretch the injected repair replaces
INJECTED_ORIGINAL = "the & \"smart\" 'factory' plan"
INJECTED_REPAIRED = "the <b>Smart Factory</b> plan"
ENV_NAMES = ("EXTRACTOR_MODEL", "EXTRACTOR_BASE_URL", "EXTRACTOR_API_KEY", "OPENAI_API_KEY",
             "EXTRACTOR_MODE")

# -- the seed database ------------------------------------------------------------------------
def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def _record(text: str, evidence: str, **fields: Any) -> dict:
    start, end = _span(text, evidence)
    return {"evidence": evidence, "char_start": start, "char_end": end, "alignment": "exact",
            "matched_text": evidence, "flags": [], **fields}


def add_injected_article(path: Path) -> None:
    """An article whose text and fields try to inject markup, with overlapping records."""
    text = INJECTED_TEXT
    start, end = _span(text, INJECTED_ORIGINAL)
    repaired_text = text[:start] + INJECTED_REPAIRED + text[end:]
    db = storage.open_db(path)
    run_id = next(iter(db.query("SELECT max(id) AS id FROM runs")))["id"] or 1
    evil = '"><script>window.__xss = 3</script>'
    records = {
        "meetings": [_record(text, "Officials said " + SCRIPT, name="Injection meeting" + evil,
                             kind="work meeting", place="Zhenjiang", chaired_by=[], speakers=[])],
        "officials": [
            # nothing in the text: a suspect record without offsets
            {"name": "Evil" + evil, "mentions": [], "title": "mayor", "evidence": "no such span",
             "char_start": None, "char_end": None, "alignment": "none",
             "flags": ["evidence_not_found"]},
        ],
        "initiatives": [_record(text, "'factory' plan", name="factory plan", mentions=[],
                                level="municipal")],
        "targets": [
            # partially overlaps the meeting (crosses its end) and contains the img tag
            _record(text, SCRIPT + ' and <img src=x onerror="window.__xss=2"> the city will '
                    "invest 600 billion yuan", metric="investment" + evil, value=600.0,
                    unit="billion yuan", comparator="=", kind="target", period="2025",
                    region="Zhenjiang"),
            _record(text, "600 billion yuan by 2025", metric="investment by 2025", value=600.0,
                    unit="billion yuan", comparator=">=", kind="target", period="2025",
                    region="Zhenjiang", flags=["value_not_in_evidence"]),
        ],
        "repairs": [
            {**_record(text, INJECTED_ORIGINAL), "original": INJECTED_ORIGINAL,
             "repaired": INJECTED_REPAIRED, "category": "term", "note": evil},
        ],
    }
    for item in records["repairs"]:
        item.pop("evidence")
    storage.save_article(db, run_id, {
        "article_id": INJECTED_ID, "title": "Injected <script>alert(1)</script> title",
        "headline": None, "published": "2022-05-01", "place": "Zhenjiang, Jiangsu",
        "text": text, "repaired_text": repaired_text, "sha256": "0" * 64,
        "source_paths": json.dumps(["seeds/000_injection.txt"]), "extraction_key": "test",
    }, records)
    db.close()


def build_seed_db(path: Path) -> Path:
    """Replay every seed article into `path`, add the injected article, checkpoint the WAL."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ENV_NAMES:
            mp.delenv(name, raising=False)
        mp.setenv("EXTRACTOR_CACHE_DIR", str(path.parent / "cache"))
        result = CliRunner().invoke(
            cli, ["run", str(SEEDS), "--replay", str(CASSETTES), "--db", str(path)],
            catch_exceptions=False,
        )
    conn = sqlite3.connect(path)
    landed = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    assert landed, f"no seed article could be replayed from {CASSETTES}:\n{result.output}"
    add_injected_article(path)
    gc.collect()  # the run's connection, if still referenced somewhere
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file: safe immutable
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


def seed_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's seed database, built on first use and shared by the browser tests (this
    module may be imported twice, as a test module and by test_browser, hence the marker file
    in the session's base temporary folder rather than a module global)."""
    folder = tmp_path_factory.getbasetemp() / "seed-db"
    path, done = folder / "seed.db", folder / "complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        build_seed_db(path)
        done.touch()
    return path


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory)


def query(path: Path, sql: str, params: Any = ()) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def article_ids(path: Path) -> list[str]:
    return [r["article_id"] for r in query(path, "SELECT article_id FROM articles ORDER BY 1")]


def seed_article_ids(path: Path) -> list[str]:
    return [a for a in article_ids(path) if a != INJECTED_ID]


def largest_article(path: Path) -> str:
    return query(path, "SELECT article_id FROM articles WHERE article_id != ? "
                 "ORDER BY length(text) DESC LIMIT 1", [INJECTED_ID])[0]["article_id"]


def grounded(path: Path, article_id: str, table: str | None = None) -> int:
    tables = [table] if table else RECORD_TABLES
    return sum(
        query(path, f"SELECT count(*) AS n FROM [{t}] WHERE article_id = ? "
              "AND char_start IS NOT NULL", [article_id])[0]["n"]
        for t in tables
    )


def write_timing(key: str, line: str) -> None:
    """Keep one line per measurement in test-artifacts/page-load.txt."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "page-load.txt"
    lines = [x for x in (target.read_text().splitlines() if target.exists() else [])
             if not x.startswith(key + ":")]
    target.write_text("\n".join([*lines, f"{key}: {line}"]) + "\n")


# -- in-process Datasette ---------------------------------------------------------------------
def metadata() -> dict:
    return packaged_metadata()


def fetch(path: Path, *urls: str) -> list[httpx.Response]:
    """Pages of plain Datasette on the database, as `datasette -i db` serves them: no metadata
    is given, the plugin brings the packaged metadata."""
    async def run() -> list[httpx.Response]:
        ds = Datasette(immutables=[str(path)])
        await ds.invoke_startup()
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(run())


class TextPane(HTMLParser):
    """Text and highlight elements inside the element with id `root`; checks nesting."""

    def __init__(self, root: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root, self.depth, self.inside, self.done = root, 0, False, False
        self.stack: list[str] = []
        self.parts: list[str] = []
        self.elements: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self.inside and not self.done and values.get("id") == self.root:
            self.inside = True
            return
        if self.inside:
            self.stack.append(tag)
            self.elements.append({"tag": tag, **values})

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if not self.stack:
            self.inside, self.done = False, True
            return
        assert self.stack.pop() == tag, "badly nested highlight markup"

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def pane(html: str, root: str) -> TextPane:
    parser = TextPane(root)
    parser.feed(html)
    assert parser.done, f"#{root} not found or not closed"
    return parser


# -- tests ------------------------------------------------------------------------------------
def test_plugin_is_registered_by_its_entry_point(seed_db: Path) -> None:
    (response,) = fetch(seed_db, "/-/plugins.json")
    plugins = {p["name"]: p for p in response.json()}
    assert "extractor" in plugins, "reinstall the package: pip install -e '.[dev]'"
    assert plugins["extractor"]["templates"] is True
    assert {"register_routes", "render_cell"} <= set(plugins["extractor"]["hooks"])


def test_article_pages_highlight_every_grounded_record(seed_db: Path) -> None:
    ids = article_ids(seed_db)
    responses = fetch(seed_db, *(f"/-/article/{a}" for a in ids))
    for article_id, response in zip(ids, responses, strict=True):
        assert response.status_code == 200, article_id
        html = response.text
        row = query(seed_db, "SELECT text, repaired_text FROM articles WHERE article_id = ?",
                    [article_id])[0]
        original = pane(html, "original-text")
        # the text is rendered exactly once, whatever the overlaps
        assert original.text == row["text"], article_id
        typed = [e for e in original.elements if "data-record-type" in e]
        assert len(typed) == html.count("data-record-type=") == grounded(seed_db, article_id)
        for table in RECORD_TABLES:
            of_type = [e for e in typed if e["data-record-type"] == table]
            assert len(of_type) == grounded(seed_db, article_id, table), (article_id, table)
        for element in typed:
            assert element["id"] == "rec-" + element["data-record-id"]
            assert element["tabindex"] == "0" and element["title"]
        assert len({e["data-record-id"] for e in typed}) == len(typed)
        assert 'id="legend"' in html
        for label in ("Meetings", "Officials", "Initiatives", "Targets", "Repairs", "suspect"):
            assert label in html
        assert 'id="record-tip"' in html
        if row["repaired_text"]:
            assert pane(html, "repaired-text").text == row["repaired_text"]


def test_target_tooltip_carries_value_and_unit(seed_db: Path) -> None:
    article_id = largest_article(seed_db)
    targets = query(seed_db, "SELECT * FROM targets WHERE article_id = ? AND char_start IS NOT "
                    "NULL AND value IS NOT NULL", [article_id])
    assert targets, "the largest seed article has located targets"
    (response,) = fetch(seed_db, f"/-/article/{article_id}")
    elements = {e["data-record-id"]: e for e in pane(response.text, "original-text").elements
                if "data-record-id" in e}
    for target in targets:
        shown = format_value(target["value"], target["unit"])
        assert shown in elements[target["id"]]["title"]
        # the template the JS popup clones
        template = response.text.split(f'<template id="tip-{target["id"]}">', 1)[1]
        assert shown in template.split("</template>", 1)[0]


def test_suspect_records_are_outlined_and_listed(seed_db: Path) -> None:
    (response,) = fetch(seed_db, f"/-/article/{INJECTED_ID}")
    html = response.text
    section = html.split('id="suspect-records"', 1)[1]
    official = f"{INJECTED_ID}:officials:0"  # no offsets: only in the list, as the anchor
    assert f'id="rec-{official}" data-suspect-id="{official}"' in section
    flagged = f"{INJECTED_ID}:targets:1"  # located but flagged: dashed in the text, listed
    element = next(e for e in pane(html, "original-text").elements
                   if e.get("data-record-id") == flagged)
    assert "hl-suspect" in element["class"]
    assert f'data-suspect-id="{flagged}"' in section
    assert "value_not_in_evidence" in section and "evidence_not_found" in section


def test_overlapping_records_render_nested(seed_db: Path) -> None:
    (response,) = fetch(seed_db, f"/-/article/{INJECTED_ID}")
    parsed = pane(response.text, "original-text")
    meeting = f"{INJECTED_ID}:meetings:0"
    target = f"{INJECTED_ID}:targets:0"
    # the target starts inside the meeting and ends after it: one continuation piece
    assert [e.get("data-record-id") for e in parsed.elements].count(target) == 1
    assert [e.get("data-cont-of") for e in parsed.elements].count(target) == 1
    assert [e.get("data-record-id") for e in parsed.elements].count(meeting) == 1


def test_repairs_are_marked_in_the_repaired_text(seed_db: Path) -> None:
    (response,) = fetch(seed_db, f"/-/article/{INJECTED_ID}")
    repaired = pane(response.text, "repaired-text")
    marks = [e for e in repaired.elements if "data-repair-id" in e]
    assert [m["data-repair-id"] for m in marks] == [f"{INJECTED_ID}:repairs:0"]
    assert INJECTED_REPAIRED in repaired.text
    assert "&lt;b&gt;Smart Factory&lt;/b&gt;" in response.text
    seed = seed_article_ids(seed_db)[0]
    (response,) = fetch(seed_db, f"/-/article/{seed}")
    repaired = pane(response.text, "repaired-text")
    repairs = query(seed_db, "SELECT repaired FROM repairs WHERE article_id = ? AND alignment "
                    "IN ('exact', 'normalized') AND flags = '[]'", [seed])
    marked = [e for e in repaired.elements if "data-repair-id" in e]
    assert 0 < len(marked) <= len(repairs)


def test_injected_markup_is_rendered_as_text(seed_db: Path) -> None:
    (response,) = fetch(seed_db, f"/-/article/{INJECTED_ID}")
    html = response.text
    assert response.status_code == 200
    assert "&lt;script&gt;window.__xss = 1; alert(1)&lt;/script&gt;" in html
    assert "<script>window.__xss" not in html and "<script>alert" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    # attribute context: quotes in record fields cannot close the title attribute
    assert '"><script>' not in html
    assert "&#34;&gt;&lt;script&gt;window.__xss = 3&lt;/script&gt;" in html
    assert "Injected &lt;script&gt;alert(1)&lt;/script&gt; title" in html
    assert pane(html, "original-text").text == INJECTED_TEXT


def test_previous_and_next_links(seed_db: Path) -> None:
    ids = article_ids(seed_db)
    first, last = ids[0], ids[-1]
    first_page, last_page = (r.text for r in fetch(seed_db, f"/-/article/{first}",
                                                   f"/-/article/{last}"))
    if len(ids) > 1:
        assert f'href="/-/article/{ids[1]}" rel="next"' in first_page
        assert f'href="/-/article/{ids[-2]}" rel="prev"' in last_page
    assert 'rel="prev"' not in first_page and "(first article)" in first_page
    assert 'rel="next"' not in last_page and "(last article)" in last_page


def test_unknown_article_is_404(seed_db: Path) -> None:
    missing, bad_db, index = fetch(seed_db, "/-/article/no_such_article",
                                   f"/-/article/{INJECTED_ID}?db=nope", "/-/article/")
    assert missing.status_code == 404 and "no_such_article" in missing.text
    assert bad_db.status_code == 404
    assert index.status_code == 302
    assert index.headers["location"] == f"/-/article/{article_ids(seed_db)[0]}"


QUERY_PARAMS = {
    "targets_by_place_and_year": [{"place": "", "year": ""}, {"place": "Zhenjiang",
                                                              "year": "2025"}],
    "articles_mentioning_person": [{"name": ""}],
    "initiatives_and_targets": [{"initiative": ""}, {"initiative": "plan"}],
    "ungrounded_records": [{}],
    "frequent_repairs": [{}],
    "runs_compared": [{}],
    "money_per_place_per_year": [{}],
}


def run_query(path: Path, name: str, params: dict) -> dict:
    url = f"/seed/{name}.json?_shape=objects"
    if params:
        url += "&" + str(httpx.QueryParams(params))
    (response,) = fetch(path, url)
    assert response.status_code == 200, (name, response.text[:500])
    body = response.json()
    assert body.get("ok", True), (name, body)
    return body


def test_canned_queries_all_execute(seed_db: Path) -> None:
    queries = metadata()["databases"]["*"]["queries"]
    assert set(QUERY_PARAMS) <= set(queries)
    for name, runs in QUERY_PARAMS.items():
        for params in runs:
            run_query(seed_db, name, params)


def test_canned_queries_answer_the_questions(seed_db: Path) -> None:
    rows = run_query(seed_db, "targets_by_place_and_year",
                     {"place": "Zhenjiang", "year": "2025"})["rows"]
    assert f"{INJECTED_ID}:targets:0" in {r["record_id"] for r in rows}
    person = query(seed_db, "SELECT name FROM people ORDER BY article_count DESC LIMIT 1")
    if person:
        rows = run_query(seed_db, "articles_mentioning_person",
                         {"name": person[0]["name"]})["rows"]
        assert rows and all(r["person"] == person[0]["name"] for r in rows)
    suspects = sum(
        query(seed_db, f"SELECT count(*) AS n FROM [{t}] WHERE flags != '[]' "
              "OR alignment = 'none'")[0]["n"] for t in RECORD_TABLES)
    assert len(run_query(seed_db, "ungrounded_records", {})["rows"]) == suspects
    repairs = run_query(seed_db, "frequent_repairs", {})["rows"]
    assert repairs and repairs[0]["times"] >= repairs[-1]["times"]
    runs = run_query(seed_db, "runs_compared", {})["rows"]
    assert runs and runs[0]["micro_f1"] is None  # no evals table yet


def test_runs_compared_shows_scores_once_evaluated(seed_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.db"
    shutil.copy(seed_db, path)
    db = storage.open_db(path)
    storage.record_eval(db, "gold", {"micro": {"f1": 0.5, "precision": 0.6, "recall": 0.4}})
    db.close()
    rows = run_query(path, "runs_compared", {})["rows"]
    assert rows[0]["micro_f1"] == 0.5 and rows[0]["total_tokens"] is not None


def test_metadata_titles_facets_and_labels(seed_db: Path) -> None:
    pages = fetch(seed_db, "/seed/targets", "/seed/people", "/seed/trusted_targets",
                  "/seed/officials", "/seed/programmes", "/seed")
    targets, people, trusted, officials, programmes, database = (p.text for p in pages)
    assert all(p.status_code == 200 for p in pages)
    assert "<h1>Quantitative targets" in targets
    for column in ("region", "kind", "unit_family", "year"):
        assert f'id="facet-{column}"' in targets
    assert "<h1>People" in people and "<h1>Trusted quantitative targets" in trusted
    assert "<h1>Programmes" in programmes
    assert 'id="facet-organization"' in officials
    assert "Numbers stating goals" in targets
    assert "Runs compared" in database and "Targets by place and year" in database
    # foreign keys show article titles and person names
    title = query(seed_db, "SELECT title FROM articles WHERE article_id = ?",
                  [seed_article_ids(seed_db)[0]])[0]["title"]
    assert str(markup_escape(title)) in targets
    name = query(seed_db, "SELECT p.name FROM officials o JOIN people p ON p.id = o.person_id "
                 "LIMIT 1")
    if name:
        assert f">{markup_escape(name[0]['name'])}</a>" in officials


def test_every_table_and_column_is_described(seed_db: Path) -> None:
    tables = metadata()["databases"]["*"]["tables"]
    names = [r["name"] for r in query(seed_db, "SELECT name FROM sqlite_master WHERE type IN "
                                      "('table', 'view') AND name NOT LIKE 'sqlite%' AND "
                                      "name NOT LIKE '%_fts%'")]
    missing = []
    for name in names:
        config = tables.get(name) or {}
        if not config.get("title") or not config.get("description"):
            missing.append(name)
        columns = config.get("columns") or {}
        missing += [f"{name}.{c['name']}" for c in query(seed_db, f"PRAGMA table_info([{name}])")
                    if not columns.get(c["name"])]
    assert not missing, f"describe in datasette/metadata.yaml: {missing}"


def markup_escape(text: str) -> str:
    return str(markupsafe.escape(text))


def test_row_pages_link_to_the_highlight(seed_db: Path) -> None:
    target = query(seed_db, "SELECT * FROM targets WHERE article_id != ? AND char_start IS NOT "
                   "NULL ORDER BY id LIMIT 1", [INJECTED_ID])[0]
    encoded = target["id"].replace(":", "~3A")
    row_page, table_page = (r.text for r in fetch(seed_db, f"/seed/targets/{encoded}",
                                                  "/seed/targets"))
    link = f'href="/-/article/{target["article_id"]}#rec-{target["id"]}"'
    assert link in row_page and link in table_page
    assert format_value(target["value"], target["unit"]) in row_page
    for table in ("officials", "initiatives", "meetings"):
        row = query(seed_db, f"SELECT id, article_id FROM [{table}] LIMIT 1")[0]
        (page,) = fetch(seed_db, f"/seed/{table}/{row['id'].replace(':', '~3A')}")
        assert f'href="/-/article/{row["article_id"]}#rec-{row["id"]}"' in page.text


def test_largest_article_renders_quickly(seed_db: Path) -> None:
    article_id = largest_article(seed_db)

    async def run() -> tuple[float, float]:
        ds = Datasette(immutables=[str(seed_db)], metadata=metadata())
        await ds.invoke_startup()
        started = time.perf_counter()
        await ds.client.get(f"/-/article/{article_id}")
        first = time.perf_counter() - started
        started = time.perf_counter()
        response = await ds.client.get(f"/-/article/{article_id}")
        assert response.status_code == 200
        return first, time.perf_counter() - started

    first, warm = asyncio.run(run())
    line = (f"{article_id} server render {first * 1000:.0f} ms (first, template compile), "
            f"{warm * 1000:.0f} ms (warm)")
    print(line)
    write_timing("server", line)
    assert warm < 2.0


# -- segments ---------------------------------------------------------------------------------
def _rec(rid: str, start: int | None, end: int | None, order: int = 0) -> Record:
    return Record(id=rid, type="targets", label="Target", name=rid, start=start, end=end,
                  suspect=False, fields=[], row_url="", order=order)


def _coverage(text: str, events: list) -> tuple[str, list[set[str]]]:
    out, covered, stack = [], [], []
    for ev in events:
        if ev.kind == "open":
            stack.append(ev.record.id)
        elif ev.kind == "close":
            stack.pop()
        else:
            out.append(ev.text)
            covered.extend(set(stack) for _ in ev.text)
    assert not stack
    return "".join(out), covered


@pytest.mark.parametrize("spans", [
    [(0, 10), (5, 15)],                       # crossing
    [(0, 20), (5, 10), (5, 10)],              # nested and identical
    [(2, 8), (8, 12), (0, 30)],               # touching inside an outer one
    [(3, 3), (0, 5)],                         # empty span
    [(25, 99), (-4, 2), (10, 12)],            # out of range, clamped
    [(0, 9), (3, 14), (6, 20), (1, 2)],       # chain of crossings
])
def test_build_events_covers_each_character_once(spans: list[tuple[int, int]]) -> None:
    text = "abcdefghijklmnopqrstuvwxyz0123"
    records = [_rec(f"r{i}", s, e, i) for i, (s, e) in enumerate(spans)]
    records.append(_rec("unlocated", None, None, 99))
    events = build_events(text, records)
    rendered, covered = _coverage(text, events)
    assert rendered == text
    for index in range(len(text)):
        expected = {f"r{i}" for i, (s, e) in enumerate(spans)
                    if max(s, 0) <= index < min(e, len(text))}
        assert covered[index] == expected, index
    firsts = [ev.record.id for ev in events if ev.kind == "open" and not ev.continued]
    assert sorted(firsts) == sorted(f"r{i}" for i in range(len(spans)))


def test_format_value() -> None:
    assert format_value(600.0, "billion yuan") == "600 billion yuan"
    assert format_value(15.1, "%") == "15.1%"
    assert format_value(600.0, "billion yuan", ">") == "> 600 billion yuan"
    assert format_value(1234567.0, "yuan") == "1,234,567 yuan"
    assert format_value(2024.0, "year") == "2024 year"
    assert format_value(3, None) == "3"
    assert format_value(None, "%") == ""


def test_metadata_given_with_the_command_wins_over_the_packaged_metadata(seed_db: Path) -> None:
    async def run() -> str:
        ds = Datasette(immutables=[str(seed_db)], metadata={
            "databases": {"seed": {"tables": {"targets": {"title": "My own targets"}}}}})
        await ds.invoke_startup()
        return (await ds.client.get("/seed/targets")).text

    page = asyncio.run(run())
    assert "<h1>My own targets" in page
    assert 'id="facet-region"' in page  # the rest of the packaged section still applies


def test_one_list_of_flags_everywhere(seed_db: Path) -> None:
    """models.FLAGS is the list: the home page, the flags column description and the README's
    flag table all show exactly it."""
    from extractor.models import FLAGS

    home, targets = (page.text for page in fetch(seed_db, "/", "/seed/targets"))
    assert all(f"<code>{name}</code>" in home for name in FLAGS)
    flags_description = metadata()["databases"]["*"]["tables"]["targets"]["columns"]["flags"]
    assert all(name in flags_description for name in FLAGS) and "{flags}" not in targets
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| flag | meaning |"):]
    table = table[:table.index("\n\n")]
    assert re.findall(r"^\| `([a-z_]+)` \|", table, re.M) == list(FLAGS)


def test_internal_tables_are_hidden_from_the_table_list(seed_db: Path) -> None:
    (database,) = fetch(seed_db, "/seed.json")
    shown = {table["name"] for table in database.json()["tables"] if not table["hidden"]}
    assert {"articles", "targets", "officials", "runs"} <= shown
    assert not shown & {"llm_calls", "stage_results", "article_versions", "_migrations"}


def test_money_per_place_per_year_sums_in_one_unit(seed_db: Path) -> None:
    """The analyst's question: money committed per city per year, in yuan."""
    rows = run_query(seed_db, "money_per_place_per_year", {})["rows"]
    assert rows, "no money figures with a year on the seeds"
    targets = query(seed_db, "SELECT t.value, t.unit, t.year, coalesce(p.city, p.name) AS "
                    "place, p.province, t.kind FROM targets t LEFT JOIN places p ON "
                    "p.id = t.place_id WHERE t.unit_family = 'yuan' AND t.year IS NOT NULL")
    scale = {"billion yuan": 1e9, "million yuan": 1e6, "100 million yuan": 1e8, "yuan": 1.0,
             "ten thousand yuan": 1e4}
    expected: dict[tuple, float] = {}
    for target in targets:  # the verbatim value and unit, converted here independently
        key = (target["province"], target["place"], target["year"], target["kind"])
        expected[key] = expected.get(key, 0.0) + target["value"] * scale[target["unit"]]
    got = {(row["province"], row["place"], row["year"], row["kind"]): row["yuan"] for row in rows}
    assert got.keys() == expected.keys()
    assert all(abs(got[key] - expected[key]) < 1e-6 * expected[key] for key in got)
    assert all(row["100 million yuan"] == round(row["yuan"] / 1e8, 2) for row in rows)


def test_json_list_columns_read_as_lists(seed_db: Path) -> None:
    row = query(seed_db, "SELECT id, mentions FROM officials WHERE json_array_length(mentions) "
                ">= 1 LIMIT 1")[0]
    (page,) = fetch(seed_db, "/seed/officials")
    first = json.loads(row["mentions"])[0]
    assert f'<span class="extractor-list">{markup_escape(first)}' in page.text
    assert "[&#34;" not in page.text and '["' not in page.text.split("<table")[1]
