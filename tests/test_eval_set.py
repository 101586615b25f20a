"""The evaluation set under eval/: 30+ annotated articles, split once into dev and test halves,
every annotation valid against the contract (eval/check.py), every article's source recorded."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent / "eval"


def _checker():
    spec = importlib.util.spec_from_file_location("eval_check", EVAL / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(half: str) -> set[str]:
    return {p.stem for p in (EVAL / half / "articles").glob("*.txt")}


def test_the_set_is_split_by_article_into_two_disjoint_halves() -> None:
    dev, test = _ids("dev"), _ids("test")
    assert len(dev) + len(test) >= 30 and len(dev) >= 15 and len(test) >= 15
    assert not dev & test


def test_every_annotation_follows_the_contract_and_quotes_its_article() -> None:
    problems = [p for half in ("dev", "test", "dev2", "dev3", "dev4")
                for p in _checker().check_folder(EVAL / half)]
    assert problems == []


def test_every_article_names_the_page_it_is_modelled_on() -> None:
    sources = (EVAL / "SOURCES.md").read_text(encoding="utf-8")
    for article_id in _ids("dev") | _ids("test") | _ids("dev2") | _ids("dev3") | _ids("dev4"):
        assert f"| {article_id} | " in sources and f"## {article_id} (" in sources


def test_the_checker_finds_a_span_that_is_not_verbatim(tmp_path: Path) -> None:
    folder = tmp_path / "half"
    (folder / "articles").mkdir(parents=True)
    (folder / "gold").mkdir()
    source = next((EVAL / "dev" / "gold").glob("*.json"))
    (folder / "articles" / f"{source.stem}.txt").write_text("different text", encoding="utf-8")
    (folder / "gold" / source.name).write_text(source.read_text(encoding="utf-8"),
                                               encoding="utf-8")
    assert any("not verbatim" in p for p in _checker().check_folder(folder))
