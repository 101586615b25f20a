"""The single writer of a run: every SQLite write of a batch goes through one asyncio task.

Workers (one per article in flight) never write themselves: they hand the writer a job, a
function of the database, and either wait for it (``await writer.write(job)``: the job has
committed, or its error is raised in the worker) or just post it (``writer.post(job)``: call
records, whose order is kept). Jobs run one at a time, in order, on the run's one connection,
so SQLite never sees two writers from one run. The jobs queued while the previous commit ran are
committed together (group commit: one BEGIN IMMEDIATE ... COMMIT, one fsync, for many call
records and saves); if one of them fails, the group is rolled back and each job is applied again
in a transaction of its own, so an article's rows are always stored whole or not at all. A job that
was queued is still applied when its worker is cancelled: an article whose save was queued
before Ctrl-C is stored whole, one that was not is not stored at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from extractor.store import storage

Job = Callable[[sqlite_utils.Database], Any]
OnCommit = Callable[[], None]
MAX_GROUP = 256  # jobs committed together at most


@dataclass
class _Item:
    job: Job
    done: asyncio.Future[Any] | None = None  # None: posted, nobody waits
    on_commit: OnCommit | None = None

    def committed(self, result: Any) -> None:
        if self.on_commit is not None:
            self.on_commit()
        if self.done is not None and not self.done.done():
            self.done.set_result(result)

    def failed(self, error: Exception, writer: Writer) -> None:
        if self.done is None:
            writer._failure = writer._failure or error
        elif not self.done.done():
            self.done.set_exception(error)


class Writer:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None  # of a posted job nobody waits for
        self.transactions = 0

    def start(self) -> Writer:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-writer")
        return self

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            group = [item]
            stop = False
            while len(group) < MAX_GROUP and not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is None:
                    stop = True
                    break
                group.append(queued)
            self._apply(group)
            if stop:
                return

    def _apply(self, group: list[_Item]) -> None:
        """Group commit: every job queued meanwhile in one transaction; when one of them fails,
        each is applied again on its own, so a bad job never takes another one with it."""
        if len(group) > 1:
            try:
                with storage.write(self.db):
                    results = [item.job(self.db) for item in group]
            except Exception:
                pass
            else:
                self.transactions += 1
                for item, result in zip(group, results, strict=True):
                    item.committed(result)
                return
        for item in group:
            try:
                with storage.write(self.db):
                    result = item.job(self.db)
            except Exception as err:
                item.failed(err, self)
            else:
                self.transactions += 1
                item.committed(result)

    def _check(self) -> None:
        if self._task is None:
            raise RuntimeError("the writer is not started")
        if self._failure is not None:
            raise self._failure

    def post(self, job: Job) -> None:
        """Queue a job without waiting for it (its failure is raised by the next write/close)."""
        self._check()
        self._queue.put_nowait(_Item(job))

    async def write(self, job: Job, on_commit: OnCommit | None = None) -> Any:
        """Queue a job and wait until it has committed; returns its result. ``on_commit`` runs
        right after the commit, even when the waiting task was cancelled meanwhile (jobs must
        not change anything but the database: a job may run twice if its group is retried)."""
        self._check()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(job, done, on_commit))
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
