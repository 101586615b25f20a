"""The pure helpers of bench/throughput.py (the bench itself is run by hand)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import throughput


def test_ideal_seconds_is_the_latency_bound_schedule() -> None:
    assert throughput.ideal_seconds([5] * 100, 1, 1.0) == 500
    assert throughput.ideal_seconds([5] * 100, 16, 1.0) == 35  # 7 rounds: 16 x 6 + 4
    assert throughput.ideal_seconds([5] * 64, 16, 1.0) == 20
    assert throughput.ideal_seconds([5] * 10, 64, 0.5) == 2.5  # capped by the articles
    assert throughput.ideal_seconds([4, 5, 5, 4], 2, 1.0) == 9
    assert throughput.ideal_seconds([], 4, 1.0) == 0


def test_vm_kb_reads_proc_status_lines() -> None:
    status = "Name:\tpython\nVmHWM:\t  123456 kB\nVmRSS:\t   98765 kB\n"
    assert throughput.vm_kb("VmHWM", status) == 123456
    assert throughput.vm_kb("VmRSS", status) == 98765
    assert throughput.vm_kb("VmSwap", status) is None


def make_recording(path: Path, *, server_ms: bool) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT, seconds REAL, "
                 "llm_calls INTEGER)")
    extra = ", server_ms REAL" if server_ms else ""
    conn.execute("CREATE TABLE llm_calls (id INTEGER PRIMARY KEY, run_id INTEGER, "
                 f"latency_ms REAL, prompt_tokens INTEGER, prompt_tokens_processed INTEGER{extra})")
    conn.execute("INSERT INTO runs VALUES (1, 'finished', 105.0, 2)")
    for latency, prompt, processed, server in ((60_000, 1000, 400, 50_000),
                                               (44_000, 1000, 100, 50_000)):
        if server_ms:
            conn.execute("INSERT INTO llm_calls (run_id, latency_ms, prompt_tokens, "
                         "prompt_tokens_processed, server_ms) VALUES (1, ?, ?, ?, ?)",
                         (latency, prompt, processed, server))
        else:
            conn.execute("INSERT INTO llm_calls (run_id, latency_ms, prompt_tokens, "
                         "prompt_tokens_processed) VALUES (1, ?, ?, ?)",
                         (latency, prompt, processed))
    conn.commit()
    conn.close()


def test_read_recording_with_server_timings(tmp_path: Path) -> None:
    make_recording(tmp_path / "rec.db", server_ms=True)
    rec = throughput.read_recording(tmp_path / "rec.db", cassette_dir=None)
    assert (rec.run_id, rec.calls, rec.wall_seconds) == (1, 2, 105.0)
    assert rec.server_seconds == 100.0 and "server_ms" in rec.server_source
    assert rec.client_seconds == 104.0
    assert rec.prompt_tokens_processed / rec.prompt_tokens == pytest.approx(0.25)


def test_read_recording_falls_back_to_client_latency_and_is_none_when_absent(
        tmp_path: Path) -> None:
    make_recording(tmp_path / "old.db", server_ms=False)
    rec = throughput.read_recording(tmp_path / "old.db", cassette_dir=None)
    assert rec.server_seconds is None and "client latency" in rec.server_source
    assert throughput.read_recording(tmp_path / "missing.db") is None
