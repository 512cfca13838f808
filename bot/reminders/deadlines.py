"""The Election Deadline as the planner knows it: a ledger of versions, one per extension.

Version 1 is the Notice's deadline. An extension comes either from
`sotp deadline extend --to YYYY-MM-DD` or from the configuration file
(program.election_deadline later than the deadline recorded); either way it is
checked against the Notice (later, never beyond 2003-11-28, announced by 9:00
a.m. New York time on the next business day after the old deadline) and
recorded once, under the write lock, so two planners cannot both add it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from bot.calc.calendar import FIRST_DEADLINE
from bot.config import ConfigError, Settings
from bot.db import Database, write_transaction
from bot.reminders.plan import DeadlineVersion, ExtensionRefused, extended, first_version
from bot.reminders.store import ReminderStore

log = logging.getLogger("sotp.reminders")


def current(db: Database) -> DeadlineVersion | None:
    versions = ReminderStore(db).versions()
    return versions[-1] if versions else None


def _planned(known: list[DeadlineVersion], configured: date, now: datetime) -> list[DeadlineVersion]:
    """The versions to add: the Notice's first, then the configured deadline if it is an extension."""
    if configured < FIRST_DEADLINE:
        raise ConfigError(f"program.election_deadline: {configured.isoformat()} is before 2003-11-12, the "
                          "deadline the Notice sets (it may only be extended)")
    added: list[DeadlineVersion] = []
    latest = known[-1] if known else None
    if latest is None:
        latest = first_version(now)
        added.append(latest)
    if configured > latest.deadline:
        try:
            added.append(extended(latest, configured, now, "config", note="program.election_deadline"))
        except ExtensionRefused as exc:
            raise ConfigError(f"program.election_deadline: {exc} (to record an extension announced earlier, "
                              "use `sotp deadline extend --to DATE --as-of WHEN`)") from None
    return added


def resolve(db: Database, settings: Settings, now: datetime, *,
            record: bool = True) -> tuple[DeadlineVersion, bool]:
    """The current deadline version, adding the ones the configuration implies; (version, added?).

    record=False (a dry run) returns what would be added without writing it.
    """
    store = ReminderStore(db)
    added = _planned(store.versions(), settings.election_deadline, now)
    if not added:
        return store.versions()[-1], False
    if not record:
        return added[-1], True
    with write_transaction(db):
        known = store.versions()            # another planner may have added them meanwhile
        added = _planned(known, settings.election_deadline, now)
        for version in added:
            store.add_version(version)
            log.info("deadline version %d recorded: Election Deadline %s (source %s)", version.version,
                     version.deadline.isoformat(), version.source)
        latest = (known + added)[-1]
    return latest, bool(added)


def extend(db: Database, settings: Settings, to: date, now: datetime,
           note: str | None = None) -> DeadlineVersion:
    """Record an extension of the Election Deadline to `to`; raises ExtensionRefused."""
    resolve(db, settings, now)
    store = ReminderStore(db)
    with write_transaction(db):
        latest = store.versions()[-1]
        version = extended(latest, to, now, "command", note=note)
        store.add_version(version)
    log.info("deadline version %d recorded: Election Deadline extended from %s to %s", version.version,
             latest.deadline.isoformat(), to.isoformat())
    return version


def in_effect(db: Database, settings: Settings) -> Settings:
    """The settings with the Election Deadline as last extended, when the database records a later one.

    Everything that states the deadline or builds the calendar reads this (the
    conversation core, the App Home, the planner), so `sotp deadline extend` alone
    reaches every answer.
    """
    recorded = current(db)
    if recorded is not None and recorded.deadline > settings.election_deadline:
        return effective_settings(settings, recorded)
    return settings


def effective_settings(settings: Settings, version: DeadlineVersion) -> Settings:
    """The settings with the recorded Election Deadline (for the calendar and the figures)."""
    return settings.with_overrides(election_deadline=version.deadline)
