"""The queue's overdue check, as a `sotp serve` component.

A ticket with no staff reply after the configured business hours (queue.
overdue_business_hours, Stock Services' hours in Pacific Time) is overdue: the
check logs it and, when a staff channel is configured ([slack] staff_channel),
posts one notice there through the outbox (key overdue:<ticket>, so never twice).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Callable

from bot.business_hours import BusinessHours
from bot.config import Settings
from bot.db import Connections, write_transaction
from bot.outbox import Outbound, Outbox
from bot.queue import Queue

log = logging.getLogger("sotp.overdue")
CHECK_EVERY = 300.0   # seconds


class OverdueCheck:
    name = "overdue-check"

    def __init__(self, connections: Connections, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.connections = connections
        self.settings = settings
        self.clock = clock
        self.hours = BusinessHours.from_settings(settings)
        self._logged: set[str] = set()   # without a staff channel: noticed in this process's log
        self.staff_channel = str(settings.section("slack").get("staff_channel", "") or "")
        self.last_run: datetime | None = None
        self.overdue = 0

    def check(self) -> list[str]:
        """Enqueue a notice for each overdue ticket not noticed before; returns the ids newly noticed."""
        db, now = self.connections.db(), self.clock()
        queue, outbox = Queue(db), Outbox(db)
        tickets = queue.overdue(now, self.settings.overdue_business_hours, self.hours)
        noticed: list[str] = []
        with write_transaction(db):
            for ticket in tickets:
                key = f"overdue:{ticket.id}"
                if ticket.id in self._logged or outbox.by_key(key) is not None:
                    continue
                text = (f"{ticket.id} has waited more than {self.settings.overdue_business_hours} business hours "
                        f"for a staff reply ({ticket.category}, via {ticket.channel}).")
                if self.staff_channel:
                    outbox.enqueue(Outbound(key, "slack", self.staff_channel, "notice",
                                            {"text": text, "ticket": ticket.id, "mode": "thread",
                                             "privacy": "public"}, ticket=ticket.id), now)
                else:   # nowhere to post: the log line is the notice
                    self._logged.add(ticket.id)
                noticed.append(ticket.id)
                log.warning("overdue ticket=%s: %s", ticket.id, text)
        self.last_run, self.overdue = now, len(tickets)
        return noticed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.check)
            try:
                await asyncio.wait_for(stop.wait(), CHECK_EVERY)
            except asyncio.TimeoutError:
                pass

    def health(self) -> dict[str, Any]:
        return {"last_run": self.last_run.isoformat() if self.last_run else None, "overdue": self.overdue}
