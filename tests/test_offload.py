"""The offloader: inline without workers or until one is up, in a worker process after that,
errors raised as they are, Ctrl-C ignored by workers, a dead worker falls back to inline."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from extractor.pipeline.offload import Offloader, auto_workers

READY_TIMEOUT = 60  # a worker imports the project's modules: seconds on a slow machine


def process_id() -> int:
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def die_in_a_worker(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # a worker killed mid-call (out of memory, kill -9)
    return os.getpid()


def send_sigint_to_self() -> int:
    os.kill(os.getpid(), signal.SIGINT)
    return os.getpid()


@pytest.fixture
def pool():
    offloader = Offloader(1)
    assert offloader.ready(timeout=READY_TIMEOUT)
    yield offloader
    offloader.close()


def test_auto_workers_one_per_spare_core_only_with_concurrency() -> None:
    assert auto_workers(1, cpu_count=8) == 0  # one article at a time: nothing to overlap
    assert auto_workers(16, cpu_count=2) == 1  # the event loop keeps one core
    assert auto_workers(16, cpu_count=1) == 0
    assert auto_workers(2, cpu_count=8) == 2  # no more workers than articles in flight
    assert auto_workers(64, cpu_count=32) == 4  # capped


def test_without_workers_calls_run_inline() -> None:
    offloader = Offloader(0)
    offloader.start()
    assert offloader.inline and not offloader.ready(timeout=0)
    assert asyncio.run(offloader(process_id)) == os.getpid()
    assert offloader.offloaded == 0


def test_calls_run_inline_until_a_worker_is_up() -> None:
    offloader = Offloader(1)  # not started: no worker yet
    try:
        assert asyncio.run(offloader(process_id)) == os.getpid()
        assert offloader.offloaded == 0
    finally:
        offloader.close()


def test_once_up_calls_run_in_a_worker_process(pool: Offloader) -> None:
    async def calls() -> list[int]:
        return await asyncio.gather(*(pool(process_id) for _ in range(5)))

    pids = asyncio.run(calls())
    assert os.getpid() not in pids and len(set(pids)) == 1
    assert pool.offloaded == 5


def test_an_error_in_a_worker_is_raised_as_it_is(pool: Offloader) -> None:
    with pytest.raises(ValueError, match="bad article"):
        asyncio.run(pool(fail, "bad article"))
    assert asyncio.run(pool(process_id)) != os.getpid()  # the pool is still usable


def test_workers_ignore_ctrl_c(pool: Offloader) -> None:
    worker = asyncio.run(pool(send_sigint_to_self))
    assert worker != os.getpid()
    assert asyncio.run(pool(process_id)) == worker  # the same worker is still alive


def test_a_dead_worker_makes_the_rest_of_the_run_inline(pool: Offloader) -> None:
    assert asyncio.run(pool(die_in_a_worker, os.getpid())) == os.getpid()  # run again inline
    assert pool.inline and pool.fallbacks == 1
    assert asyncio.run(pool(process_id)) == os.getpid()


def test_workers_that_cannot_start_leave_the_run_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    offloader = Offloader(1)

    def no_processes(*args: object) -> None:
        raise OSError("fork: resource temporarily unavailable")

    monkeypatch.setattr(offloader._executor, "submit", no_processes)
    offloader.start()
    assert offloader.inline
    assert asyncio.run(offloader(process_id)) == os.getpid()
