"""What every listener, the adapter and the planner share: built once per process by components()."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.channels.slack.api import SlackApi
from bot.channels.slack.blocks import Style
from bot.channels.slack.config import SlackSettings
from bot.channels.slack.directory import Directory
from bot.channels.slack.texts import texts
from bot.config import Settings
from bot.db import Connections

log = logging.getLogger("sotp.slack")


@dataclass
class Deps:
    slack: SlackSettings
    settings: Settings
    connections: Connections
    conversation: Any                       # handlers.core.Conversation
    api: SlackApi
    directory: Directory
    style: Style
    clock: Callable[[], datetime]
    handled: int = 0                        # events turned into turns, for the health report
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)
    turns: Any = None                       # a TurnProcess when slack.turn_process is on
    worker: Any = None                      # the SlackDeliveryWorker, which takes a turn's rows from it

    async def ahandle(self, incoming: Any) -> Any:
        """One turn of the core: in the turn process when there is one, else in a thread here.

        The turn's Slack rows come back claimed for the delivery worker, which sends them at once
        (no claim, no wake-up). A turn answered before (a dead turn process had committed it, and it
        was run here again) hands over nothing: rows a dead process committed under this token are
        released to be claimed as usual, not left to wait out the claim."""
        handover = self.worker.handover() if self.worker is not None else None
        if self.turns is not None:
            response = await self.turns.ahandle(incoming, handover=handover)
        else:
            response = await self.conversation.ahandle(incoming, handover=handover)
        if response.claimed:
            self.worker.take(response.claimed)
        elif handover is not None and response.duplicate:
            await asyncio.to_thread(self.worker.release, handover.token)
        return response

    def wake(self) -> None:
        """Wake the Slack outbox worker (after enqueueing outside a core turn)."""
        waker = self.conversation.wakers.get("slack")
        if waker is not None:
            waker()

    def track(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run work after Slack's ack as a task the component waits for at shutdown (never lost)."""
        task = asyncio.ensure_future(coro)
        self.in_flight.add(task)
        task.add_done_callback(self._done)
        task.set_name(name)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("slack work %s failed: %s: %s", task.get_name(), type(exc).__name__, exc)

    async def drain(self, timeout: float) -> None:
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=timeout)


def make_style(conversation: Any, slack: SlackSettings) -> Style:
    """Block Kit rendering settings from the core's templates and corpus (one source for each text)."""
    t = conversation.t
    matcher = conversation.knowledge.matcher

    def title(section_id: str) -> str | None:
        section = matcher.section(section_id)
        return section.title if section is not None else None

    return Style(words=texts(), source_prefix=str(t.raw["faq"]["source"]).split("{", 1)[0],
                 more_line=lambda section_id: t.text("faq.more", id=section_id), title=title,
                 notice_url=slack.notice_url)
