"""The Slack outbox worker: DeliveryWorker's bookkeeping, as a pipeline rather than batch by batch.

DeliveryWorker.run_once claims a batch, delivers it and claims again only when the
whole batch is done, recording each row in a thread hop and a write of its own. For
Slack that costs answers their latency: one chart (a PNG drawn at send time, a
second or more on a busy machine) or one slow call held up the claim of every
answer committed meanwhile, and each delivery paid two writes.

Here a row is claimed as soon as a delivery slot is free (up to `concurrency` in
flight, and as many again for charts, so that a backlog of charts never takes the
answers' slots), and the results are recorded together: every result that came in while
the last record ran is written in one transaction. The guarantees are
DeliveryWorker's, by its own _record: marked sent only once Slack confirmed, a
temporary failure retried after its backoff or Retry-After, a permanent one failed
and audited; a claim is held until its result is recorded (a row is never claimed
twice by this worker), and a worker that dies leaves its claims to expire.

A turn's own rows need no claim at all: the turn commits them already claimed for
this worker (handover(), messages.Handover) and they are handed over with its
Response (take()), to be sent as soon as a slot is free. One held longer than half its
claim is left for a later claim rather than sent so late that the claim might run out
in the middle of the post.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from typing import Iterable

from bot.db import write_if_free, write_transaction
from bot.delivery import DeliveryResult, DeliveryWorker, Sent, attempt, nap
from bot.outbox import OutboxRow
from handlers.messages import Handover

log = logging.getLogger("sotp.slack.worker")

RECORD_PAUSES = (0.0, 0.0005, 0.001, 0.002)   # seconds before each try of the sent marks on the loop


class SlackDeliveryWorker(DeliveryWorker):
    _held: deque[OutboxRow] | None = None        # rows handed over by turns, not yet sent
    _stopping = True
    _look = True                                 # a claim may find rows (see run)
    _looked = 0.0                                # time.monotonic() of the last claim

    def handover(self) -> Handover | None:
        """What a turn needs to commit its Slack rows claimed for this worker; None while it is not running."""
        if self._held is None or self._stopping:
            return None
        return Handover(self.channel, secrets.token_hex(8), self.lease.total_seconds())

    def take(self, rows: Iterable[OutboxRow]) -> None:
        """A turn's rows, claimed for this worker (from the event loop): sent as soon as a slot is free."""
        if self._held is None or self._event is None:
            return                  # not running: their claims expire and they are claimed again
        self._held.extend(rows)
        self._event.set()

    def wake(self) -> None:
        """Rows were enqueued that no turn handed over (from any thread): claim them."""
        self._look = True
        super().wake()

    def release(self, token: str) -> None:
        """Rows claimed for a handover that will never be taken (blocking: call it in a thread)."""
        db = self.connections.db()
        with write_transaction(db):
            released = self._outbox().release(token)
        if released:
            log.info("released %d handed-over rows channel=%s", released, self.channel)
            self.wake()

    def _handed(self, free: int) -> list[OutboxRow]:
        """Up to `free` held rows whose claim has at least half its lease to run."""
        rows: list[OutboxRow] = []
        held, now = self._held, self.clock()
        while held and len(rows) < free:
            row = held.popleft()
            if row.claimed_until is not None and row.claimed_until - now < self.lease / 2:
                log.warning("handed-over row=%d key=%s waited past half its claim: left for a later claim",
                            row.id, row.key)
                continue
            rows.append(row)
        return rows

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._held = deque()
        self._event = asyncio.Event()
        self._slot = asyncio.Event()                       # a delivery was recorded: a slot is free
        self._results: list[tuple[OutboxRow, DeliveryResult]] = []
        self._written: asyncio.Event = asyncio.Event()     # set (and replaced) after each record
        self._recorded = asyncio.Event()
        self._stopping = False
        self._look = True                                  # rows may be due that no turn handed over
        self._looked = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        recorder = asyncio.ensure_future(self._record_loop(stop))
        log.info("delivery worker started channel=%s (pipelined)", self.channel)
        try:
            while not stop.is_set():
                self._event.clear()
                # Charts (drawn one at a time, a second or more each on a busy machine) have slots of
                # their own: a backlog of them never takes the answers' slots. Bounded still (at most
                # `concurrency` more rows claimed), so none waits anywhere near its claim's lease.
                charts = sum(1 for t in in_flight if t.get_name() == "chart")
                free = self.concurrency - (len(in_flight) - charts) - max(0, charts - self.concurrency)
                rows: list[OutboxRow] = self._handed(free) if free > 0 else []
                free -= len(rows)
                # A claim only when rows may be due that no turn handed over: woken, a retry or failure
                # recorded, idle, or idle_poll since the last one (a retry's backoff ends, a dead worker's
                # claim expires, while turns keep handing rows over and the worker is never idle).
                if free > 0 and (self._look or time.monotonic() - self._looked >= self.idle_poll):
                    limit = min(self.batch, free)
                    self._looked = time.monotonic()
                    try:
                        now = self.clock()
                        claimed = await asyncio.to_thread(
                            lambda: self._outbox().claim(self.channel, now, limit=limit, lease=self.lease))
                        self._look = len(claimed) == limit       # perhaps more are due
                        rows.extend(claimed)
                    except Exception as exc:   # the database, most likely: keep going, say so
                        self.last_error = f"{type(exc).__name__}: {exc}"
                        log.error("delivery worker channel=%s: %s", self.channel, self.last_error)
                for row in rows:
                    task = asyncio.ensure_future(self._send(row))
                    task.set_name("chart" if row.kind == "chart" else "row")
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                if rows:
                    continue                                # perhaps more are due: claim again
                if free <= 0:
                    self._slot.clear()
                    await self._wait(stop, self._slot)
                elif in_flight:
                    await self._wait(stop, self._event)     # new rows are woken for; slots are free
                    if not self._event.is_set():
                        self._look = True                   # idle_poll passed: a deferred row may be due
                else:
                    await self._sleep(stop)
                    if not self._event.is_set():
                        self._look = True                   # idle_poll or a row's not-before passed
            if in_flight:
                await asyncio.wait(set(in_flight))
        finally:
            self._stopping = True
            if self._held:
                log.info("stopping with %d handed-over rows unsent channel=%s: their claims expire and "
                         "they are sent then", len(self._held), self.channel)
            self._held = None
            self._recorded.set()
            await recorder
        log.info("delivery worker stopped channel=%s", self.channel)

    async def _wait(self, stop: asyncio.Event, event: asyncio.Event) -> None:
        # idle_poll at most: a row deferred meanwhile (a RetryAfter) becomes due without a wake.
        await nap(event, stop, None, None, self.idle_poll)  # type: ignore[arg-type]

    async def _send(self, row: OutboxRow) -> None:
        """Deliver, then hold the slot until the result is recorded: a row Slack has taken but the outbox
        does not yet call sent is one a kill posts again, so there are never more than the slots."""
        result = await attempt(self.adapter, row, self.channel)
        written = self._written
        self._results.append((row, result))
        self._recorded.set()
        await written.wait()
        self._slot.set()

    async def _record_loop(self, stop: asyncio.Event) -> None:
        """Write the results that came in, all in one transaction, until stopped and none is left."""
        while True:
            if not self._results:
                if self._stopping:
                    return
                await self._recorded.wait()
                self._recorded.clear()
                continue
            done, self._results = self._results, []
            # Taken with the results: a row sent while these are written waits for the next record.
            written, self._written = self._written, asyncio.Event()
            try:
                if not await self._record_soon(done):
                    await asyncio.to_thread(self._record_all, done)
            except Exception as exc:    # the claims expire and the rows are sent again: say so
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("delivery worker channel=%s: could not record %d results: %s", self.channel,
                          len(done), self.last_error)
            written.set()               # their slots are free now
            if any(not isinstance(result, Sent) for _, result in done):
                self._look = True       # a retry or a failure recorded: rows may be due (or claims released)
            if self._event is not None:
                self._event.set()

    async def _record_soon(self, done: list[tuple[OutboxRow, DeliveryResult]]) -> bool:
        """_record_now, tried again after short pauses while the lock is taken (a turn holds it for
        about a millisecond): in `sotp bench slack`, a third of the first tries found it taken."""
        for pause in RECORD_PAUSES:
            if pause:
                await asyncio.sleep(pause)
            if self._record_now(done):
                return True
        return False

    def _record_now(self, done: list[tuple[OutboxRow, DeliveryResult]]) -> bool:
        """Posts Slack confirmed, marked sent on the event loop if the write lock is free this moment.

        The marks are a few UPDATEs (~0.1 ms); in a thread they cost more than that in wake-ups and
        the interpreter lock passed back and forth, and the thread then waited for the turn process's
        lock in pauses of its own. False (nothing written) when the lock is taken, or for any other
        result than sent (retries and failures log and audit): _record_all writes them in a thread.
        """
        sent = [(row, result) for row, result in done if isinstance(result, Sent)]
        if len(sent) != len(done):
            return False
        with write_if_free(self.connections.db()) as free:
            if free:
                self._record_sent(sent)
        return free

    def _record_all(self, done: list[tuple[OutboxRow, DeliveryResult]]) -> None:
        """One transaction for all; if it fails, each on its own, so one bad row costs the others nothing."""
        try:
            with write_transaction(self.connections.db()):
                for row, result in done:
                    self._record(row, result)
            return
        except Exception as exc:
            log.warning("delivery worker channel=%s: recording %d results together failed (%s: %s); "
                        "recording each", self.channel, len(done), type(exc).__name__, exc)
        for row, result in done:
            self._record(row, result)
