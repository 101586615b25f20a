"""One article's extraction: a long article goes to the model in overlapping parts, each part
with its own cached stage results, and its records are merged and grounded in the whole text.

The model server here is the fault server answering with canned stage answers (fixtures, not
model output) chosen from what each request's part of the article contains."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from extractor.config import LOCAL_MODEL_NAME, Settings
from extractor.llm.client import LLMClient
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.pipeline.extraction import merge_parts
from extractor.testing.fault_server import (
    inject_ok,
    make_fault_server,
    request_text,
    response_model_name,
)

LONG_ARTICLE = Path(__file__).parent / "data" / "long" / "e90_long_action_plan.txt"
OFFICIALS = ("Zhou Hanming", "Lu Wenqiang", "Xu Liyan", "Tang Zhiyuan")
FAST = functools.partial(LLMClient, backoff_initial=0.01, backoff_max=0.05)


def _part_answer(body: dict):
    """Canned answers for one part: the officials its text names, the 1.3 trillion yuan goal
    where its number sentences hold it, one termbase-style repair where the term stands."""
    text, name = request_text(body), response_model_name(body)
    if name == "RepairResult":
        repairs = [{"original": "wisdom to turn", "repaired": "intelligent transformation",
                    "category": "term"}] if "wisdom to turn" in text else []
        return inject_ok(json.dumps({"title": "Action plan", "place": None, "repairs": repairs}))
    if name == "OfficialList":
        found = [{"name": person, "title": "city leader"} for person in OFFICIALS
                 if person in text]
        return inject_ok(json.dumps({"officials": found}))
    if name == "TargetList":
        numbered = re.findall(r"^\[(\d+)\] (.*)$", text, re.M)
        goal = [int(n) for n, sentence in numbered if "exceed 1.3 trillion yuan" in sentence]
        targets = [{"sentence": goal[0], "value": 1.3, "unit": "trillion yuan",
                    "metric": "industrial output value", "kind": "target"}] if goal else []
        return inject_ok(json.dumps({"targets": targets}))
    field = {"MeetingList": "meetings", "InitiativeList": "initiatives"}[name]
    return inject_ok(json.dumps({field: []}))


def _run(db, folder: Path, url: str, **overrides: object):
    options: dict[str, object] = {"base_url": url, "model": LOCAL_MODEL_NAME, "embedded": False,
                                  "request_timeout": 10, "max_transport_retries": 1}
    options.update(overrides)
    return run_batch(db, Settings(**options), url, [folder], RunOptions(),  # type: ignore[arg-type]
                     client_factory=FAST)


def test_a_long_article_is_extracted_in_parts_and_merged(tmp_path: Path, db) -> None:
    text = LONG_ARTICLE.read_text(encoding="utf-8")
    assert len(text) >= 60_000
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / LONG_ARTICLE.name).write_text(text, encoding="utf-8")
    with make_fault_server(responder=_part_answer) as server:
        summary = _run(db, folder, server.base_url)
        requests = [r.json() for r in server.requests]
    assert (summary.done, summary.failed) == (1, 0)
    repair_requests = [b for b in requests if response_model_name(b) == "RepairResult"]
    assert len(repair_requests) >= 4  # 65,597 characters in parts of at most 16,000
    assert len(requests) == 5 * len(repair_requests)  # every stage once per part
    for body in requests:  # every request fits the context (at 4.5 characters a token)
        assert len(request_text(body)) / 4.5 + body["max_tokens"] < 8_192
    (article,) = db["articles"].rows
    assert article["text"] == text
    names = [row["name"] for row in db["officials"].rows]
    for person in OFFICIALS:  # each once, though several parts name them (rules add others)
        assert names.count(person) == 1
    closing = text.index("In his concluding remarks")
    goals = [t for t in db["targets"].rows if t["value"] == 1.3]
    (goal,) = [g for g in goals if g["source"] == "model" and g["char_start"] > closing]
    assert text[goal["char_start"]:goal["char_end"]] == goal["evidence"]  # from the last part
    originals = [r["original"].casefold() for r in db["repairs"].rows]
    assert originals.count("wisdom to turn") == 1  # found in several parts, kept once

    with make_fault_server(responder=_part_answer) as server:  # every part's stages are cached
        again = _run(db, folder, server.base_url)
        assert (again.skipped, again.llm_calls, len(server.requests)) == (1, 0, 0)


def test_merge_parts_keeps_one_repair_per_original() -> None:
    first = {"repairs": [{"original": "wisdom to turn", "repaired": "a"}], "targets": [{"v": 1}]}
    second = {"repairs": [{"original": "Wisdom  to turn", "repaired": "b"}], "targets": [{"v": 2}]}
    merged = merge_parts([first, second])
    assert merged["repairs"] == [{"original": "wisdom to turn", "repaired": "a"}]
    assert merged["targets"] == [{"v": 1}, {"v": 2}]
