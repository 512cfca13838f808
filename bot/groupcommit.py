"""Group commit: writes that arrive while one is being committed share the next transaction.

The inbound Slack ledger and the outbox's sent marks both want SQLite's one write lock,
which the turns hold most of the time; taking it once for every request that came in
meanwhile, instead of once each, is what keeps the acks and the marks from queueing.
Each caller still waits for its own item to be committed, so nothing is acknowledged
before it is stored.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`await submit(item)` returns `write(batch)`'s result for that item, once its batch is committed.

    `write` takes the items queued together and returns one result per item, in order; it runs
    in `executor()` (None: the loop's default pool), or with `inline` on the event loop itself
    (for a file no other process writes, whose commit is a fraction of a millisecond: a thread
    hop, two wake-ups and the interpreter lock passed back and forth, cost more than the
    write). If it raises, every item of that batch gets
    the exception (none of them was stored); items still queued when the writer task is cancelled
    (the loop stopping) are cancelled, so no caller waits forever.
    """

    def __init__(self, write: Callable[[list[Item]], list[Result]],
                 executor: Callable[[], Executor | None] = lambda: None, *, inline: bool = False) -> None:
        self._write = write
        self._inline = inline
        self._executor = executor
        self._queued: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Future[None] | None = None

    async def submit(self, item: Item) -> Result:
        waiter: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queued.append((item, waiter))
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._drain())
            self._writer.add_done_callback(self._cancelled_unstarted)
        return await waiter

    def _cancelled_unstarted(self, writer: asyncio.Future[None]) -> None:
        """A writer cancelled before its first step never runs _drain's finally: cancel its callers here."""
        if self._writer is writer:
            self._writer = None
            for _, waiter in self._queued:
                waiter.cancel()
            self._queued = []

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    items = [item for item, _ in batch]
                    if self._inline:
                        results = self._write(items)
                    else:
                        results = await loop.run_in_executor(self._executor(), self._write, items)
                except Exception as exc:
                    for _, waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for (_, waiter), result in zip(batch, results):
                    if not waiter.done():
                        waiter.set_result(result)
        finally:
            self._writer = None
            for _, waiter in batch + self._queued:
                if not waiter.done():
                    waiter.cancel()
            self._queued = []
