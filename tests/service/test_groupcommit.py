"""Group commit: writes that arrive together share one call of the writer, each caller gets its own result."""

from __future__ import annotations

import asyncio

import pytest

from bot.groupcommit import GroupCommit


async def test_writes_that_arrive_together_share_one_call_and_each_gets_its_own_result():
    calls: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        calls.append(items)
        return [n * 10 for n in items]

    commit: GroupCommit[int, int] = GroupCommit(write)
    results = await asyncio.gather(*(commit.submit(n) for n in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert calls == [[0, 1, 2, 3, 4]]        # all queued before the writer ran: one call
    assert await commit.submit(5) == 50 and calls[-1] == [5]


async def test_a_failed_write_fails_every_caller_of_its_batch_and_not_the_next():
    def write(items: list[str]) -> list[str]:
        if "bad" in items:
            raise RuntimeError("database is locked")
        return items

    commit: GroupCommit[str, str] = GroupCommit(write)
    outcomes = await asyncio.gather(commit.submit("bad"), return_exceptions=True)
    assert isinstance(outcomes[0], RuntimeError) and str(outcomes[0]) == "database is locked"
    assert await commit.submit("good") == "good"


async def test_callers_still_queued_when_the_writer_is_cancelled_are_cancelled_not_left_waiting():
    def write(items: list[int]) -> list[int]:
        return items

    commit: GroupCommit[int, int] = GroupCommit(write)
    callers = [asyncio.ensure_future(commit.submit(n)) for n in (1, 2)]
    await asyncio.sleep(0)                   # both queued, the writer not yet started
    assert commit._writer is not None
    commit._writer.cancel()
    outcomes = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    assert await commit.submit(3) == 3       # and a new writer serves the next caller


async def test_an_inline_writer_runs_on_the_event_loops_own_thread_and_still_groups_what_arrived_together():
    import threading

    threads: list[int] = []
    calls: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        threads.append(threading.get_ident())
        calls.append(items)
        return [n + 1 for n in items]

    commit: GroupCommit[int, int] = GroupCommit(write, inline=True)
    assert await asyncio.gather(*(commit.submit(n) for n in range(3))) == [1, 2, 3]
    assert calls == [[0, 1, 2]]
    assert threads == [threading.get_ident()]
