"""The daily Averaging Period update: after each close is in, one message to each employee who asked.

Employees opt in with "track on" (any channel) or `/sotp track on` in Slack, and out
with "track off". After the close of an Available Trading Day is imported, each of
them gets one neutral message (bot/data/tracking.toml): the close, the running
average, the days counted and remaining, their own Total Payment at that average
with the Notice's caveat. By Slack DM when they chose it in Slack (and the Slack app
runs), else by email to the address on record.

The outbox key is tracking:<day>:<employee>, so each day's update is enqueued at
most once per employee, however many passes run (or planners at once). Only the
latest close is announced, and only while it is the latest Available Trading Day
already closed: a day whose close is imported late is not announced after the next
close, and nothing is sent a week after the period ended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import store, tracker_texts, tracking
from bot.audit import AuditEvent, AuditLog
from bot.calc import CalcError
from bot.calc.averaging import AveragingState, closed_at
from bot.config import Settings
from bot.db import Database, write_transaction
from bot.figures import UnknownEmployee
from bot.outbox import Outbound, Outbox
from bot.preferences import Preferences
from bot.reminders import texts
from bot.reminders.run import audit_line

log = logging.getLogger("sotp.reminders")

KEY_PREFIX = "tracking:"
LAST_UPDATE_WITHIN = timedelta(days=7)   # the last close's update is not sent later than this after it


@dataclass
class TrackingReport:
    day: str | None = None                                   # the close announced (ISO date)
    counts: dict[str, int] = field(default_factory=dict)     # channel -> rows enqueued
    enqueued: int = 0
    reason: str = ""                                          # why nothing was planned

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day, "counts": self.counts, "enqueued": self.enqueued, "reason": self.reason}


def announced_day(state: AveragingState, now: datetime) -> tuple[Any, str]:
    """The close to announce now (date, "") or (None, why not)."""
    if state.last_close is None:
        return None, "no close imported"
    if state.missing:
        return None, "closes missing: " + ", ".join(d.isoformat() for d in state.missing)
    day = state.last_close[0]
    if now - closed_at(day) > LAST_UPDATE_WITHIN:
        return None, f"the close of {day.isoformat()} is more than a week old"
    return day, ""


def key(day: Any, employee_id: str) -> str:
    return f"{KEY_PREFIX}{day.isoformat()}:{employee_id}"


def plan(db: Database, settings: Settings, now: datetime, *, slack: bool = True,
         dry_run: bool = False) -> TrackingReport:
    """One pass: the latest close's update to every opted-in employee who has not had it."""
    report = TrackingReport()
    prefs = Preferences(db)
    opted = sorted(prefs.opted("tracking", True))
    if not opted:   # the usual case, checked first: a pass every minute costs one read
        report.reason = "no one asked for updates"
        return report
    try:
        state = tracking.tracker(db, settings, now).state
    except CalcError as exc:
        report.reason = str(exc)
        return report
    day, report.reason = announced_day(state, now)
    if day is None:
        return report
    report.day = day.isoformat()
    prefix = f"{KEY_PREFIX}{day.isoformat()}:"
    # A range on the unique key (its index), not a LIKE that would read the whole outbox.
    done = {k[len(prefix):] for (k,) in db.conn.execute("SELECT key FROM outbox WHERE key >= ? AND key < ?",
                                                         (prefix, prefix[:-1] + ";"))}
    t = tracker_texts.default_texts()
    rows: list[tuple[Outbound, texts.Message]] = []
    for eid in opted:
        if eid in done:
            continue
        employee = store.employee(db, eid)
        if employee is None:
            continue
        try:
            result = tracking.payment_at_average(db, settings, eid, state)
        except (CalcError, UnknownEmployee):
            result = None                      # not an Eligible Employee (or no price): the period's figures only
        update = tracker_texts.update(t, employee, state, result)
        channel = ("slack" if slack and employee.slack_user_id and prefs.get(eid, "tracking_slack")
                   else "email")
        address = employee.slack_user_id if channel == "slack" else employee.email
        assert address is not None
        payload: dict[str, Any] = {"subject": update.subject, "text": update.text, "sections": list(update.sections),
                                   "privacy": "private", "tracking": day.isoformat()}
        if channel == "slack":
            payload["mode"] = "dm"
        rows.append((Outbound(key(day, eid), channel, address, "reminder", payload, employee_id=eid),
                     texts.Message("tracking", channel, update.subject, update.text, update.sections)))
    if dry_run or not rows:
        for item, _ in rows:
            report.counts[item.channel] = report.counts.get(item.channel, 0) + 1
        return report
    audit = AuditLog(db)
    with write_transaction(db):
        added = {item.key for item in Outbox(db, audit).enqueue_many([item for item, _ in rows], now)}
        events = []
        for item, message in rows:
            if item.key not in added:
                continue
            report.enqueued += 1
            report.counts[item.channel] = report.counts.get(item.channel, 0) + 1
            events.append(AuditEvent(now, "out", "reminder", item.channel, item.recipient, item.employee_id,
                                     "tracking", message.sections, None,
                                     "\n".join([message.subject, audit_line(message, item.key, item.recipient)])))
        if events:
            audit.record_many(events)
    log.info("averaging period update for the close of %s: %d rows enqueued", day.isoformat(), report.enqueued)
    return report
