"""The core's turns in a spawned process of their own (`[slack] turn_process = true`).

A turn is ~2.5 ms of pure-Python CPU. Run in a thread of the service, it holds the
interpreter lock that the HTTP server, Bolt, the inbound ledger and the outbox
worker also need, so the event loop stalls behind every turn and two cores are no
better than one. In a process of its own the turn has an interpreter to itself.

One process, not a pool: a turn's reads and writes are one write transaction (BEGIN
IMMEDIATE), so a second process would mostly wait for the first's lock (only the
router's decision and the Notice match are computed before it: Conversation._prepare). The process
opens its own connection to the same database and builds its own Conversation from
the same settings and clock; the Incoming goes over a pipe, the Response comes back
(both small dataclasses). The pipe is read by the event loop itself (add_reader), and
in the turn process by a thread that only queues what comes in, so neither side ever
waits for the other to read: no thread hops per turn, as concurrent.futures' pools
need. Nothing about delivery changes: the turn commits its outbox rows as before,
and this process wakes the Slack worker when there are any. If the turn process
cannot start or dies, the turn runs here, in a thread, as without it; the core's
ledger answers a message id once, so a turn the dead process had committed is not
answered twice.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import queue
import threading
from pathlib import Path
from typing import Any, Callable

from bot.db import checkpoints_apart
from bot.spawned import ask_to_finish, let_go, settle_heap
from handlers.messages import Handover, Incoming, Response

log = logging.getLogger("sotp.slack.turns")

START_TIMEOUT = 120.0        # seconds the process may take to import and load the knowledge
STOP_TIMEOUT = 10.0
CHECKPOINT_SECONDS = 0.1     # how often the turn process's own thread checkpoints the WAL


def _serve(conn: Any, db_path: str, settings: Any, clock: Callable[[], Any], level: int,
           log_file: str | None) -> None:
    """The turn process: (id, incoming, remember, handover) in, (id, response or None, error) out, until None."""
    from bot import logs
    from bot.db import Connections
    from handlers.core import Conversation

    logs.configure(level, log_file=log_file)
    connections = Connections(Path(db_path), create=False)
    conversation = Conversation(connections, settings, clock=clock)
    # SQLite's automatic checkpoint would run inside the COMMIT of the turn that crosses 1,000 WAL
    # pages, while it holds the write lock every other writer waits for: the turns leave checkpoints
    # to a thread of their own (the other processes' connections keep theirs, so the WAL stays bounded).
    with checkpoints_apart(connections.db(), every=CHECKPOINT_SECONDS):
        _turns(conn, conversation)


def _turns(conn: Any, conversation: Any) -> None:
    conversation.assistant          # the knowledge is built lazily: before the first asker, not for them
    settle_heap()
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                item = conn.recv()
                inbox.put(item)
                if item is None:
                    return
        except (EOFError, OSError):
            inbox.put(None)

    threading.Thread(target=read, name="turn-inbox", daemon=True).start()
    conn.send(("ready", None, None))
    while True:
        item = inbox.get()
        if item is None:
            return
        number, incoming, remember, handover = item
        try:
            conn.send((number, conversation.handle(incoming, remember=remember, handover=handover), None))
        except Exception as exc:          # not the turn (its own errors are answered): the pipe or a pickle
            conn.send((number, None, f"{type(exc).__name__}: {exc}"))


class TurnProcessGone(Exception):
    """The turn process died or could not be reached: the turn runs in this process instead."""


class TurnProcess:
    """ahandle(incoming) like Conversation's, the turn run in the turn process."""

    def __init__(self, conversation: Any, settings: Any, *, log_file: str | None = None) -> None:
        self.conversation = conversation          # this process's: wakers, and the fallback
        self.settings = settings
        self.log_file = log_file
        self.process: Any = None
        self.conn: Any = None
        self.fallbacks = 0
        self._numbers = itertools.count(1)
        self._waiting: dict[Any, asyncio.Future[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False

    async def start(self) -> bool:
        """Start the process and wait until it has loaded the knowledge; False: turns run here."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        context = multiprocessing.get_context("spawn")   # spawn: the service has threads a fork would copy
        try:
            ours, theirs = context.Pipe(duplex=True)
            self.process = context.Process(
                target=_serve, name="sotp-turns", daemon=True,
                args=(theirs, str(self.conversation.connections.path), self.settings, self.conversation.clock,
                      logging.getLogger().getEffectiveLevel(), self.log_file))
            self.process.start()
            theirs.close()
            self.conn = ours
            ready = self._loop.create_future()
            self._waiting["ready"] = ready
            self._loop.add_reader(ours.fileno(), self._readable)
            await asyncio.wait_for(ready, START_TIMEOUT)
            log.info("turn process ready pid=%s", self.process.pid)
            return True
        except Exception as exc:
            log.warning("turn process unavailable (%s: %s): turns run in this process", type(exc).__name__, exc)
            self._gone()
            return False

    def _readable(self) -> None:
        """Every answer the pipe holds now (the event loop's reader callback)."""
        try:
            while self.conn is not None and self.conn.poll():
                number, response, error = self.conn.recv()
                waiter = self._waiting.pop(number, None)
                if waiter is None or waiter.done():
                    continue
                if error is not None:
                    waiter.set_exception(TurnProcessGone(error))
                else:
                    waiter.set_result(response)
        except (EOFError, OSError) as exc:
            if not self._closing:
                log.warning("turn process died (%s): its turns run in this process", type(exc).__name__)
            self._gone()

    def _gone(self) -> None:
        """No process any more: every turn it still owed runs here."""
        conn, self.conn = self.conn, None
        process, self.process = self.process, None
        let_go(self._loop, conn, process)
        waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            if not waiter.done():
                waiter.set_exception(TurnProcessGone("the turn process is gone"))

    async def ahandle(self, incoming: Incoming, *, remember: bool = True,
                      handover: Handover | None = None) -> Response:
        if self.conn is None:
            return await self.conversation.ahandle(incoming, remember=remember, handover=handover)
        number = next(self._numbers)
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[number] = waiter
        try:
            self.conn.send((number, incoming, remember, handover))
            response: Response = await waiter
        except (TurnProcessGone, OSError) as exc:
            self._waiting.pop(number, None)
            self.fallbacks += 1
            log.warning("turn %s runs in this process: %s", incoming.message_id, exc)
            if self.conn is not None and not (self.process is not None and self.process.is_alive()):
                self._gone()
            return await self.conversation.ahandle(incoming, remember=remember, handover=handover)
        if len(response.outbox_keys) > len(response.claimed):
            # The core wakes only the workers of its own process; ours are here.
            waker = self.conversation.wakers.get(incoming.channel)
            if waker is not None:
                waker()
        return response

    async def aclose(self) -> None:
        """Ask the process to finish (it answers what it was sent first), then wait for it."""
        self._closing = True
        await ask_to_finish(self.conn.send if self.conn is not None else None, self.process, STOP_TIMEOUT)
        self._gone()

    def health(self) -> dict[str, Any]:
        return {"turn_process": "running" if self.conn is not None else "off", "turn_fallbacks": self.fallbacks}
