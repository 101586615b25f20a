"""The compact grammar (extractor/llm/grammar.py): its rules, the request body it goes into,
and, with llama.cpp's own grammar validator (the [local] extra's `test-gbnf-validator`, run
under `make e2e`), that every recorded answer is accepted and indented or invalid JSON is not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from extractor.backends import local_server
from extractor.errors import ExtractorError, LocalModelError
from extractor.llm.client import instructor_model
from extractor.llm.grammar import (
    GrammarError,
    compact_grammar,
    requested_answer,
    with_compact_grammar,
)
from extractor.pipeline.stages import STAGES
from tests.conftest import ROOT

ANSWERS = [stage.answer for stage in STAGES.values()]


def _grammar(model: type) -> str:
    return compact_grammar(instructor_model(model).model_json_schema(), model.__name__)


@pytest.mark.parametrize("model", ANSWERS, ids=lambda m: m.__name__)
def test_every_stage_answer_has_a_compact_grammar_naming_it(model: type) -> None:
    grammar = _grammar(model)
    assert grammar.startswith(f"# answer: {model.__name__}\nroot ::= ")
    assert " space" not in grammar and "\\n" not in grammar.split("\n", 2)[2]


def test_properties_keep_their_order_and_optional_ones_may_be_left_out() -> None:
    schema = {"type": "object", "required": ["b"], "properties": {
        "b": {"type": "string", "maxLength": 5}, "a": {"type": "integer", "minimum": 1,
                                                     "maximum": 12},
        "c": {"anyOf": [{"type": "number"}, {"type": "null"}]}}}
    grammar = compact_grammar(schema, "Thing")
    root = next(line for line in grammar.splitlines() if line.startswith("answer ::="))
    assert root.index('"\\"b\\""') < root.index('"\\"a\\""') < root.index('"\\"c\\""')
    assert '("," "\\"a\\""' in root and '("," "\\"c\\""' in root
    assert 'int-1-12 ::= "10" | "11" | "12" | "1" | "2"' in grammar  # longer first


def test_an_uncovered_schema_construct_is_refused() -> None:
    with pytest.raises(GrammarError, match="pattern"):
        compact_grammar({"type": "string", "pattern": "^a$"}, "X")
    with pytest.raises(GrammarError, match="wide range"):
        compact_grammar({"type": "integer", "minimum": 0, "maximum": 10**6}, "X")
    assert issubclass(GrammarError, ExtractorError)


def test_the_request_body_carries_the_grammar_instead_of_the_schema() -> None:
    schema = instructor_model(STAGES["targets"].answer).model_json_schema()
    body = {"model": "m", "response_format": {"type": "json_schema", "json_schema": {
        "name": "TargetList", "schema": schema}}}
    sent = with_compact_grammar(body)
    assert "response_format" not in sent and sent["model"] == "m"
    assert sent["grammar"] == compact_grammar(schema, "TargetList")
    assert requested_answer(sent) == requested_answer(body) == "TargetList"
    assert with_compact_grammar({"model": "m"}) == {"model": "m"}
    assert requested_answer({"model": "m"}) is None


# -- llama.cpp's validator ----------------------------------------------------------------------


def _validator() -> Path:
    try:
        binary = local_server.server_binary().with_name("test-gbnf-validator")
    except LocalModelError:
        binary = Path("/nonexistent")
    if not binary.is_file():
        if os.environ.get("EXTRACTOR_E2E") == "1":
            pytest.fail("make e2e installs llama.cpp, whose test-gbnf-validator must be there")
        pytest.skip("llama.cpp's grammar validator comes with the [local] extra (make e2e)")
    return binary


def _accepts(validator: Path, grammar: str, text: str, folder: Path) -> bool:
    (folder / "g.gbnf").write_text(grammar, encoding="utf-8")
    (folder / "input.txt").write_text(text, encoding="utf-8")
    done = subprocess.run([str(validator), str(folder / "g.gbnf"), str(folder / "input.txt")],
                          capture_output=True, text=True, timeout=120)
    return "Input string is valid" in done.stdout + done.stderr


def _recorded() -> list[tuple[dict, str]]:
    pairs = []
    for path in sorted((ROOT / "cassettes").glob("0*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            reply = json.loads(item["response"]["body"]["string"])
            pairs.append((json.loads(item["request"]["body"]),
                          reply["choices"][0]["message"]["content"]))
    return pairs


def test_llama_cpp_accepts_every_recorded_answer_under_its_grammar(tmp_path: Path) -> None:
    validator = _validator()
    recorded = [(body, answer) for body, answer in _recorded() if "grammar" in body]
    assert len(recorded) >= 20, "the seeds' recording is made with the compact grammar"
    for body, answer in recorded:
        assert "\n" not in answer
        assert _accepts(validator, body["grammar"], answer, tmp_path), answer[:300]


def test_llama_cpp_rejects_indented_or_invalid_answers(tmp_path: Path) -> None:
    validator = _validator()
    grammar = _grammar(STAGES["repair"].answer)
    good = {"title": "Zhenjiang work meeting", "place": None,
            "repairs": [{"original": "wisdom to turn", "repaired": "intelligent transformation",
                         "category": "term"}]}
    assert _accepts(validator, grammar, json.dumps(good, separators=(",", ":")), tmp_path)
    assert not _accepts(validator, grammar, json.dumps(good, indent=2), tmp_path)
    wrong = {**good, "repairs": [{**good["repairs"][0], "category": "spelling"}]}
    assert not _accepts(validator, grammar, json.dumps(wrong, separators=(",", ":")), tmp_path)
