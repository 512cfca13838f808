"""The planner's own tables: deadline versions, reminders recorded, confirmations, the final results.

Every row here is written in the same transaction as the outbox rows it stands
for, so the record of what was sent and the messages themselves cannot part.
A reminder's record is keyed (deadline version, employee, kind): recorded once,
either enqueued or superseded, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from bot.db import Database, insert_rows
from bot.reminders.plan import DeadlineVersion
from bot.timestamps import from_db, to_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS deadline_versions (
    version        INTEGER PRIMARY KEY,
    deadline       TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('notice', 'config', 'command')),
    recorded_at    TEXT NOT NULL,
    previous       TEXT,
    note           TEXT
);
CREATE TABLE IF NOT EXISTS reminders (
    deadline_version INTEGER NOT NULL,
    employee_id      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('enqueued', 'superseded')),
    recorded_at      TEXT NOT NULL,
    detail           TEXT,
    PRIMARY KEY (deadline_version, employee_id, kind)
);
CREATE TABLE IF NOT EXISTS confirmations (
    employee_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    sequence    INTEGER NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    singleton             INTEGER PRIMARY KEY CHECK (singleton = 1),
    average_closing_price TEXT NOT NULL,
    recorded_at           TEXT NOT NULL,
    deadline_version      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS planner_passes (
    part         TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    completed_at TEXT NOT NULL
);
"""

RESULTS_KEY_PREFIX = "results:"


@dataclass(frozen=True)
class FinalResults:
    average_closing_price: Decimal
    recorded_at: datetime
    deadline_version: int


def _version(row: Sequence[object]) -> DeadlineVersion:
    number, deadline, effective, source, recorded, previous, note = row
    return DeadlineVersion(int(str(number)), date.fromisoformat(str(deadline)), from_db(str(effective)), str(source),
                           from_db(str(recorded)), date.fromisoformat(str(previous)) if previous else None,
                           str(note) if note else None)


class ReminderStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- deadline versions ------------------------------------------------------------------

    def versions(self) -> list[DeadlineVersion]:
        rows = self.db.conn.execute(
            "SELECT version, deadline, effective_from, source, recorded_at, previous, note "
            "FROM deadline_versions ORDER BY version").fetchall()
        return [_version(r) for r in rows]

    def add_version(self, v: DeadlineVersion) -> None:
        self.db.conn.execute(
            "INSERT INTO deadline_versions (version, deadline, effective_from, source, recorded_at, previous, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (v.version, v.deadline.isoformat(), to_db(v.effective_from), v.source, to_db(v.recorded_at),
             v.previous.isoformat() if v.previous else None, v.note))

    # -- reminders ---------------------------------------------------------------------------

    def logged(self, version: int, first: str, last: str) -> dict[str, set[str]]:
        """Kinds recorded per employee for ids first..last (inclusive) of one deadline version."""
        out: dict[str, set[str]] = {}
        for employee_id, kind in self.db.conn.execute(
                "SELECT employee_id, kind FROM reminders WHERE deadline_version = ? AND employee_id BETWEEN ? AND ?",
                (version, first, last)):
            out.setdefault(employee_id, set()).add(kind)
        return out

    def record(self, rows: Iterable[tuple[int, str, str, str, str, str | None]]) -> None:
        """(version, employee, kind, outcome, recorded_at, detail); a row recorded before stays as it was."""
        insert_rows(self.db,
                    "INSERT INTO reminders (deadline_version, employee_id, kind, outcome, recorded_at, detail)",
                    rows if isinstance(rows, Sequence) else list(rows), on_conflict="ON CONFLICT DO NOTHING")

    def tally(self, version: int) -> dict[str, dict[str, int]]:
        """kind -> outcome -> count, for one deadline version."""
        out: dict[str, dict[str, int]] = {}
        for kind, outcome, n in self.db.conn.execute(
                "SELECT kind, outcome, count(*) FROM reminders WHERE deadline_version = ? GROUP BY kind, outcome",
                (version,)):
            out.setdefault(kind, {})[outcome] = int(n)
        return out

    # -- confirmations -----------------------------------------------------------------------

    def confirmed(self) -> dict[str, tuple[str, int]]:
        return {eid: (fp, int(seq)) for eid, fp, seq in
                self.db.conn.execute("SELECT employee_id, fingerprint, sequence FROM confirmations")}

    def confirm(self, employee_id: str, fingerprint: str, sequence: int, now: datetime) -> None:
        self.db.conn.execute(
            "INSERT INTO confirmations (employee_id, fingerprint, sequence, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (employee_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "sequence = excluded.sequence, recorded_at = excluded.recorded_at",
            (employee_id, fingerprint, sequence, to_db(now)))

    # -- final results -----------------------------------------------------------------------

    def results(self) -> FinalResults | None:
        row = self.db.conn.execute(
            "SELECT average_closing_price, recorded_at, deadline_version FROM results").fetchone()
        if row is None:
            return None
        return FinalResults(Decimal(row[0]), from_db(row[1]), int(row[2]))

    def record_results(self, acp: Decimal, now: datetime, deadline_version: int) -> None:
        self.db.conn.execute(
            "INSERT INTO results (singleton, average_closing_price, recorded_at, deadline_version) VALUES (1, ?, ?, ?)",
            (f"{acp:f}", to_db(now), deadline_version))

    def results_sent(self) -> set[str]:
        """Employees whose results email is in the outbox (its key is results:<employee>)."""
        rows = self.db.conn.execute("SELECT employee_id FROM outbox WHERE key >= ? AND key < ?",
                                    (RESULTS_KEY_PREFIX, RESULTS_KEY_PREFIX[:-1] + ";"))
        return {r[0] for r in rows}

    # -- passes ------------------------------------------------------------------------------

    def pass_fingerprint(self, part: str) -> str | None:
        row = self.db.conn.execute("SELECT fingerprint FROM planner_passes WHERE part = ?", (part,)).fetchone()
        return None if row is None else str(row[0])

    def complete_pass(self, part: str, fingerprint: str, now: datetime) -> None:
        self.db.conn.execute(
            "INSERT INTO planner_passes (part, fingerprint, completed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (part) DO UPDATE SET fingerprint = excluded.fingerprint, completed_at = excluded.completed_at",
            (part, fingerprint, to_db(now)))
