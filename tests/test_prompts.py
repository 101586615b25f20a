from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from extractor.pipeline.prompts import PromptLibrary
from tests.conftest import PROMPTS


def test_project_prompts_render() -> None:
    library = PromptLibrary(PROMPTS)
    assert "ARTICLE" in library.render("article", text="Some text")
    assert library.render("system")
    rendered = library.render("targets", number_sentences=["It grew 5%."])
    assert "[1] It grew 5%." in rendered


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        PromptLibrary(PROMPTS).render("article")


def test_missing_template(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        PromptLibrary(tmp_path).render("nope")


def test_hashes_change_when_a_prompt_changes(tmp_path: Path) -> None:
    (tmp_path / "a.j2").write_text("hello {{ x }}")
    (tmp_path / "glossary.yaml").write_text("[]")
    (tmp_path / "notes.txt").write_text("ignored")
    library = PromptLibrary(tmp_path)
    before = library.hashes()
    assert set(before) == {"a.j2", "glossary.yaml"}
    (tmp_path / "a.j2").write_text("hello again {{ x }}")
    after = PromptLibrary(tmp_path).hashes()
    assert after["a.j2"] != before["a.j2"]
    assert after["glossary.yaml"] == before["glossary.yaml"]


def test_glossary_entries_are_well_formed() -> None:
    entries = PromptLibrary(PROMPTS).glossary()
    assert entries
    for entry in entries:
        assert entry["garbled"] and all(isinstance(g, str) for g in entry["garbled"])
        assert isinstance(entry["repaired"], str) and entry["repaired"]


def test_glossary_must_be_a_list(tmp_path: Path) -> None:
    (tmp_path / "glossary.yaml").write_text("key: value")
    with pytest.raises(ValueError, match="list"):
        PromptLibrary(tmp_path).glossary()


def test_no_prompt_text_in_python() -> None:
    """Prompts live in files: no Python module carries the system prompt's wording."""
    system = PromptLibrary(PROMPTS).render("system").splitlines()[0][:60]
    for module in (PROMPTS.parent / "extractor").glob("*.py"):
        assert system not in module.read_text(encoding="utf-8"), module
