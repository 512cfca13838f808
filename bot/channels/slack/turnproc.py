"""The core's turns in a spawned process of their own (`[slack] turn_process = true`).

A turn is ~2.5 ms of pure-Python CPU. Run in a thread of the service, it holds the
interpreter lock that the HTTP server, Bolt, the inbound ledger and the outbox
worker also need, so the event loop stalls behind every turn and two cores are no
better than one. In a process of its own the turn has an interpreter to itself.

One process, not a pool: a turn is one write transaction (BEGIN IMMEDIATE) for the
whole of it, so a second process would only wait for the first's lock. The process
opens its own connection to the same database and builds its own Conversation from
the same settings and clock; the Incoming goes over, the Response comes back (both
small dataclasses). Nothing about delivery changes: the turn commits its outbox rows
as before, and this process wakes the Slack worker when there are any. If the turn
process cannot start or dies, the turn runs here, in a thread, as without it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

from handlers.messages import Incoming, Response

log = logging.getLogger("sotp.slack.turns")

START_TIMEOUT = 120.0        # seconds the process may take to import and load the knowledge

_conversation: Any = None    # the turn process's own Conversation


def _start(db_path: str, settings: Any, clock: Callable[[], Any], level: int, log_file: str | None) -> None:
    """The process's initializer: logging as the service's, a connection and a Conversation of its own."""
    from bot import logs
    from bot.db import Connections
    from handlers.core import Conversation

    global _conversation
    logs.configure(level, log_file=log_file)
    _conversation = Conversation(Connections(Path(db_path), create=False), settings, clock=clock)


def _ready() -> bool:
    """Loads what the first turn would (the knowledge is built lazily), so that no asker waits for it."""
    _conversation.assistant
    return True


def _turn(incoming: Incoming, remember: bool) -> Response:
    return _conversation.handle(incoming, remember=remember)


class TurnProcess:
    """ahandle(incoming) like Conversation's, the turn run in the turn process."""

    def __init__(self, conversation: Any, settings: Any, *, log_file: str | None = None) -> None:
        self.conversation = conversation          # this process's: wakers, and the fallback
        self.settings = settings
        self.log_file = log_file
        self.pool: ProcessPoolExecutor | None = None
        self.fallbacks = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
            initargs=(str(self.conversation.connections.path), self.settings, self.conversation.clock,
                      logging.getLogger().getEffectiveLevel(), self.log_file))

    async def start(self) -> bool:
        """Start the process and wait until it has loaded the knowledge; False: turns run here."""
        loop = asyncio.get_running_loop()
        try:
            self.pool = self._new_pool()
            await asyncio.wait_for(loop.run_in_executor(self.pool, _ready), START_TIMEOUT)
            log.info("turn process ready")
            return True
        except Exception as exc:
            log.warning("turn process unavailable (%s: %s): turns run in this process", type(exc).__name__, exc)
            self.close()
            return False

    async def ahandle(self, incoming: Incoming, *, remember: bool = True) -> Response:
        pool = self.pool
        if pool is None:
            return await self.conversation.ahandle(incoming, remember=remember)
        try:
            response: Response = await asyncio.get_running_loop().run_in_executor(pool, _turn, incoming, remember)
        except BrokenProcessPool as exc:
            # The process died (a kill, out of memory): this turn runs here; the next starts a new process.
            # The core's ledger answers a message id once, so a turn it had committed is not answered twice.
            log.warning("turn process died (%s): turn %s runs in this process", exc, incoming.message_id)
            self.fallbacks += 1
            if self.pool is pool:
                self.pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            return await self.conversation.ahandle(incoming, remember=remember)
        if response.outbox_keys:
            # The core wakes only the workers of its own process; ours are here.
            waker = self.conversation.wakers.get(incoming.channel)
            if waker is not None:
                waker()
        return response

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=False)

    def health(self) -> dict[str, Any]:
        return {"turn_process": "running" if self.pool is not None else "off", "turn_fallbacks": self.fallbacks}
