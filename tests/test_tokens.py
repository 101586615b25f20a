"""Token accounting: per stage, per article and per record, from llm_calls."""

from __future__ import annotations

from click.testing import CliRunner

from extractor.backends.replay import REPLAY_BASE_URL
from extractor.cli import cli
from extractor.config import Settings
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.pipeline.tokens import (
    STAGE_RECORDS,
    TimeReport,
    article_tokens,
    latest_run_with_calls,
    time_report,
    token_report,
)
from extractor.store import storage
from tests.conftest import CASSETTES, SEEDS


def test_token_report_adds_up_per_stage_and_in_total(db_path) -> None:
    db = storage.open_db(db_path)
    first = sorted(SEEDS.glob("*.txt"))[:2]
    summary = run_batch(db, Settings.load(), REPLAY_BASE_URL, first,
                        RunOptions(replay_dir=CASSETTES))
    assert latest_run_with_calls(db) == summary.run_id
    rows = token_report(db, summary.run_id)
    assert [r.stage for r in rows] == [*STAGE_RECORDS, "total"]
    *stages, total = rows
    assert total.prompt_tokens == summary.prompt_tokens == sum(r.prompt_tokens for r in stages)
    assert total.completion_tokens == summary.completion_tokens
    assert total.calls == summary.llm_calls and total.articles == 2
    assert total.records == sum(summary.records.values())
    for row in stages:
        assert row.articles == 2 and row.per_article == row.tokens / 2
        assert row.records == summary.records[STAGE_RECORDS[row.stage]]
        assert row.processed_share is not None and 0 < row.processed_share <= 1
    calls = list(db.query("SELECT server_ms, server_prompt_ms, server_generation_ms "
                          "FROM llm_calls"))
    assert all(c["server_prompt_ms"] > 0 and c["server_generation_ms"] > 0 for c in calls)
    assert all(abs(c["server_ms"] - c["server_prompt_ms"] - c["server_generation_ms"]) < 0.2
               for c in calls)
    assert total.server_prompt_s == sum(r.server_prompt_s for r in stages)
    assert total.server_generation_s == sum(r.server_generation_s for r in stages)
    times = time_report(db, summary.run_id, rows)
    assert times.wall_s is not None and times.outside_server_s == (
        times.wall_s - total.server_prompt_s - total.server_generation_s)
    per_article = article_tokens(db, summary.run_id)
    assert len(per_article) == 10
    assert sum(r["prompt_tokens"] for r in per_article) == summary.prompt_tokens
    db.close()

    result = CliRunner().invoke(cli, ["tokens", "--db", str(db_path), "--per-article"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "tokens_per_record" in result.output and "total" in result.output
    assert first[0].stem in result.output


def test_tokens_command_without_calls_says_so(db_path) -> None:
    storage.open_db(db_path).close()
    result = CliRunner().invoke(cli, ["tokens", "--db", str(db_path)])
    assert result.exit_code != 0 and "no LLM calls" in result.output


def test_time_report_says_nothing_about_overhead_without_server_times() -> None:
    assert TimeReport(12.0, None, None).outside_server_s is None
    assert TimeReport(100.0, 20.0, 50.0).outside_server_s == 30.0


def test_tokens_command_reports_server_time_and_refuses_a_negative_overhead(db_path) -> None:
    db = storage.open_db(db_path)
    run_batch(db, Settings.load(), REPLAY_BASE_URL, sorted(SEEDS.glob("*.txt"))[:1],
              RunOptions(replay_dir=CASSETTES))
    db.close()
    result = CliRunner().invoke(cli, ["tokens", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "reading prompts" in result.output and "generating" in result.output
    # a replay carries the recording's server times, far more than its own wall time
    assert "no overhead computed" in result.output
