from __future__ import annotations

from extractor.models import Repair
from extractor.pipeline.prompts import PromptLibrary
from extractor.postprocess.repairs import (
    apply_repairs,
    deterministic_repairs,
    glossary_repairs,
    merge_repairs,
    repair_inputs,
)
from tests.conftest import PROMPTS, SEEDS


def repair(original: str, repaired: str) -> Repair:
    return Repair(original=original, repaired=repaired, category="term")


def test_apply_repairs_replaces_located_spans_only() -> None:
    text = "Accelerate enterprise “wisdom to turn” in the eagle city."
    repairs = [("wisdom to turn", "intelligent transformation"),
               ("eagle city", "Yingtan"), ("not in the text", "x")]
    assert apply_repairs(text, repairs) == (
        "Accelerate enterprise “intelligent transformation” in the Yingtan.")


def test_apply_repairs_ignores_overlaps() -> None:
    text = "the chain length system works"
    out = apply_repairs(text, [("chain length system", "chain leader system"),
                               ("length system works", "x")])
    assert out == "the chain leader system works"


def test_merge_repairs_prefers_glossary_and_drops_no_ops() -> None:
    fixed = [repair("wisdom to turn", "intelligent transformation")]
    proposed = [repair("“wisdom to turn”", "other"), repair("same", "same"),
                repair("yong yi bear", "brave to take on")]
    merged = merge_repairs(fixed, proposed)
    assert [r.original for r in merged] == ["wisdom to turn", "yong yi bear"]


def test_glossary_repairs_on_a_seed() -> None:
    text = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    repairs = glossary_repairs(text, PromptLibrary(PROMPTS).glossary())
    assert repairs and all(r.original in text for r in repairs)
    assert all(r.category == "term" and "glossary" in (r.note or "") for r in repairs)


def test_deterministic_repairs_skip_structural_ones_inside_a_term() -> None:
    glossary = [{"garbled": ["chain long system"], "repaired": "chain leader system"}]
    text = ("Improve the industrial chain chain long system, take the initiative to take the "
            "initiative.")
    repairs = deterministic_repairs(text, glossary)
    assert [(r.original, r.category) for r in repairs] == [
        ("chain long system", "term"),
        ("take the initiative to take the initiative", "grammar"),  # "chain chain" overlaps
    ]


def test_repair_inputs_are_the_deterministic_repairs_and_the_candidates() -> None:
    text = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    glossary = PromptLibrary(PROMPTS).glossary()
    fixed, phrases = repair_inputs(text, glossary)
    assert fixed == deterministic_repairs(text, glossary) and fixed
    assert phrases and all(phrase in text for phrase in phrases)
