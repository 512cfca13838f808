"""The reminder planner as a `sotp serve` component: one pass every minute against the service's clock.

A pass is the same as `sotp remind` (bot.reminders.run): safe to repeat, safe to
interrupt, and cheap when nothing changed. A pass that fails (the database busy,
a bad configured deadline) is logged and shown in the health report; the next
one runs at the next interval. After a pass that enqueued rows, the delivery
workers of their channels are woken.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import datetime
from typing import Any

from bot.reminders import tracking
from bot.reminders.run import Planner, Report
from bot.reminders.settings import ReminderSettings
from bot.timestamps import to_db

log = logging.getLogger("sotp.reminders")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reminders")
    group.add_argument("--no-reminders", action="store_true",
                       help="do not run the reminder planner (deadline reminders, confirmations, results emails)")


def components(context: Any) -> list[Any]:
    """The planner, unless --no-reminders or [reminders] enabled = false."""
    settings = ReminderSettings.from_settings(context.settings)   # a bad [reminders] stops start-up here
    if getattr(context.args, "no_reminders", False) or not settings.enabled:
        log.info("reminder planner not started (%s)",
                 "--no-reminders" if getattr(context.args, "no_reminders", False) else "[reminders] enabled = false")
        return []
    return [ReminderComponent(context, settings.interval_seconds)]


class ReminderComponent:
    name = "reminders"

    def __init__(self, context: Any, interval: float) -> None:
        self.context = context
        self.interval = interval
        self.passes = 0
        self.enqueued = 0
        self.last_pass: datetime | None = None
        self.last_report: Report | None = None
        self.last_error: str | None = None

    def tick(self) -> Report:
        """One pass, in a worker thread (its own connection)."""
        now = self.context.clock()
        db = self.context.connections.db()
        channels = getattr(self.context, "channels", None)
        report = Planner(db, self.context.settings, progress=log.info,
                         slack=None if channels is None else "slack" in channels).run(now)
        tracked = tracking.plan(db, self.context.settings, now, slack=channels is None or "slack" in channels)
        if tracked.enqueued:   # the daily Averaging Period update (bot/reminders/tracking.py)
            report.enqueued += tracked.enqueued
            report.counts["tracking"] = dict(tracked.counts)
        self.passes += 1
        self.enqueued += report.enqueued
        self.last_pass, self.last_report, self.last_error = now, report, None
        if report.enqueued:
            log.info("reminders pass as of %s: %d rows enqueued (%s)", to_db(now), report.enqueued,
                     ", ".join(f"{kind} {sum(by.values()):,}" for kind, by in report.counts.items()))
            wakers = getattr(self.context.conversation, "wakers", {})
            for channel in {c for by in report.counts.values() for c in by}:
                waker = wakers.get(channel)
                if waker is not None:
                    waker()
        return report

    async def run(self, stop: asyncio.Event) -> None:
        log.info("reminder planner started: a pass every %.0f s", self.interval)
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception as exc:   # the next pass tries again; the health report shows it
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("reminders pass failed: %s", self.last_error)
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
        log.info("reminder planner stopped")

    def health(self) -> dict[str, Any]:
        report = self.last_report
        out: dict[str, Any] = {"passes": self.passes, "enqueued": self.enqueued, "last_error": self.last_error,
                               "last_pass": to_db(self.last_pass) if self.last_pass else None}
        if report is not None:
            out.update({"deadline": report.version.deadline.isoformat(), "deadline_version": report.version.version,
                        "due": list(report.due),
                        "next_due": None if report.next_due is None else
                        {"kind": report.next_due.kind, "at": to_db(report.next_due.due_at)}})
        return out
