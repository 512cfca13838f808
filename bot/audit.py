"""The audit trail: every program communication, in and out, append-only.

Program communications are regulated (the Notice: no one is authorized to give
information different from it), so what was asked and what was answered must be
reproducible later. SQLite triggers refuse UPDATE and DELETE on the table, so a
record cannot be changed by this code or by a hand-typed query.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Callable, Iterator, Literal, TextIO

import sqlite_utils

from bot.timestamps import from_db, to_db

KINDS: tuple[str, ...] = ("message", "reply", "reminder", "confirmation", "staff-reply", "ticket")
DIRECTIONS: tuple[str, ...] = ("in", "out")
EXPORT_FIELDS: tuple[str, ...] = (
    "at", "direction", "kind", "channel", "address", "employee_id", "intent", "sections", "ticket", "text",
)
ExportFormat = Literal["csv", "jsonl"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ({", ".join(repr(d) for d in DIRECTIONS)})),
    kind        TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    employee_id TEXT,
    intent      TEXT,
    sections    TEXT NOT NULL DEFAULT '[]',
    ticket      TEXT,
    text        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_employee_at ON audit (employee_id, at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: records cannot be changed');
END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: records cannot be deleted');
END;
"""

_COLUMNS = "at, direction, kind, channel, address, employee_id, intent, sections, ticket, text"
_SINCE_SQL = f"SELECT {_COLUMNS} FROM audit WHERE at >= ? ORDER BY at, id"
_EMPLOYEE_SQL = f"SELECT {_COLUMNS} FROM audit WHERE employee_id = ? AND at >= ? ORDER BY at, id"

PROGRESS_EVERY = 10_000  # rows between progress callbacks during an export


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    direction: str
    kind: str
    channel: str
    address: str
    employee_id: str | None
    intent: str | None
    sections: tuple[str, ...]
    ticket: str | None
    text: str

    def as_export_dict(self) -> dict[str, Any]:
        """The export's fields, in EXPORT_FIELDS order; sections as a list."""
        return {
            "at": to_db(self.at), "direction": self.direction, "kind": self.kind,
            "channel": self.channel, "address": self.address, "employee_id": self.employee_id,
            "intent": self.intent, "sections": list(self.sections), "ticket": self.ticket, "text": self.text,
        }


def _check(event: AuditEvent) -> None:
    if event.direction not in DIRECTIONS:
        raise ValueError(f"audit direction must be one of {DIRECTIONS}, got {event.direction!r}")
    if event.kind not in KINDS:
        raise ValueError(f"audit kind must be one of {KINDS}, got {event.kind!r}")
    for section in event.sections:
        # The CSV export joins sections with spaces, so an id must not contain any.
        if not section or any(ch.isspace() for ch in section):
            raise ValueError(f"section id must be a non-empty word, got {section!r}")


def _event(row: tuple[Any, ...]) -> AuditEvent:
    at, direction, kind, channel, address, employee_id, intent, sections, ticket, text = row
    return AuditEvent(
        at=from_db(at), direction=direction, kind=kind, channel=channel, address=address,
        employee_id=employee_id, intent=intent, sections=tuple(json.loads(sections)), ticket=ticket, text=text,
    )


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


class AuditLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    def record(self, event: AuditEvent) -> int:
        """Append one event; returns its row id. Joins the caller's transaction if one is open."""
        _check(event)
        cursor = self.db.execute(
            f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (to_db(event.at), event.direction, event.kind, event.channel, event.address, event.employee_id,
             event.intent, json.dumps(list(event.sections)), event.ticket, event.text),
        )
        assert cursor.lastrowid is not None  # set by every successful INSERT
        return cursor.lastrowid

    def since(self, start: datetime) -> Iterator[AuditEvent]:
        """Events at or after start, oldest first, read row by row from the cursor."""
        for row in self.db.execute(_SINCE_SQL, (to_db(start),)):
            yield _event(row)

    def of_employee(self, employee_id: str, start: datetime | None = None) -> Iterator[AuditEvent]:
        """One employee's events (at or after start, if given), oldest first."""
        floor = to_db(start) if start is not None else ""
        for row in self.db.execute(_EMPLOYEE_SQL, (employee_id, floor)):
            yield _event(row)

    def export(self, since: date, fmt: ExportFormat, out: TextIO,
               progress: Callable[[int], None] | None = None) -> int:
        """Write events from UTC midnight of `since` (inclusive) as CSV or JSON lines; returns rows written.

        progress, if given, is called with the running count every PROGRESS_EVERY rows.
        """
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"export format must be csv or jsonl, got {fmt!r}")
        writer = csv.writer(out) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(EXPORT_FIELDS)
        count = 0
        for event in self.since(utc_midnight(since)):
            record = event.as_export_dict()
            if writer is not None:
                record["sections"] = " ".join(record["sections"])
                writer.writerow(["" if record[name] is None else record[name] for name in EXPORT_FIELDS])
            else:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        return count
