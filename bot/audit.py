"""The audit trail: every program communication, in and out, append-only and tamper-evident.

Program communications are regulated (the Notice: no one is authorized to give
information different from it), so what was asked and what was answered must be
reproducible later. SQLite triggers refuse UPDATE and DELETE on the table (every
connection runs with recursive_triggers on, so `REPLACE` is refused too), and an
insert below the last id is refused. Each record also stores a SHA-256 hash of
its fields chained to the previous record's hash, and `audit_head` keeps the last
id and hash: `verify()` walks the chain and names the first record that was
changed, removed or inserted out of order, even by someone who dropped the
triggers first. A dropped table is reported, not recreated.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Callable, Iterator, Literal, Sequence, TextIO

from bot.db import Database
from bot.formatting import spreadsheet_safe, visible
from bot.timestamps import from_db, to_db

KINDS: tuple[str, ...] = ("message", "reply", "reminder", "confirmation", "staff-reply", "ticket",
                          "failure", "delivery-failure", "feedback", "notice",
                          # the email gateway: mail recorded but never answered (auto-replies, bounces,
                          # lists, loops), and mail that could not be read (quarantined as a ticket)
                          "no-reply", "unreadable")
DIRECTIONS: tuple[str, ...] = ("in", "out")
EXPORT_FIELDS: tuple[str, ...] = (
    "at", "direction", "kind", "channel", "address", "employee_id", "intent", "sections", "ticket", "text",
)
ExportFormat = Literal["csv", "jsonl"]
GENESIS = "0" * 64
MAX_TEXT_BYTES = 64 * 1024   # a message is kept up to 64 KB, with a note of the cut

# Migration 3: the first release's table (kept as it was, for databases made by it).
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ({", ".join(repr(d) for d in DIRECTIONS)})),
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'reply', 'reminder', 'confirmation', 'staff-reply', 'ticket')),
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

# Migration 7: the hash chain. Kinds are checked in Python (KINDS), so a new kind needs no table rebuild.
CHAIN_SCHEMA = f"""
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ({", ".join(repr(d) for d in DIRECTIONS)})),
    kind        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    employee_id TEXT,
    intent      TEXT,
    sections    TEXT NOT NULL DEFAULT '[]',
    ticket      TEXT,
    text        TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_employee_at ON audit (employee_id, at);
CREATE TABLE audit_head (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    records   INTEGER NOT NULL
);
INSERT INTO audit_head (singleton, last_id, last_hash, records) VALUES (1, 0, '{GENESIS}', 0);
"""

TRIGGERS = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: records cannot be changed');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: records cannot be deleted');
END;
CREATE TRIGGER audit_in_order BEFORE INSERT ON audit
WHEN NEW.id IS NULL OR NEW.id <= (SELECT last_id FROM audit_head)
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: records are added after the last one');
END;
CREATE TRIGGER audit_advance_head AFTER INSERT ON audit
BEGIN
    UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash, records = records + 1;
END;
"""
TRIGGER_NAMES: tuple[str, ...] = ("audit_no_update", "audit_no_delete", "audit_in_order", "audit_advance_head")

_COLUMNS = "at, direction, kind, channel, address, employee_id, intent, sections, ticket, text"
# Many rows per statement (bot.db.insert_rows): the table's triggers make SQLite keep a statement
# journal of every page an INSERT touches, once per statement, which one per record made 70% of its cost.
_INSERT = f"INSERT INTO audit (id, {_COLUMNS}, prev_hash, hash)"
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


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# The C encoder JSONEncoder.encode makes for every call, made once: a wave chains tens of thousands of records.
_CANONICAL_C = (None if c_make_encoder is None else
                c_make_encoder(None, _CANONICAL.default, encode_basestring, None, ":", ",", False, False, True))


