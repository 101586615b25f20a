"""The single writer: order, one transaction per group, failure isolation, commit callbacks."""

from __future__ import annotations

import asyncio

import pytest

from extractor.pipeline.writer import Writer


def make_table(db) -> None:
    db["t"].create({"id": int, "v": str}, pk="id")


def test_jobs_apply_in_order_and_write_returns_after_commit(db) -> None:
    make_table(db)
    committed: list[int] = []

    async def scenario() -> int:
        writer = Writer(db).start()
        for n in range(5):
            writer.post(lambda d, n=n: d["t"].insert({"id": n, "v": "posted"}))
        result = await writer.write(lambda d: d["t"].count, on_commit=lambda: committed.append(1))
        await writer.close()
        return result

    assert asyncio.run(scenario()) == 5  # every earlier job was applied before
    assert committed == [1]
    assert [r["id"] for r in db["t"].rows] == [0, 1, 2, 3, 4]
    assert not db.conn.in_transaction


def test_a_failing_job_is_isolated_from_its_group(db) -> None:
    make_table(db)
    commits: list[str] = []

    async def scenario() -> None:
        writer = Writer(db).start()
        good = asyncio.ensure_future(writer.write(
            lambda d: d["t"].insert({"id": 1, "v": "a"}), on_commit=lambda: commits.append("a")))
        bad = asyncio.ensure_future(writer.write(lambda d: d["t"].insert({"id": 1, "v": "dup"})))
        later = asyncio.ensure_future(writer.write(
            lambda d: d["t"].insert({"id": 2, "v": "b"}), on_commit=lambda: commits.append("b")))
        await asyncio.gather(good, later)
        with pytest.raises(Exception, match="UNIQUE"):
            await bad
        await writer.close()

    asyncio.run(scenario())
    assert {r["id"]: r["v"] for r in db["t"].rows} == {1: "a", 2: "b"}
    assert commits == ["a", "b"]  # each callback once, although the group was retried


def test_a_failed_posted_job_is_raised_by_close(db) -> None:
    async def scenario() -> None:
        writer = Writer(db).start()
        writer.post(lambda d: d.execute("INSERT INTO missing_table VALUES (1)"))
        await writer.close()

    with pytest.raises(Exception, match="missing_table"):
        asyncio.run(scenario())


def test_a_queued_job_is_applied_even_if_its_waiter_is_cancelled(db) -> None:
    make_table(db)

    async def scenario() -> None:
        writer = Writer(db).start()
        waiter = asyncio.ensure_future(writer.write(lambda d: d["t"].insert({"id": 7, "v": "x"})))
        await asyncio.sleep(0)
        waiter.cancel()
        await writer.close()

    asyncio.run(scenario())
    assert db["t"].count == 1  # an article queued for storage before Ctrl-C is stored whole
