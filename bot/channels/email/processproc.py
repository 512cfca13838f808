"""The inbound processor in a spawned process of its own (`[email] processor_process = true`).

Parsing, screening and the core's turn are ~15 ms of pure-Python CPU per email. In a
thread of the service they hold the interpreter lock that the SMTP listener and
the delivery worker also need, so the gateway is one core's worth however many it
has. The processor needs nothing of the service but the database: the listener
stores every accepted message in the inbound ledger before its 250, and the
processor works through the ledger in transactions of its own. So the whole
processor moves, not the turn alone: a child process opens its own connection to
the same file, builds its own Conversation and InboundProcessor from the same
settings and clock, and runs the same `run_once()` loop.

Over one pipe the service sends a wake for every message stored (and None to
stop); the child sends back "ready", the delivery wakes of its commits (the core
wakes only the workers of its own process, and they run in the service) and its
counts. If the child cannot start or dies, the service's own InboundProcessor
takes over: a row the child had committed is no longer `received`, a row it had
not committed is untouched, so nothing is lost or answered twice.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from bot.channels.email.inbox import Inbox
from bot.channels.email.processor import InboundProcessor
from bot.channels.email.settings import EmailSettings
from bot.queue import CHANNELS
from bot.spawned import ask_to_finish, let_go, settle_heap

log = logging.getLogger("sotp.email")

START_TIMEOUT = 120.0        # seconds the child may take to import and load the knowledge
STOP_TIMEOUT = 10.0
WAKE = b"w"


def _pause(wake: threading.Event, processor: InboundProcessor) -> None:
    """Until a wake, the next retry that falls due, or the idle poll, whichever comes first."""
    try:
        due = Inbox(processor.connections.db()).next_due()
    except Exception:
        due = None
    timeout = processor.idle_poll
    if due is not None:
        timeout = max(0.0, min(timeout, (due - processor.clock()).total_seconds()))
    wake.wait(timeout)


def _serve(conn: Any, db_path: str, settings: Any, config: EmailSettings, clock: Callable[[], datetime],
           level: int, log_file: str | None) -> None:
    """The child: run_once() whenever woken, until None comes down the pipe or the pipe closes."""
    from bot import logs
    from bot.channels.email.gateway import inbound_processor
    from bot.db import Connections
    from handlers.core import Conversation

    logs.configure(level, log_file=log_file)
    connections = Connections(Path(db_path), create=False)
    conversation = Conversation(connections, settings, clock=clock)
    processor = inbound_processor(connections, conversation, config, clock)
    sending = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with sending:
            conn.send(message)

    def forward(channel: str) -> Callable[[], None]:
        return lambda: send(("wake", channel))

    for channel in CHANNELS:
        conversation.wakers[channel] = forward(channel)
    conversation.wakers["email"] = processor.deferring(forward("email"))
    conversation.assistant          # the knowledge is built lazily: before the first email, not for it
    settle_heap()
    wake, stop = threading.Event(), threading.Event()

    def read() -> None:
        try:
            while conn.recv() is not None:
                wake.set()
        except (EOFError, OSError):
            pass
        stop.set()
        wake.set()

    threading.Thread(target=read, name="email-inbound-pipe", daemon=True).start()
    send(("ready",))
    log.info("inbound processor process started")
    while not stop.is_set():
        wake.clear()
        try:
            handled = processor.run_once()
        except Exception as exc:      # the database, most likely: say so, wait, try again
            processor.last_error = f"{type(exc).__name__}: {exc}"
            log.error("inbound processor: %s", processor.last_error)
            handled = 0
        try:
            send(("counts", dict(processor.counts), processor.last_error))
        except OSError:
            return
        if not handled:
            _pause(wake, processor)
    connections.close()


class ProcessorProcess:
    """The inbound processor component, its work done in a child process; `fallback` when there is none."""

    name = "email-inbound"

    def __init__(self, fallback: InboundProcessor, settings: Any, config: EmailSettings, *,
                 log_file: str | None = None) -> None:
        self.fallback = fallback          # this process's: its wakers, and the processor if the child is gone
        self.settings = settings
        self.config = config
        self.log_file = log_file
        self.process: Any = None
        self.conn: Any = None
        self.counts: dict[str, int] = {}
        self.last_error: str | None = None
        self._sending = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self._gone_event: asyncio.Event | None = None

    async def run(self, stop: asyncio.Event) -> None:
        self._loop, self._gone_event = asyncio.get_running_loop(), asyncio.Event()
        if await self._start():
            stopping = asyncio.ensure_future(stop.wait())
            gone = asyncio.ensure_future(self._gone_event.wait())
            await asyncio.wait({stopping, gone}, return_when=asyncio.FIRST_COMPLETED)
            for task in (stopping, gone):
                task.cancel()
            if stop.is_set():
                await self._close()
                return
            log.warning("inbound processor process died: the service processes the inbound mail itself")
        await self.fallback.run(stop)

    async def _start(self) -> bool:
        """Start the child and wait until it has loaded the knowledge; False: the fallback runs."""
        assert self._loop is not None
        context = multiprocessing.get_context("spawn")   # spawn: the service has threads a fork would copy
        try:
            ours, theirs = context.Pipe(duplex=True)
            self.process = context.Process(
                target=_serve, name="sotp-email-inbound", daemon=True,
                args=(theirs, str(self.fallback.connections.path), self.settings, self.config, self.fallback.clock,
                      logging.getLogger().getEffectiveLevel(), self.log_file))
            self.process.start()
            theirs.close()
            self.conn = ours
            self._ready = self._loop.create_future()
            self._loop.add_reader(ours.fileno(), self._readable)
            await asyncio.wait_for(self._ready, START_TIMEOUT)
        except Exception as exc:
            log.warning("inbound processor process unavailable (%s: %s): the service processes the inbound "
                        "mail itself", type(exc).__name__, exc)
            self._gone()
            return False
        log.info("inbound processor process ready pid=%s", self.process.pid)
        return True

    def _readable(self) -> None:
        """Everything the pipe holds now (the event loop's reader callback)."""
        wakers = self.fallback.conversation.wakers
        try:
            while self.conn is not None and self.conn.poll():
                message = self.conn.recv()
                if message[0] == "wake":
                    waker = wakers.get(message[1])
                    if waker is not None:
                        waker()
                elif message[0] == "counts":
                    self.counts, self.last_error = message[1], message[2]
                elif message[0] == "ready" and self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
        except (EOFError, OSError) as exc:
            log.debug("inbound processor pipe closed: %s", type(exc).__name__)
            self._gone()

    def _gone(self) -> None:
        conn, self.conn = self.conn, None
        process, self.process = self.process, None
        let_go(self._loop, conn, process)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(EOFError("the inbound processor process is gone"))
        if self._gone_event is not None:
            self._gone_event.set()

    def wake(self) -> None:
        """A message was stored (from any thread): the child, or the fallback, looks at once."""
        if self.conn is not None:
            try:
                self._send(WAKE)
                return
            except OSError:
                pass          # the reader callback notices the child is gone
        self.fallback.wake()

    def _send(self, message: Any) -> None:
        """One message down the pipe (wakes come from any thread; a Connection is not thread-safe)."""
        conn = self.conn
        if conn is None:
            raise OSError("the inbound processor process is gone")
        with self._sending:
            conn.send(message)

    def deferring(self, wake: Callable[[], None]) -> Callable[[], None]:
        return self.fallback.deferring(wake)

    async def _close(self) -> None:
        """Ask the child to finish its loop, then wait for it."""
        await ask_to_finish(self._send if self.conn is not None else None, self.process, STOP_TIMEOUT)
        self._gone()

    def health(self) -> dict[str, Any]:
        if self.conn is None:
            return {**self.fallback.health(), "process": "off"}
        try:
            waiting: int | None = Inbox(self.fallback.connections.db()).counts().get("received", 0)
        except Exception:   # a health report never fails the service
            waiting = None
        return {"waiting": waiting, "processed": dict(self.counts), "last_error": self.last_error,
                "process": "running"}
