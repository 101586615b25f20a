"""End-to-end: the pipeline over the seed articles, replayed from the committed cassettes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extractor.backends.replay import REPLAY_BASE_URL
from extractor.config import Settings
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.postprocess.finalize import GROUNDED
from extractor.store import storage
from tests.conftest import CASSETTES, SEEDS


def replay(db, paths: list[Path], **options) -> object:
    return run_batch(db, Settings.load(), REPLAY_BASE_URL, paths,
                     RunOptions(replay_dir=CASSETTES, **options))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    db = storage.open_db(tmp_path_factory.mktemp("e2e") / "seeds.db")
    summary = replay(db, [SEEDS])
    yield db, summary
    db.close()


def test_every_seed_is_extracted(seeded) -> None:
    db, summary = seeded
    assert summary.failed == 0, summary.failures
    assert summary.done == len(list(SEEDS.glob("*.txt")))
    assert db["articles"].count == summary.done
    for table in storage.RECORD_TABLES:
        assert db[table].count > 0, table
    assert list(db.query("PRAGMA foreign_key_check")) == []


def test_every_record_is_grounded_or_flagged(seeded) -> None:
    db, _ = seeded
    texts = {row["article_id"]: row["text"] for row in db["articles"].rows}
    for table in storage.RECORD_TABLES:
        for row in db[table].rows:
            flags = json.loads(row["flags"])
            if row["alignment"] in GROUNDED:
                text = texts[row["article_id"]]
                assert text[row["char_start"]:row["char_end"]] == row["matched_text"]
            else:
                assert "evidence_not_found" in flags, (table, row["id"])


def test_run_bookkeeping(seeded) -> None:
    db, summary = seeded
    run = db["runs"].get(summary.run_id)
    assert run["status"] == "finished" and run["finished"]
    assert json.loads(run["prompt_hashes"])["system.j2"]
    assert run["schema_hash"] and run["llm_calls"] == summary.llm_calls > 0
    assert 0 < run["grounding_rate"] <= 1
    calls = list(db.query("SELECT * FROM llm_calls WHERE run_id = ?", [summary.run_id]))
    assert {c["stage"] for c in calls} == {"repair", "meetings", "officials", "initiatives",
                                            "targets"}
    assert all(c["prompt_tokens"] and c["completion_tokens"] for c in calls if c["status"] == "ok")


def test_unchanged_rerun_makes_no_calls(seeded) -> None:
    db, _ = seeded
    again = replay(db, [SEEDS])
    assert (again.done, again.llm_calls, again.failed) == (0, 0, 0)
    assert again.skipped == len(list(SEEDS.glob("*.txt")))


def test_missing_recording_fails_one_article_and_the_batch_goes_on(tmp_path: Path, db) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    first = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(first, seeds / first.name)
    (seeds / "zz_unrecorded.txt").write_text("Wuhu: a new article nobody recorded.\n")
    (seeds / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    summary = replay(db, [seeds])
    assert summary.done == 1 and summary.failed == 2
    errors = {row["article_id"]: row for row in db["errors"].rows}
    assert errors["zz_unrecorded"]["stage"] == "repair"
    assert "no recorded exchange" in errors["zz_unrecorded"]["message"]
    assert "zz_unrecorded" in errors["zz_unrecorded"]["message"]
    assert errors["bad"]["stage"] == "read"
    assert db["articles"].count == 1


def test_duplicate_article_is_stored_once(tmp_path: Path, db) -> None:
    first = sorted(SEEDS.glob("*.txt"))[0]
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(first, folder / first.name)
    shutil.copy(first, folder / "zz_copy.txt")
    summary = replay(db, [folder])
    assert summary.done == 1 and summary.skipped == 1
    paths = json.loads(db["articles"].get(first.stem)["source_paths"])
    assert any(p.endswith("zz_copy.txt") for p in paths)


def test_prompt_edit_makes_replay_fail_naming_the_prompt(tmp_path: Path, db) -> None:
    from tests.conftest import PROMPTS

    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS, prompts)
    (prompts / "targets.j2").write_text((prompts / "targets.j2").read_text() + "\nBe brief.\n")
    first = sorted(SEEDS.glob("*.txt"))[0]
    summary = run_batch(db, Settings.load(prompts_dir=prompts), REPLAY_BASE_URL, [first],
                        RunOptions(replay_dir=CASSETTES))
    assert summary.failed == 1
    [error] = list(db["errors"].rows)
    assert error["stage"] == "targets"
    assert "changed since recording: targets.j2" in error["message"]
    assert "make cassettes" in error["message"]


def test_a_post_processing_error_fails_that_article_only_and_a_rerun_resumes(
        tmp_path: Path, db, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.pipeline import extraction as pipeline

    folder = tmp_path / "in"
    folder.mkdir()
    first, second = sorted(SEEDS.glob("*.txt"))[:2]
    for seed in (first, second):
        shutil.copy(seed, folder / seed.name)
    real = pipeline.finalize_article

    def finalize_failing_on_the_first(records, text, *args):
        if text == storage_text(first):
            raise ValueError("a rule met text it did not expect")
        return real(records, text, *args)

    monkeypatch.setattr(pipeline, "finalize_article", finalize_failing_on_the_first)
    summary = replay(db, [folder])
    assert (summary.done, summary.failed) == (1, 1)
    (error,) = db["errors"].rows
    assert (error["article_id"], error["stage"], error["error_type"]) == (
        first.stem, "finalize", "ValueError")
    assert "a rule met text it did not expect" in error["message"]
    assert [row["article_id"] for row in db["articles"].rows] == [second.stem]

    monkeypatch.setattr(pipeline, "finalize_article", real)
    again = replay(db, [folder])
    assert (again.done, again.skipped, again.llm_calls) == (1, 1, 0)  # its stages were cached


def storage_text(path: Path) -> str:
    from extractor.text.articles import read_article

    return read_article(path).text


def test_an_error_inside_a_stage_is_recorded_under_that_stage(
        tmp_path: Path, db, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.postprocess import assemble

    def broken(items, text):
        raise KeyError("title")

    monkeypatch.setattr(assemble, "assemble_officials", broken)
    first = sorted(SEEDS.glob("*.txt"))[0]
    summary = replay(db, [first])
    assert (summary.done, summary.failed) == (0, 1)
    (error,) = db["errors"].rows
    assert (error["stage"], error["error_type"]) == ("officials", "KeyError")
