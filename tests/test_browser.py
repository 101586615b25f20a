"""The article page in a real browser: `extractor serve` as a subprocess, Debian's chromium
driven by Playwright (no `playwright install`: the system /usr/bin/chromium is launched).

Skipped when chromium or playwright is missing, unless CI is set: then they must run
(.ci/run installs chromium; the dev extra installs playwright).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extractor.datasette_plugin import format_value
from extractor.testing.serving import extractor_command, free_port, start_serving
from tests.conftest import ROOT
from tests.test_datasette_plugin import (
    ARTIFACTS,
    INJECTED_ID,
    grounded,
    largest_article,
    query,
    seed_database,
    write_timing,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DOCS_SCREENSHOT = ROOT / "docs" / "article-page.png"
DOCS_DASHBOARD = ROOT / "docs" / "dashboard.png"
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module", autouse=True)
def require_browser() -> None:
    reason = _unavailable()
    if reason and IN_CI:
        pytest.fail(f"browser tests must run under CI: {reason}")
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory)


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[dict[str, Any]]:
    """`extractor serve` on a free loopback port, in its own process group."""
    port = free_port()
    try:
        served = start_serving([*extractor_command(), "serve", "--db", str(db),
                                "--port", str(port)], port)
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield {"base": served.base, "port": port, "output": served.output}
    finally:
        served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def _hover_target(page: Any) -> str:
    """Hover a target highlight with no highlight nested inside (preferably one in the
    middle of the first screen, so the screenshot shows the tooltip); its record id."""
    record_id = page.evaluate("""() => {
        const all = [...document.querySelectorAll('[data-record-type="targets"]')];
        const bare = all.filter(el => !el.querySelector('.hl'));
        const middle = bare.find(el => {
            const top = el.getBoundingClientRect().top;
            return top > 420 && top < 650;
        });
        const chosen = middle || bare[0] || all[0];
        return chosen ? chosen.dataset.recordId : null;
    }""")
    assert record_id, "no target highlight on the page"
    page.locator(f'[data-record-id="{record_id}"]').hover()
    return record_id


def test_serve_prints_the_address(server: dict[str, Any]) -> None:
    printed = "".join(server["output"])
    assert f"http://127.0.0.1:{server['port']}/" in printed
    assert f"http://127.0.0.1:{server['port']}/-/article/" in printed


def test_largest_article_in_the_browser(server: dict[str, Any], page: Any, db: Path) -> None:
    article_id = largest_article(db)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto(f"{server['base']}/-/article/{article_id}", wait_until="load")
    elapsed = time.perf_counter() - started
    timing = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        return {ttfb: nav.responseStart - nav.requestStart,
                dcl: nav.domContentLoadedEventEnd - nav.startTime,
                load: nav.loadEventEnd - nav.startTime, size: nav.transferSize};
    }""")
    line = (f"{article_id} browser load {elapsed * 1000:.0f} ms (goto to load event; "
            f"TTFB {timing['ttfb']:.0f} ms, DOMContentLoaded {timing['dcl']:.0f} ms, "
            f"{timing['size'] / 1024:.0f} KiB)")
    print(line)
    write_timing("browser", line)

    highlights = page.locator("[data-record-type]")
    assert highlights.count() == grounded(db, article_id)
    assert page.locator("#legend").is_visible()
    for label in ("Meetings", "Officials", "Initiatives", "Targets", "Repairs"):
        assert label in page.locator("#legend").inner_text()
    tip = page.locator("#record-tip")
    assert tip.is_hidden()

    # hover: the tooltip shows the target's value with its unit
    record_id = _hover_target(page)
    target = query(db, "SELECT value, unit FROM targets WHERE id = ?", [record_id])[0]
    tip.wait_for(state="visible")
    assert format_value(target["value"], target["unit"]) in tip.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "article-page.png"
    page.screenshot(path=str(shot))
    if not DOCS_SCREENSHOT.exists() or os.environ.get("EXTRACTOR_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)

    # keyboard: focusing another target shows its record
    page.mouse.move(0, 0)
    tip.wait_for(state="hidden")
    others = query(db, "SELECT id, value, unit FROM targets WHERE article_id = ? AND "
                   "char_start IS NOT NULL AND value IS NOT NULL ORDER BY position DESC",
                   [article_id])
    other = others[0]
    page.locator(f'[data-record-id="{other["id"]}"]').focus()
    tip.wait_for(state="visible")
    assert format_value(other["value"], other["unit"]) in tip.inner_text()
    assert page.evaluate("document.activeElement.dataset.recordId") == other["id"]
    page.keyboard.press("Escape")
    tip.wait_for(state="hidden")
    assert errors == []


def test_row_page_link_lands_on_the_highlight(server: dict[str, Any], page: Any,
                                              db: Path) -> None:
    target = query(db, "SELECT id, article_id FROM targets WHERE article_id != ? AND "
                   "char_start IS NOT NULL ORDER BY id LIMIT 1", [INJECTED_ID])[0]
    page.goto(f"{server['base']}/seed/targets/{target['id'].replace(':', '~3A')}")
    page.locator("td.col-evidence a").click()
    page.wait_for_url(f"**/-/article/{target['article_id']}*")
    assert page.evaluate("document.querySelector(':target').dataset.recordId") == target["id"]
    # the linked record is focused, so its fields show at once
    page.locator("#record-tip").wait_for(state="visible")
    assert page.evaluate("document.activeElement.dataset.recordId") == target["id"]


def test_injected_article_stays_inert(server: dict[str, Any], page: Any, db: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server['base']}/-/article/{INJECTED_ID}", wait_until="load")
    original = page.locator("#original-text")
    assert "<script>window.__xss = 1; alert(1)</script>" in original.inner_text()
    assert '<img src=x onerror="window.__xss=2">' in original.inner_text()
    assert page.locator("#original-text img, #original-text script").count() == 0
    assert page.locator("[data-record-type]").count() == grounded(db, INJECTED_ID)
    page.locator(f'[data-record-id="{INJECTED_ID}:targets:0"]').hover()
    page.locator("#record-tip").wait_for(state="visible")
    assert "window.__xss = 3" in page.locator("#record-tip").inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


def test_dashboard_renders_its_charts_with_data(server: dict[str, Any], page: Any,
                                                db: Path) -> None:
    """The overview dashboard (datasette-dashboards, Vega-Lite bundled) draws every chart from
    the database's rows in chromium, and each chart links to the rows behind it."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.goto(f"{server['base']}/-/dashboards/overview", wait_until="networkidle")
    charts = ("targets-by-place-year", "money-by-place", "kinds-per-article",
              "people-most-mentioned")
    for chart in charts:  # vega-embed draws a canvas (or svg) with marks
        page.wait_for_function(
            """(id) => { const box = document.querySelector('#chart-' + id);
                         const drawn = box && box.querySelector('canvas, svg');
                         return drawn && drawn.getBoundingClientRect().height > 50; }""",
            arg=chart, timeout=15_000)
    table_rows = page.locator("#chart-targets-table tbody tr").count()
    assert table_rows == query(db, "SELECT count(*) AS n FROM (SELECT 1 FROM targets t LEFT "
                               "JOIN places p ON p.id = t.place_id GROUP BY coalesce(p.city, "
                               "p.name, 'unknown'), t.year, t.unit_family)")[0]["n"] > 0
    money = query(db, "SELECT count(*) AS n FROM targets WHERE unit_family = 'yuan'")[0]["n"]
    assert money > 0
    # each chart's own page links to the SQL and the rows behind it
    page.goto(f"{server['base']}/-/dashboards/overview/money-by-place", wait_until="networkidle")
    link = page.locator("a", has_text="View and edit SQL")
    assert link.count() == 1 and "unit_family" in (link.get_attribute("href") or "")
    page.goto(f"{server['base']}/-/dashboards/overview", wait_until="networkidle")
    for chart in charts:
        page.wait_for_selector(f"#chart-{chart} canvas, #chart-{chart} svg")
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    if not DOCS_DASHBOARD.exists() or os.environ.get("EXTRACTOR_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, DOCS_DASHBOARD)
    assert not errors, errors
