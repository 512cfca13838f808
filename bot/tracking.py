"""The imported closing prices of the Averaging Period, and the tracker's state as of a moment.

The closes table holds one row per Available Trading Day (`sotp import closes`).
This module does the reading bot.calc must not do (the database, the settings, the
deadline as last extended) and hands the facts to bot.calc.averaging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from bot import figures
from bot.calc import CalcError, Estimate, ProgramCalendar
from bot.calc.averaging import AveragingState, averaging_state
from bot.config import Settings
from bot.db import Database, write_transaction
from bot.timestamps import to_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS closes (
    day         TEXT PRIMARY KEY,
    close       TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
"""
COLUMNS: tuple[str, ...] = ("day", "close")


def stored_closes(db: Database) -> list[tuple[date, Decimal]]:
    """Every stored close, in date order (exactly as the file wrote it: TEXT, never a float)."""
    rows = db.conn.execute("SELECT day, close FROM closes ORDER BY day")
    return [(date.fromisoformat(day), Decimal(close)) for day, close in rows]


def replace_closes(db: Database, rows: Sequence[tuple[str, str]], now: datetime) -> None:
    """All the stored closes replaced by these (one short transaction: a period has 15 at most)."""
    with write_transaction(db):
        db.conn.execute("DELETE FROM closes")
        db.conn.executemany("INSERT INTO closes (day, close, imported_at) VALUES (?, ?, ?)",
                            [(day, close, to_db(now)) for day, close in rows])
        db.conn.execute("INSERT INTO meta (key, value) VALUES ('closes_version', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (to_db(now),))


def effective_settings(db: Database, settings: Settings) -> Settings:
    """The settings with the Election Deadline as last extended (the calendar follows it)."""
    from bot.reminders.deadlines import in_effect

    return in_effect(db, settings)


@dataclass(frozen=True)
class Tracker:
    """What the tracker shows: the period's state, and the calendar it was read against."""

    state: AveragingState
    calendar: ProgramCalendar
    as_of: datetime


def tracker(db: Database, settings: Settings, now: datetime) -> Tracker:
    """The Averaging Period as of `now` from the stored closes. Raises CalcError for a bad calendar."""
    calendar = figures.calendar_for(effective_settings(db, settings))
    return Tracker(averaging_state(stored_closes(db), calendar, now), calendar, now)


def payment_at_average(db: Database, settings: Settings, employee_id: str,
                       state: AveragingState) -> Estimate | None:
    """An employee's Total Payment at the running average (None before any close is in).

    Raises figures.UnknownEmployee and bot.calc's errors (NotEligible, PriceOutOfRange ...).
    """
    if state.running_average is None:
        return None
    return figures.estimate_for(db, effective_settings(db, settings), employee_id, state.running_average)


__all__ = ["CalcError", "SCHEMA", "Tracker", "payment_at_average", "replace_closes", "stored_closes", "tracker"]
