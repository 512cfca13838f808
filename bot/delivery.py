"""Delivery workers: take due rows out of the outbox and hand them to their channel.

A channel adapter (Slack, SMTP) only sends and says how it went: Sent (with the
channel's own id of the message), RetryAfter (a temporary failure, or a rate
limit's Retry-After) or Failed (permanent). The worker owns the bookkeeping, so
every channel gets the same guarantees: a row is marked sent only after the
adapter confirmed it; an adapter that raises is a temporary failure; a worker
that dies leaves its claim to expire, and the row is claimed again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Protocol, TypeVar, Union

from bot.db import Connections
from bot.groupcommit import GroupCommit
from bot.outbox import DEFAULT_LEASE, Outbox, OutboxRow, backoff

R = TypeVar("R")

log = logging.getLogger("sotp.delivery")


@dataclass(frozen=True)
class Sent:
    provider_ref: str | None = None     # Slack ts, SMTP Message-ID


@dataclass(frozen=True)
class RetryAfter:
    reason: str
    seconds: float | None = None        # None: the outbox's exponential backoff


@dataclass(frozen=True)
class Failed:
    reason: str


DeliveryResult = Union[Sent, RetryAfter, Failed]


class ChannelAdapter(Protocol):
    """What a channel implements to deliver outbox rows (one per channel name)."""

    name: str

    async def deliver(self, row: OutboxRow) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


async def guarded(step: Callable[[], Awaitable[R]], row: OutboxRow, channel: str) -> R | RetryAfter:
    """One step of delivering a row, where an adapter bug or an unexpected transport error is a retry later."""
    try:
        return await step()
    except Exception as exc:
        log.warning("delivery raised channel=%s row=%d key=%s: %s: %s", channel, row.id, row.key,
                    type(exc).__name__, exc)
        return RetryAfter(f"{type(exc).__name__}: {exc}")


async def attempt(adapter: ChannelAdapter, row: OutboxRow, channel: str) -> DeliveryResult:
    """adapter.deliver(row), guarded."""
    return await guarded(lambda: adapter.deliver(row), row, channel)


async def nap(wake: asyncio.Event, stop: asyncio.Event, due: datetime | None, now: datetime,
              idle_poll: float) -> None:
    """Sleep until woken, stopped, the next row is due, or idle_poll seconds: a worker's idle wait."""
    timeout = idle_poll
    if due is not None:
        timeout = max(0.01, min(timeout, (due - now).total_seconds()))
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class DeliveryWorker:
    """Delivers one channel's outbox rows until stopped; wake() after enqueueing makes it look at once."""

    def __init__(self, connections: Connections, adapter: ChannelAdapter, *,
                 clock: Callable[[], datetime] = _utc_now, lease: timedelta = DEFAULT_LEASE,
                 batch: int = 50, concurrency: int = 1, idle_poll: float = 5.0) -> None:
        self.connections = connections
        self.adapter = adapter
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.concurrency = max(1, concurrency)
        self.idle_poll = idle_poll
        self.delivered = 0
        self.failed = 0
        self.last_error: str | None = None
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._marks: GroupCommit[tuple[OutboxRow, Sent], None] = GroupCommit(self._record_sent)

    @property
    def channel(self) -> str:
        return self.adapter.name

    def wake(self) -> None:
        """Safe from any thread: the core calls it after a turn enqueued rows for this channel."""
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    def _outbox(self) -> Outbox:
        return Outbox(self.connections.db())

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        log.info("delivery worker started channel=%s", self.channel)
        while not stop.is_set():
            self._event.clear()
            try:
                handled = await self.run_once()
            except Exception as exc:   # the database, most likely: keep going, say so
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("delivery worker channel=%s: %s", self.channel, self.last_error)
                handled = 0
            if handled:
                continue
            await self._sleep(stop)
        log.info("delivery worker stopped channel=%s", self.channel)

    async def _sleep(self, stop: asyncio.Event) -> None:
        assert self._event is not None
        due = await asyncio.to_thread(lambda: self._outbox().next_due(self.channel))
        await nap(self._event, stop, due, self.clock(), self.idle_poll)

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver them; returns how many were handled."""
        now = self.clock()
        rows = await asyncio.to_thread(
            lambda: self._outbox().claim(self.channel, now, limit=self.batch, lease=self.lease))
        if not rows:
            return 0
        if self.concurrency == 1:
            for row in rows:
                await self._deliver(row)
        else:
            gate = asyncio.Semaphore(self.concurrency)

            async def one(row: OutboxRow) -> None:
                async with gate:
                    await self._deliver(row)

            await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    async def _deliver(self, row: OutboxRow) -> None:
        await self._settle(row, await attempt(self.adapter, row, self.channel))

    async def _settle(self, row: OutboxRow, result: DeliveryResult) -> None:
        """Record what became of a row: a sent mark (grouped with others), or its retry or failure."""
        if isinstance(result, Sent):
            # Group commit: each sender still waits for its own mark before it takes its next row,
            # so a kill leaves at most `concurrency` rows sent but unmarked (resent with the same id).
            await self._marks.submit((row, result))
        else:
            await asyncio.to_thread(self._record, row, result)

    def _record_sent(self, sent: list[tuple[OutboxRow, Sent]]) -> list[None]:
        marked = self._outbox().complete_many([(row, result.provider_ref) for row, result in sent], self.clock())
        for (row, result), ok in zip(sent, marked):
            if ok:
                self.delivered += 1
                log.info("delivered channel=%s row=%d kind=%s key=%s ref=%s", self.channel, row.id, row.kind,
                         row.key, result.provider_ref)
            else:
                log.warning("delivered but the claim had expired channel=%s row=%d key=%s", self.channel,
                            row.id, row.key)
        return [None] * len(sent)

    def _record(self, row: OutboxRow, result: DeliveryResult) -> None:
        outbox, now = self._outbox(), self.clock()
        if isinstance(result, Sent):
            self._record_sent([(row, result)])
        elif isinstance(result, RetryAfter):
            self.last_error = result.reason
            delay = timedelta(seconds=result.seconds) if result.seconds is not None else backoff(row.attempts)
            outbox.retry_later(row, now, result.reason, delay)
            log.warning("delivery deferred channel=%s row=%d key=%s attempt=%d retry_in=%.1fs: %s",
                        self.channel, row.id, row.key, row.attempts, delay.total_seconds(), result.reason)
        else:
            self.failed += 1
            self.last_error = result.reason
            outbox.fail(row, now, result.reason)
            log.error("delivery failed permanently channel=%s row=%d key=%s: %s", self.channel, row.id, row.key,
                      result.reason)
