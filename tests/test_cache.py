"""Incremental regeneration: stage keys and what a re-run recomputes after a prompt edit.

The model is replaced by a scripted test double (``ScriptedClient``) that returns fixed
structured objects and counts calls; it stands in for the client, not for recorded output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractor.config import Settings
from extractor.models import (
    CallRecord,
    InitiativeItem,
    InitiativeList,
    MeetingList,
    OfficialItem,
    OfficialList,
    RepairItem,
    RepairResult,
    TargetItem,
    TargetList,
)
from extractor.pipeline import cache
from extractor.pipeline.batch import RunOptions, run_batch
from tests.conftest import PROMPTS, SEEDS

CANNED = {
    "repair": RepairResult(title="Zhenjiang work meeting", place="Zhenjiang, Jiangsu", repairs=[
        RepairItem(original="yong yi bear", repaired="bravely shoulder heavy tasks",
                   category="term")]),
    "meetings": MeetingList(meetings=[]),
    "officials": OfficialList(officials=[OfficialItem(name="Gong Haibin")]),
    "initiatives": InitiativeList(initiatives=[
        InitiativeItem(mention="chain length system", name="Chain Leader System")]),
    "targets": TargetList(targets=[TargetItem(sentence=3, value=15.1, unit="%",
                                              metric="industrial added value growth")]),
}


class ScriptedClient:
    """Test double for LLMClient: canned objects per stage, every call counted."""

    calls: list[tuple[str, str]] = []

    def __init__(self, settings: Settings, base_url: str, recorder) -> None:
        self.recorder = recorder

    async def complete(self, response_model, messages, *, article_id: str, stage: str,
                 max_tokens: int | None = None):
        ScriptedClient.calls.append((article_id, stage))
        self.recorder(CallRecord(article_id=article_id, stage=stage, model="scripted",
                                 attempt=1, status="ok", started="", latency_ms=0.0,
                                 prompt_tokens=10, completion_tokens=5))
        return CANNED[stage]


@pytest.fixture
def workspace(tmp_path: Path):
    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS, prompts)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(path, seeds / path.name)
    ScriptedClient.calls = []
    return prompts, seeds


def run(db, prompts: Path, seeds: Path, **options):
    ScriptedClient.calls = []
    settings = Settings.load(prompts_dir=prompts)
    summary = run_batch(db, settings, "http://127.0.0.1:9/v1", [seeds], RunOptions(**options),
                        client_factory=ScriptedClient)
    return summary, sorted({stage for _, stage in ScriptedClient.calls}), len(ScriptedClient.calls)


def edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n{# edited #}\n")


def test_unchanged_rerun_makes_zero_calls(db, workspace) -> None:
    prompts, seeds = workspace
    first, stages, calls = run(db, prompts, seeds)
    assert first.done == 2 and calls == 10
    again, stages, calls = run(db, prompts, seeds)
    assert (again.skipped, calls) == (2, 0)


def test_editing_the_targets_prompt_reruns_targets_only(db, workspace) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    edit(prompts / "targets.j2")
    summary, stages, calls = run(db, prompts, seeds)
    assert stages == ["targets"] and calls == 2
    assert dict(summary.stages_reused) == {"repair": 2, "meetings": 2, "officials": 2,
                                           "initiatives": 2}


def test_editing_the_repair_prompt_reruns_repair_and_its_readers(db, workspace) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    edit(prompts / "repair.j2")
    _, stages, calls = run(db, prompts, seeds)
    assert stages == ["initiatives", "meetings", "officials", "repair"]  # targets reads no repairs
    assert calls == 8


def test_editing_the_shared_system_prompt_reruns_everything(db, workspace) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    edit(prompts / "system.j2")
    _, _, calls = run(db, prompts, seeds)
    assert calls == 10


def test_only_and_articles_options(db, workspace) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    first = sorted(seeds.glob("*.txt"))[0].stem
    _, stages, calls = run(db, prompts, seeds, only=frozenset({"officials"}),
                           articles=frozenset({first}))
    assert stages == ["officials"] and calls == 1


def test_history_is_kept(db, workspace) -> None:
    prompts, seeds = workspace
    first, _, _ = run(db, prompts, seeds)
    edit(prompts / "targets.j2")
    second, _, _ = run(db, prompts, seeds)
    versions = list(db.query("SELECT run_id, count(*) AS n FROM article_versions GROUP BY run_id"))
    assert [(v["run_id"], v["n"]) for v in versions] == [(first.run_id, 2), (second.run_id, 2)]
    assert db["stage_results"].count == 12  # 10 first results + 2 new targets results


def test_stage_keys_dependencies() -> None:
    hashes = {"system.j2": "s", "article.j2": "a", "repair.j2": "r", "glossary.yaml": "g",
              "meetings.j2": "m", "officials.j2": "o", "initiatives.j2": "i", "targets.j2": "t"}
    base = cache.stage_keys("sha", "model", hashes)
    changed = cache.stage_keys("sha", "model", {**hashes, "glossary.yaml": "g2"})
    differs = {s for s in cache.STAGES if base[s].key != changed[s].key}
    assert differs == {"repair", "meetings", "officials", "initiatives"}
    other_model = cache.stage_keys("sha", "other", hashes)
    assert all(base[s].key != other_model[s].key for s in cache.STAGES)


def test_stale_reasons_name_the_changed_file() -> None:
    assert cache.stale_reasons(None, {"a": "1"}) == ["never run"]
    assert cache.stale_reasons({"targets.j2": "1", "model": "m"},
                               {"targets.j2": "2", "model": "m"}) == ["targets.j2"]


def test_diff_lists_changes_between_runs(db, workspace) -> None:
    from extractor.pipeline.history import diff_runs

    prompts, seeds = workspace
    first, _, _ = run(db, prompts, seeds)
    CANNED["targets"] = TargetList(targets=[TargetItem(sentence=5, value=24.3, unit="%",
                                                       metric="manufacturing investment growth")])
    try:
        edit(prompts / "targets.j2")
        second, _, _ = run(db, prompts, seeds)
    finally:
        CANNED["targets"] = TargetList(targets=[TargetItem(
            sentence=3, value=15.1, unit="%", metric="industrial added value growth")])
    diffs = {d.article_id: d for d in diff_runs(db, first.run_id, second.run_id)}
    some = next(iter(diffs.values()))
    assert [r["value"] for r in some.added["targets"] if r["source"] == "model"] == [24.3]
    assert [r["value"] for r in some.removed["targets"] if r["source"] == "model"] == [15.1]
    assert all(not d.added["officials"] and not d.removed["officials"] for d in diffs.values())
    assert all(d.empty for d in diff_runs(db, second.run_id, second.run_id))


def test_replay_miss_names_the_changed_prompt_and_the_command(tmp_path: Path) -> None:
    from extractor.backends.replay import manifest_changes, replay_miss_hint, write_manifest

    hashes = {"targets.j2": "a", "repair.j2": "b"}
    write_manifest(tmp_path, prompt_hashes=hashes, schema_hash="s", model="m", compact_json=True)
    changes = manifest_changes(tmp_path, prompt_hashes={**hashes, "targets.j2": "z"},
                               schema_hash="s", model="m")
    assert changes == ["targets.j2"]
    hint = replay_miss_hint(changes)
    assert "targets.j2" in hint and "make cassettes" in hint


def test_a_replay_sends_the_request_shape_it_recorded(tmp_path: Path) -> None:
    from extractor.backends.replay import recorded_compact_json, write_manifest

    assert recorded_compact_json(tmp_path) is None  # no manifest: the settings decide
    for compact in (True, False):
        write_manifest(tmp_path, prompt_hashes={}, schema_hash="s", model="m",
                       compact_json=compact)
        assert recorded_compact_json(tmp_path) is compact


def test_postprocess_version_refinalizes_without_calls(db, workspace, monkeypatch) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    monkeypatch.setattr(cache, "POSTPROCESS_VERSION", "test-bump")
    summary, _, calls = run(db, prompts, seeds)
    assert calls == 0 and summary.done == 2
    assert sum(summary.stages_reused.values()) == 10


def test_a_change_to_assembly_reaches_stored_articles_without_calls(
        db, workspace, monkeypatch) -> None:
    """The cache holds the model's raw answers: changed assembly code (with the post-processing
    version bumped) re-assembles every stored article, and makes no call."""
    from extractor.postprocess import assemble

    prompts, seeds = workspace
    run(db, prompts, seeds)
    before = {row["metric"] for row in db["targets"].rows}
    original = assemble.assemble_targets

    def changed_assembly(*args, **kwargs):
        return [{**record, "metric": record["metric"] + " (reassembled)"}
                for record in original(*args, **kwargs)]

    monkeypatch.setattr(assemble, "assemble_targets", changed_assembly)
    monkeypatch.setattr(cache, "POSTPROCESS_VERSION", "assembly-changed")
    summary, _, calls = run(db, prompts, seeds)
    assert calls == 0 and summary.done == 2
    after = {row["metric"] for row in db["targets"].rows}
    assert any(metric.endswith(" (reassembled)") for metric in after)
    assert {metric.removesuffix(" (reassembled)") for metric in after} == before


def test_stored_stage_result_is_the_raw_answer(db, workspace) -> None:
    prompts, seeds = workspace
    run(db, prompts, seeds)
    import json

    stored = {row["stage"]: json.loads(row["output"])
              for row in db["stage_results"].rows}
    assert stored["targets"] == CANNED["targets"].model_dump(mode="json")
    assert stored["repair"] == CANNED["repair"].model_dump(mode="json")
