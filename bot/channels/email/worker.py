"""The email outbox worker: DeliveryWorker's bookkeeping, with rows prepared while others are sent.

DeliveryWorker.run_once claims a batch and delivers it `concurrency` rows at a time, each
row holding its slot while it is composed (a thread hop, and for an estimate the chart,
drawn by the chart process at the lowest priority: on a busy machine a long wait), then
sent, then marked; the next batch is claimed only when the whole batch is done. Measured
on `sotp bench email`, a row spent about 20 ms of its ~28 ms in a slot being prepared, so
the two relay connections stood idle most of the time, and one chart held up every row
claimed after it.

Here every claimed row is prepared as soon as it is claimed, outside the slots; a slot
(one per relay connection) is taken only to send the row and to wait for its sent mark.
So the guarantee is DeliveryWorker's own: a row is marked sent only once the relay took
it, and a kill leaves at most `concurrency` rows sent but not yet marked (sent again with
the same Message-ID). Rows are claimed again as soon as a quarter of the in-flight limit
(`batch`) is free, not when the slowest row of a batch is done; and only when woken, when
the last claim came back full, or after idle_poll (a claim is a write transaction). The
composing is done in one thread of the adapter's own (EmailAdapter._composer).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from bot.delivery import DeliveryResult, DeliveryWorker, RetryAfter, guarded
from bot.outbox import OutboxRow

log = logging.getLogger("sotp.delivery")


class EmailDeliveryWorker(DeliveryWorker):
    """Delivers the email channel's rows until stopped; the adapter must have prepare_ahead and send_prepared."""

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = woken = asyncio.Event()          # wake(): rows were enqueued
        room = asyncio.Event()                         # rows finished: there is room to claim more
        gate = asyncio.Semaphore(self.concurrency)
        # Each row in flight (its task) and when its claim runs out.
        in_flight: dict[asyncio.Task[None], datetime] = {}
        refill = max(1, self.batch // 4)
        more = True                                    # rows may be due (a claim that came back empty: no)

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.pop(task, None)
            if self.batch - len(in_flight) >= refill:
                room.set()

        def claims_hold() -> bool:
            """No claim while one of our own rows in flight has run out of its claim: the claim would
            take that row again, and it would be sent twice (a slow relay holds rows past their lease)."""
            now = self.clock()
            return all(until > now for until in in_flight.values())

        log.info("delivery worker started channel=%s (prepared ahead)", self.channel)
        try:
            while not stop.is_set():
                free = self.batch - len(in_flight)
                if more and (free >= refill or not in_flight) and claims_hold():
                    woken.clear()
                    rows: list[OutboxRow] = []
                    try:
                        now = self.clock()
                        rows = await asyncio.to_thread(
                            lambda: self._outbox().claim(self.channel, now, limit=free, lease=self.lease))
                        more = len(rows) >= free           # a full claim: perhaps more are due
                    except Exception as exc:   # the database, most likely: keep going, say so
                        self.last_error = f"{type(exc).__name__}: {exc}"
                        log.error("delivery worker channel=%s: %s", self.channel, self.last_error)
                        more = False
                    for row in rows:
                        task = asyncio.ensure_future(self._through(row, gate))
                        in_flight[task] = row.claimed_until or now + self.lease
                        task.add_done_callback(finished)
                    if more:
                        continue
                if not in_flight:
                    await self._sleep(stop)                # a wake, the next row due, or idle_poll
                    more = True
                    continue
                # Rows in flight: wait for a wake or for room; idle_poll at most, so that a row deferred
                # meanwhile becomes due without a wake.
                room.clear()
                waits = [asyncio.ensure_future(e.wait()) for e in (woken, room, stop)]
                try:
                    await asyncio.wait(waits, timeout=self.idle_poll, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for w in waits:
                        w.cancel()
                if woken.is_set() or not room.is_set():
                    woken.clear()          # seen: waiting on it again while there is no room would spin
                    more = True
            if in_flight:
                await asyncio.wait(set(in_flight))
        finally:
            log.info("delivery worker stopped channel=%s", self.channel)

    async def _through(self, row: OutboxRow, gate: asyncio.Semaphore) -> None:
        """Prepare the row (no slot held), then send it and record the result in a slot."""
        adapter: Any = self.adapter
        try:
            prepared = await guarded(lambda: adapter.prepare_ahead(row), row, self.channel)
            async with gate:
                result: DeliveryResult = (prepared if isinstance(prepared, RetryAfter) else
                                          await guarded(lambda: adapter.send_prepared(row, prepared), row,
                                                        self.channel))
                await self._settle(row, result)
        except Exception as exc:   # recording failed (the database): the claim expires and the row is sent again
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("delivery worker channel=%s row=%d: %s", self.channel, row.id, self.last_error)
