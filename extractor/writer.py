"""The single writer of a run: every SQLite write of a batch goes through one asyncio task.

Workers (one per article in flight) never write themselves: they hand the writer a job, a
function of the database, and either wait for it (``await writer.write(job)``: the job has
committed, or its error is raised in the worker) or just post it (``writer.post(job)``: call
records, whose order is kept). Each job runs in its own transaction (BEGIN IMMEDIATE ... COMMIT;
a failing job is rolled back whole), one at a time, on the run's one connection, so SQLite never
sees two writers from one run and an article's rows are stored whole or not at all. A job that
was queued is still applied when its worker is cancelled: an article whose save was queued
before Ctrl-C is stored whole, one that was not is not stored at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import sqlite_utils

from extractor import storage

Job = Callable[[sqlite_utils.Database], Any]


class Writer:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[tuple[Job, asyncio.Future[Any] | None] | None] = \
            asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None  # of a posted job nobody waits for
        self.transactions = 0

    def start(self) -> Writer:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-writer")
        return self

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            job, done = item
            try:
                with storage.write(self.db):
                    result = job(self.db)
                self.transactions += 1
            except Exception as err:
                if done is None:
                    self._failure = self._failure or err
                elif not done.done():
                    done.set_exception(err)
            else:
                if done is not None and not done.done():
                    done.set_result(result)

    def _check(self) -> None:
        if self._task is None:
            raise RuntimeError("the writer is not started")
        if self._failure is not None:
            raise self._failure

    def post(self, job: Job) -> None:
        """Queue a job without waiting for it (its failure is raised by the next write/close)."""
        self._check()
        self._queue.put_nowait((job, None))

    async def write(self, job: Job) -> Any:
        """Queue a job and wait until it has committed; returns its result."""
        self._check()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, done))
        return await done

    async def close(self) -> None:
        """Apply everything queued, then stop; raises the failure of a posted job, if any."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        task, self._task = self._task, None
        await asyncio.shield(task)
        if self._failure is not None:
            raise self._failure
