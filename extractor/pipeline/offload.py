"""CPU-bound work of a batch, run off the event loop.

Every article in flight shares one event loop for its HTTP calls. The pure post-processing of an
article (deterministic repairs and candidates, assembling and grounding each stage's records,
``finalize``) costs tens of milliseconds of CPU; run on the loop, it holds back the answers of
every other article. An ``Offloader`` runs such functions in worker processes instead, when
the run has articles in flight together and the machine has a core to spare; otherwise (the
embedded model's one article at a time, a replayed or recorded run, one core) it calls them
inline, and nothing changes.

Until its workers have started (a worker imports the pipeline's modules and runs ``preload``, a
second or two), calls run inline: the pool never makes the first articles wait for it.

The functions must be module-level and their arguments and results picklable; they must not
depend on state of the calling process (they are pure: same input, same output, in any process).
A worker that dies (killed, out of memory) breaks the pool: the function is then run inline,
and so is everything after it in this run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
MAX_AUTO_WORKERS = 4


def auto_workers(concurrency: int, cpu_count: int | None = None) -> int:
    """Worker processes for a run of ``concurrency`` articles in flight: none for one article at
    a time, else one per spare core (the event loop keeps one), at most ``MAX_AUTO_WORKERS``."""
    if concurrency <= 1:
        return 0
    spare = (cpu_count if cpu_count is not None else os.cpu_count() or 1) - 1
    return max(0, min(spare, concurrency, MAX_AUTO_WORKERS))


def _start_worker(preload: Callable[[], object] | None) -> None:
    """Each worker: ignore Ctrl-C (it reaches the whole process group; the batch handles it),
    then load what the offloaded functions need once per process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if preload is not None:
        preload()


class Offloader:
    """``await offloader(fn, *args)``: ``fn(*args)`` in a worker process (or inline)."""

    def __init__(self, workers: int = 0, preload: Callable[[], object] | None = None) -> None:
        """``workers`` processes (0: inline); ``preload`` (module-level) runs in each worker
        as it starts."""
        self.workers = workers
        self.offloaded = 0  # calls run by a worker
        self.fallbacks = 0  # calls run inline because the pool broke
        self._executor: ProcessPoolExecutor | None = None
        self._ready: list[Future[Any]] = []
        if workers > 0:
            # forkserver: workers start from a clean process, not a copy of this one with its
            # threads and open connections
            self._executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker, initargs=(preload,))

    @property
    def inline(self) -> bool:
        return self._executor is None

    def start(self) -> None:
        """Start the workers now, in the background (calls run inline until one is up, and
        for good when they cannot be started)."""
        if self._executor is not None and not self._ready:
            try:
                self._ready = [self._executor.submit(int) for _ in range(self.workers)]
            except (OSError, RuntimeError):  # no processes to be had here: stay inline
                self._shutdown()

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for measuring them)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [pid for pid, process in processes.items() if process.is_alive()]

    def ready(self, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` seconds) until a worker is up; False if none is."""
        self.start()
        if not self._ready:
            return False
        done, _ = wait(self._ready, timeout=timeout, return_when=FIRST_COMPLETED)
        return any(future.exception() is None for future in done)

    def _pool_ready(self) -> bool:
        return bool(self._ready) and any(future.done() for future in self._ready)

    async def __call__(self, fn: Callable[..., T], /, *args: Any) -> T:
        if self._executor is None or not self._pool_ready():
            return fn(*args)
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except BrokenProcessPool:
            self._shutdown()
            self.fallbacks += 1
            return fn(*args)
        self.offloaded += 1
        return result

    def _shutdown(self, block: bool = False) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=block, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers once their current call ends (calls still queued are dropped:
        nobody waits for them any more)."""
        self._shutdown(block=True)
