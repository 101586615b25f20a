"""The wheel works outside the source tree: prompts, termbase and Datasette metadata are
package data. Builds the wheel, installs it with its dependencies into a fresh virtualenv in a
temporary folder, and runs `extractor run --replay` and `extractor serve` from there."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from extractor.testing.serving import free_port, start_serving
from tests.conftest import CASSETTES, ROOT, SEEDS

PACKAGE_DATA = {
    "extractor/prompts/system.j2", "extractor/prompts/article.j2", "extractor/prompts/repair.j2",
    "extractor/prompts/meetings.j2", "extractor/prompts/officials.j2",
    "extractor/prompts/initiatives.j2", "extractor/prompts/targets.j2",
    "extractor/prompts/glossary.yaml", "extractor/datasette_plugin/metadata.yaml",
    "extractor/datasette_plugin/dashboards.yaml",
    "extractor/datasette_plugin/templates/extractor_article.html",
}


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n" \
                                   f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; returns its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base / "dist"),
          str(ROOT)])
    [wheel] = (base / "dist").glob("extractor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        missing = PACKAGE_DATA - set(archive.namelist())
    assert not missing, f"the wheel lacks package data: {sorted(missing)}"
    _run([sys.executable, "-m", "venv", str(base / "venv")])
    bin_dir = base / "venv" / "bin"
    _run([str(bin_dir / "pip"), "install", "--quiet", str(wheel)])
    return bin_dir


def test_wheel_runs_and_serves_outside_the_source_tree(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(installed / "python"), "-c",
                  "import extractor, extractor.config as c; print(extractor.__file__); "
                  "print(c.DEFAULT_PROMPTS_DIR)"], cwd=work).stdout.split()
    assert all(str(ROOT) not in path for path in where), where  # not the source tree

    db = work / "extract.db"
    _run([str(installed / "extractor"), "run", str(SEEDS), "--replay", str(CASSETTES),
          "--db", str(db)], cwd=work)
    exported = _run([str(installed / "extractor"), "export", "--db", str(db)], cwd=work).stdout
    articles = [json.loads(line) for line in exported.splitlines()]
    assert len(articles) == len(list(SEEDS.glob("*.txt")))
    for name in ("meetings", "officials", "initiatives", "targets", "repairs"):
        assert any(article[name] for article in articles), f"no {name} from the wheel's run"

    port = free_port()
    served = start_serving([str(installed / "extractor"), "serve", "--db", str(db),
                            "--port", str(port)], port, cwd=work)
    try:
        with urllib.request.urlopen(f"{served.base}/extract.json") as response:
            database = json.load(response)
        assert {"runs_compared"} <= {query["name"] for query in database["queries"]}
        with urllib.request.urlopen(f"{served.base}/extract/targets") as response:
            assert "Quantitative targets" in response.read().decode()  # packaged table title
        first = articles[0]["article_id"]
        with urllib.request.urlopen(f"{served.base}/-/article/{first}") as response:
            assert response.status == 200 and first in response.read().decode()
    finally:
        served.stop()
