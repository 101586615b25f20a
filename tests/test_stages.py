from __future__ import annotations

from pathlib import Path

from extractor.pipeline.prompts import PromptLibrary
from extractor.pipeline.stages import EXTRACTION_STAGES, build_messages
from extractor.text.articles import read_article
from tests.conftest import PROMPTS, SEEDS


def test_stages_share_the_article_prefix() -> None:
    """System prompt then article come first and are identical for every stage (prompt cache)."""
    library = PromptLibrary(PROMPTS)
    article = read_article(next(SEEDS.glob("000_*.txt")))
    first = build_messages(library, article, "TASK A")
    second = build_messages(library, article, "TASK B")
    assert first[0] == second[0] and first[0]["role"] == "system"
    prefix = library.render("article", text=article.text)
    assert first[1]["content"].startswith(prefix) and second[1]["content"].startswith(prefix)
    assert first[1]["content"].endswith("TASK A")


def test_every_stage_has_a_prompt_file() -> None:
    for stage in ["repair", *EXTRACTION_STAGES]:
        assert (Path(PROMPTS) / f"{stage}.j2").is_file(), stage