def _canonical(row_id: int, values: tuple[Any, ...], prev_hash: str) -> bytes:
    """json.dumps([row_id, *values, prev_hash], ensure_ascii=False, separators=(",", ":")) as UTF-8."""
    record = [row_id, *values, prev_hash]
    if _CANONICAL_C is None:
        return _CANONICAL.encode(record).encode("utf-8")
    return "".join(_CANONICAL_C(record, 0)).encode("utf-8")


def chain_hash(row_id: int, values: tuple[Any, ...], prev_hash: str) -> str:
    """The record's hash: its id and stored fields (in _COLUMNS order) and the previous hash."""
    return hashlib.sha256(_canonical(row_id, values, prev_hash)).hexdigest()


def kept_text(text: str) -> str:
    """At most MAX_TEXT_BYTES of a message, cut on a character boundary, with a note of the cut."""
    if len(text) <= MAX_TEXT_BYTES // 4:       # a character is at most 4 bytes of UTF-8: nothing to cut
        return text
    data = text.encode("utf-8", "replace")
    if len(data) <= MAX_TEXT_BYTES:
        return text
    head = data[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
    return f"{head}\n[audit: cut to the first {MAX_TEXT_BYTES:,} of {len(data):,} bytes]"


def migrate_to_chain(db: Database) -> None:
    """Migration 7: rebuild the table with hashes, chaining the records already there in id order."""
    from bot.schema import _statements

    conn = db.conn
    conn.execute("ALTER TABLE audit RENAME TO audit_v1")
    for name in ("audit_at", "audit_employee_at", "audit_no_update", "audit_no_delete"):
        kind = "INDEX" if name.startswith("audit_at") or name == "audit_employee_at" else "TRIGGER"
        conn.execute(f"DROP {kind} IF EXISTS {name}")
    for statement in _statements(CHAIN_SCHEMA):
        conn.execute(statement)
    prev = GENESIS
    last_id = count = 0
    for row in conn.execute(f"SELECT id, {_COLUMNS} FROM audit_v1 ORDER BY id").fetchall():
        row_id, values = row[0], tuple(row[1:])
        digest = chain_hash(row_id, values, prev)
        conn.execute(f"INSERT INTO audit (id, {_COLUMNS}, prev_hash, hash) VALUES (?, {', '.join('?' * 10)}, ?, ?)",
                     (row_id, *values, prev, digest))
        prev, last_id, count = digest, row_id, count + 1
    conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, records = ?", (last_id, prev, count))
    conn.execute("DROP TABLE audit_v1")
    for statement in _statements(TRIGGERS):
        conn.execute(statement)


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    problem: str | None = None
    record_id: int | None = None     # the first record found wrong, when there is one


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, event: AuditEvent) -> int:
        """Append one event; returns its row id. Joins the caller's transaction if one is open."""
        return self.record_many((event,))

    def record_many(self, events: Sequence[AuditEvent]) -> int:
        """Append events in order in one statement (a planner's batch); returns the last row id.

        Joins the caller's transaction if one is open; the chain is the same as for
        one record() call per event.
        """
        from bot.db import insert_rows, write_transaction

        rows: list[tuple[Any, ...]] = []
        # A batch's events share a few moments and section lists: each written as text once.
        stamps: dict[datetime, str] = {}
        sections: dict[tuple[str, ...], str] = {}
        for event in events:
            _check(event)
            stamp = stamps.get(event.at)
            if stamp is None:
                stamp = stamps[event.at] = to_db(event.at)
            listed = sections.get(event.sections)
            if listed is None:
                listed = sections[event.sections] = json.dumps(list(event.sections))
            rows.append((stamp, event.direction, event.kind, event.channel, event.address,
                         event.employee_id, event.intent, listed, event.ticket, kept_text(event.text)))
        with write_transaction(self.db):
            last_id, last_hash = self.db.conn.execute("SELECT last_id, last_hash FROM audit_head").fetchone()
            last_id = int(last_id)
            chained: list[tuple[Any, ...]] = []
            for values in rows:
                last_id += 1
                digest = chain_hash(last_id, values, last_hash)
                chained.append((last_id, *values, last_hash, digest))
                last_hash = digest
            insert_rows(self.db, _INSERT, chained)
        return last_id

    def since(self, start: datetime) -> Iterator[AuditEvent]:
        """Events at or after start, oldest first, read row by row from the cursor."""
        for row in self.db.execute(_SINCE_SQL, (to_db(start),)):
            yield _event(row)

    def all(self) -> Iterator[AuditEvent]:
        """Every event, oldest first."""
        for row in self.db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY at, id"):
            yield _event(row)

    def of_employee(self, employee_id: str, start: datetime | None = None) -> Iterator[AuditEvent]:
        """One employee's events (at or after start, if given), oldest first."""
        floor = to_db(start) if start is not None else ""
        for row in self.db.execute(_EMPLOYEE_SQL, (employee_id, floor)):
            yield _event(row)

    def verify(self, progress: Callable[[int], None] | None = None) -> Verification:
        """Walk the hash chain; the first record changed, removed or inserted out of order is named."""
        conn = self.db.conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        if "audit" not in tables:
            return Verification(False, 0, "the audit table is missing: it was dropped or renamed")
        if "audit_head" not in tables:
            return Verification(False, 0, "the audit trail's head record (audit_head) is missing")
        missing = [t for t in TRIGGER_NAMES if t not in tables]
        prev, prev_id, count = GENESIS, 0, 0
        seen: dict[str, int] = {GENESIS: 0}
        for row in conn.execute(f"SELECT id, {_COLUMNS}, prev_hash, hash FROM audit ORDER BY id"):
            row_id, values, prev_hash, digest = row[0], tuple(row[1:11]), row[11], row[12]
            if prev_hash != prev:
                if prev_hash in seen:
                    return Verification(False, count, f"record {prev_id} was inserted out of order "
                                        f"(record {row_id} follows record {seen[prev_hash]})", prev_id)
                return Verification(False, count, f"the record(s) before record {row_id} were removed, "
                                    f"or record {row_id} was inserted out of order", row_id)
            if chain_hash(row_id, values, prev_hash) != digest:
                return Verification(False, count, f"record {row_id} was changed after it was written", row_id)
            prev, prev_id, count = digest, row_id, count + 1
            seen[digest] = row_id
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        head = conn.execute("SELECT last_id, last_hash, records FROM audit_head").fetchone()
        if head is None or (head[0], head[1], head[2]) != (prev_id, prev, count):
            last = head[0] if head else "?"
            return Verification(False, count, f"records after record {prev_id} were removed "
                                f"(the trail ended at record {last})", prev_id)
        if missing:
            return Verification(False, count, "the chain is intact, but the protection triggers were removed: "
                                + ", ".join(missing))
        return Verification(True, count)

    def export(self, since: date | None, fmt: ExportFormat, out: TextIO,
               progress: Callable[[int], None] | None = None) -> int:
        """Write events from UTC midnight of `since` (inclusive; None: all) as CSV or JSON lines.

        CSV is opened in spreadsheets: a cell that would start a formula is prefixed with
        an apostrophe, and control characters an employee typed are shown, not passed on.
        progress, if given, is called with the running count every PROGRESS_EVERY rows.
        Returns the rows written.
        """
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"export format must be csv or jsonl, got {fmt!r}")
        writer = csv.writer(out) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(EXPORT_FIELDS)
        count = 0
        events = self.all() if since is None else self.since(utc_midnight(since))
        for event in events:
            record = event.as_export_dict()
            if writer is not None:
                record["sections"] = " ".join(record["sections"])
                record["text"] = visible(record["text"])
                writer.writerow([spreadsheet_safe("" if record[name] is None else str(record[name]))
                                 for name in EXPORT_FIELDS])
            else:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        return count
