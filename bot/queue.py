"""The compchng queue: tickets for Microsoft Stock Services staff.

The assistant must not decide eligibility disputes or data errors; it opens a
ticket, and staff answer. A ticket moves open -> claimed -> resolved; its thread
keeps every employee, staff and system message; a staff reply is queued in the
outbox for the requester's own channel and address, and a transport delivers it.

Every state change runs in one BEGIN IMMEDIATE transaction, so a check ("is it
resolved?") and the change it allows cannot be split by another process.
"""

from __future__ import annotations

import builtins
import contextlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from bot.audit import AuditEvent, AuditLog
from bot.db import Database, write_transaction
from bot.outbox import Outbound, Outbox, OutboxRow
from bot.business_hours import BusinessHours
from bot.timestamps import from_db, optional_from_db, to_db

CATEGORIES: tuple[str, ...] = ("missing-email", "missing-options", "data-error", "status-change", "country", "other")
STATUSES: tuple[str, ...] = ("open", "claimed", "resolved")
CHANNELS: tuple[str, ...] = ("slack", "email", "cli")
AUTHOR_KINDS: tuple[str, ...] = ("employee", "staff", "system")

# A second message about the same problem within this window joins the open ticket (issue 4).
APPEND_WINDOW = timedelta(days=3)

TICKET_PREFIX = "CC-"
_TICKET_REF = re.compile(r"(?<![A-Za-z0-9])CC-(\d{1,6})(?![0-9])", re.IGNORECASE)
_TICKET_ID = re.compile(r"CC-(\d{1,6})", re.IGNORECASE)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS tickets (
    number                INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_employee_id TEXT,
    requester_address     TEXT NOT NULL COLLATE NOCASE,
    channel               TEXT NOT NULL CHECK (channel IN ({_sql_list(CHANNELS)})),
    category              TEXT NOT NULL CHECK (category IN ({_sql_list(CATEGORIES)})),
    text                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ({_sql_list(STATUSES)})),
    assignee              TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    last_staff_reply_at   TEXT,
    resolved_at           TEXT,
    resolution_note       TEXT
);
CREATE INDEX IF NOT EXISTS tickets_status ON tickets (status, created_at);
CREATE INDEX IF NOT EXISTS tickets_employee ON tickets (requester_employee_id, status);
CREATE INDEX IF NOT EXISTS tickets_address ON tickets (requester_address, status);
CREATE TABLE IF NOT EXISTS ticket_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_number INTEGER NOT NULL REFERENCES tickets (number),
    author_kind   TEXT NOT NULL CHECK (author_kind IN ({_sql_list(AUTHOR_KINDS)})),
    author        TEXT NOT NULL,
    text          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_messages_ticket ON ticket_messages (ticket_number);
"""

_TICKET_COLUMNS = (
    "number, requester_employee_id, requester_address, channel, category, text, status, assignee, "
    "created_at, updated_at, last_staff_reply_at, resolved_at, resolution_note"
)


class QueueError(Exception):
    """A queue operation that cannot be done; the message says why, for a person to read."""


class TicketNotFound(QueueError):
    pass


class InvalidTransition(QueueError):
    pass


@dataclass(frozen=True)
class Ticket:
    id: str
    number: int
    requester_employee_id: str | None
    requester_address: str
    channel: str
    category: str
    text: str
    status: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    last_staff_reply_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None

    @property
    def requester(self) -> str:
        """Who asked, as staff would name them: the employee id when known, else the address."""
        return self.requester_employee_id or self.requester_address


@dataclass(frozen=True)
class TicketMessage:
    ticket_id: str
    author_kind: str
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Claim:
    """The outcome of claim(): the ticket, and who held it before (None if nobody)."""
    ticket: Ticket
    previous_assignee: str | None

    @property
    def reassigned(self) -> bool:
        return self.previous_assignee is not None and self.previous_assignee != self.ticket.assignee


def format_ticket_id(number: int) -> str:
    return f"{TICKET_PREFIX}{number:06d}"


def parse_ticket_ref(text: str) -> str | None:
    """The first ticket id mentioned in text ("cc-42", "CC-000042" -> "CC-000042"), or None.

    CC- and 1 to 6 digits, any case; ticket numbers start at 1, so CC-0 is not one.
    """
    for match in _TICKET_REF.finditer(text):
        number = int(match.group(1))
        if number > 0:
            return format_ticket_id(number)
    return None


def _number(ticket_ref: str) -> int:
    """The number of a ticket id given on its own ("CC-000042", "cc-42"); anything else is not found."""
    match = _TICKET_ID.fullmatch(ticket_ref.strip())
    if match is None or int(match.group(1)) == 0:
        raise TicketNotFound(f"no ticket {ticket_ref.strip()!r}: ticket ids look like CC-000042")
    return int(match.group(1))


def _ticket(row: tuple[Any, ...]) -> Ticket:
    (number, employee_id, address, channel, category, text, status, assignee,
     created_at, updated_at, last_reply, resolved_at, note) = row
    return Ticket(
        id=format_ticket_id(number), number=number, requester_employee_id=employee_id, requester_address=address,
        channel=channel, category=category, text=text, status=status, assignee=assignee,
        created_at=from_db(created_at), updated_at=from_db(updated_at),
        last_staff_reply_at=optional_from_db(last_reply), resolved_at=optional_from_db(resolved_at),
        resolution_note=note,
    )


def _requester_clause(employee_id: str | None, address: str | None) -> tuple[str, tuple[str, ...]]:
    """Same requester: the same employee id when known, else the same address (and no employee id)."""
    if employee_id:
        return "requester_employee_id = ?", (employee_id,)
    if address:
        return "requester_employee_id IS NULL AND requester_address = ?", (address,)
    raise ValueError("a requester needs an employee id or an address")


def _rowid(cursor: sqlite3.Cursor) -> int:
    if cursor.lastrowid is None:  # an INSERT always sets it; None would mean no row was written
        raise QueueError("the database did not record the new row")
    return cursor.lastrowid


def _required(value: str, what: str) -> str:
    """The value unchanged (a message is kept exactly as written), unless it is blank."""
    if not value or not value.strip():
        raise QueueError(f"{what} must not be empty")
    return value


def _name(value: str, what: str) -> str:
    return _required(value, what).strip()


class Queue:
    def __init__(self, db: Database, audit: AuditLog | None = None) -> None:
        self.db = db
        self.audit = audit if audit is not None else AuditLog(db)

    # -- transactions ---------------------------------------------------------------------------

    def _write(self) -> contextlib.AbstractContextManager[Any]:
        """One state change, all or nothing: BEGIN IMMEDIATE on its own, a savepoint inside a turn."""
        return write_transaction(self.db)

    # -- reading --------------------------------------------------------------------------------

    def _fetch(self, number: int) -> Ticket | None:
        row = self.db.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE number = ?", (number,)).fetchone()
        return None if row is None else _ticket(row)

    def get(self, ticket_id: str) -> Ticket:
        return self._existing(_number(ticket_id))

    def messages(self, ticket_id: str) -> list[TicketMessage]:
        """The whole thread, oldest first (the original message is the first)."""
        ticket = self.get(ticket_id)
        rows = self.db.execute(
            "SELECT author_kind, author, text, created_at FROM ticket_messages "
            "WHERE ticket_number = ? ORDER BY created_at, id",
            (ticket.number,),
        )
        return [TicketMessage(ticket.id, kind, author, text, from_db(at)) for kind, author, text, at in rows]

    def list(self, status: str | None = None) -> list[Ticket]:
        """All tickets, or those with one status; oldest first."""
        if status is None:
            rows = self.db.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets ORDER BY created_at, number")
        else:
            if status not in STATUSES:
                raise QueueError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")
            rows = self.db.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE status = ? ORDER BY created_at, number", (status,)
            )
        return [_ticket(row) for row in rows]

    def open_tickets_of(self, *, employee_id: str | None = None, address: str | None = None) -> builtins.list[Ticket]:
        """The requester's tickets that are not resolved, oldest first."""
        clause, params = _requester_clause(employee_id, address)
        rows = self.db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE {clause} AND status IN ('open', 'claimed') "
            "ORDER BY created_at, number",
            params,
        )
        return [_ticket(row) for row in rows]

    def outbox(self, ticket_id: str) -> builtins.list[OutboxRow]:
        """Everything queued for the requester of this ticket, sent or not, oldest first."""
        ticket = self.get(ticket_id)
        return builtins.list(Outbox(self.db, self.audit).rows(ticket=ticket.id))

    def overdue(self, now: datetime, business_hours: float, hours: BusinessHours) -> builtins.list[Ticket]:
        """Tickets not resolved, with no staff reply yet, older than business_hours business hours."""
        candidates = self.db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE status IN ('open', 'claimed') "
            "AND last_staff_reply_at IS NULL ORDER BY created_at, number"
        )
        return [
            ticket for ticket in map(_ticket, candidates)
            if hours.hours_between(ticket.created_at, now) > business_hours
        ]

    # -- changing -------------------------------------------------------------------------------

    def _add_message(self, number: int, kind: str, author: str, text: str, now: datetime) -> int:
        cursor = self.db.execute(
            "INSERT INTO ticket_messages (ticket_number, author_kind, author, text, created_at) VALUES (?, ?, ?, ?, ?)",
            (number, kind, author, text, to_db(now)),
        )
        return _rowid(cursor)

    def _existing(self, number: int) -> Ticket:
        ticket = self._fetch(number)
        if ticket is None:
            raise TicketNotFound(f"no ticket {format_ticket_id(number)}")
        return ticket

    def _ticket_to_append_to(self, employee_id: str | None, address: str, category: str,
                             referenced: str | None, now: datetime) -> Ticket | None:
        clause, params = _requester_clause(employee_id, address)
        number = _number(referenced) if referenced and parse_ticket_ref(referenced) else None
        if number is not None:
            row = self.db.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE number = ? AND {clause} AND status != 'resolved'",
                (number, *params),
            ).fetchone()
            if row is not None:
                return _ticket(row)
        row = self.db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE {clause} AND status IN ('open', 'claimed') "
            "AND category = ? AND updated_at >= ? ORDER BY updated_at DESC, number DESC LIMIT 1",
            (*params, category, to_db(now - APPEND_WINDOW)),
        ).fetchone()
        return None if row is None else _ticket(row)

    def open_or_append(self, *, requester_employee_id: str | None, requester_address: str, channel: str,
                       category: str, text: str, now: datetime,
                       referenced: str | None = None) -> tuple[Ticket, bool]:
        """Open a ticket, or add the message to this requester's ticket about the same problem.

        Same problem: `referenced` names one of the requester's tickets that is not resolved, or
        one of their open or claimed tickets has this category and was created or updated within
        the last 72 hours. A reference to anybody else's ticket is ignored. Returns the ticket
        and True when it was newly opened.
        """
        address = _name(requester_address, "the requester's address")
        text = _required(text, "the ticket text")
        if channel not in CHANNELS:
            raise QueueError(f"unknown channel {channel!r}: expected one of {', '.join(CHANNELS)}")
        if category not in CATEGORIES:
            raise QueueError(f"unknown category {category!r}: expected one of {', '.join(CATEGORIES)}")
        employee_id = requester_employee_id or None
        author = employee_id or address
        with self._write():
            existing = self._ticket_to_append_to(employee_id, address, category, referenced, now)
            if existing is not None:
                self._add_message(existing.number, "employee", author, text, now)
                self.db.execute("UPDATE tickets SET updated_at = ? WHERE number = ?", (to_db(now), existing.number))
                return self._existing(existing.number), False
            stamp = to_db(now)
            cursor = self.db.execute(
                "INSERT INTO tickets (requester_employee_id, requester_address, channel, category, text, status, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
                (employee_id, address, channel, category, text, stamp, stamp),
            )
            number = _rowid(cursor)
            self._add_message(number, "employee", author, text, now)
            return self._existing(number), True

    def add_employee_message(self, ticket_id: str, text: str, now: datetime) -> Ticket:
        """Add the requester's message to their ticket (not to a resolved one: that needs a new ticket)."""
        text = _required(text, "the message")
        with self._write():
            ticket = self._existing(_number(ticket_id))
            if ticket.status == "resolved":
                raise InvalidTransition(f"{ticket.id} is resolved; a new message needs a new ticket")
            self._add_message(ticket.number, "employee", ticket.requester, text, now)
            self.db.execute("UPDATE tickets SET updated_at = ? WHERE number = ?", (to_db(now), ticket.number))
            return self._existing(ticket.number)

    def claim(self, ticket_id: str, staff: str, now: datetime) -> Claim:
        """open -> claimed by staff; a claimed ticket is re-assigned to staff (the thread says so)."""
        staff = _name(staff, "the staff member's name")
        with self._write():
            ticket = self._existing(_number(ticket_id))
            if ticket.status == "resolved":
                raise InvalidTransition(f"{ticket.id} is resolved; it cannot be claimed")
            previous = ticket.assignee
            if previous == staff and ticket.status == "claimed":
                return Claim(ticket, previous)
            note = f"Claimed by {staff}." if previous is None else f"Re-assigned from {previous} to {staff}."
            self._add_message(ticket.number, "system", "queue", note, now)
            self.db.execute(
                "UPDATE tickets SET status = 'claimed', assignee = ?, updated_at = ? WHERE number = ?",
                (staff, to_db(now), ticket.number),
            )
            return Claim(self._existing(ticket.number), previous)

    def reply(self, ticket_id: str, staff: str, text: str, now: datetime) -> OutboxRow:
        """A staff answer: added to the thread and queued in the outbox for the requester's own channel.

        An open ticket becomes claimed by the staff member who replies. The outbox key is the
        thread message's id, so the reply is delivered once whatever retries or restarts.
        """
        staff = _name(staff, "the staff member's name")
        text = _required(text, "the reply")
        with self._write():
            ticket = self._existing(_number(ticket_id))
            if ticket.status == "resolved":
                raise InvalidTransition(f"{ticket.id} is resolved; it cannot be replied to")
            stamp = to_db(now)
            if ticket.status == "open":
                self._add_message(ticket.number, "system", "queue", f"Claimed by {staff}.", now)
            message_id = self._add_message(ticket.number, "staff", staff, text, now)
            self.db.execute(
                "UPDATE tickets SET status = 'claimed', assignee = COALESCE(assignee, ?), "
                "last_staff_reply_at = ?, updated_at = ? WHERE number = ?",
                (staff, stamp, stamp, ticket.number),
            )
            outbox = Outbox(self.db, self.audit)
            outbox.enqueue(Outbound(
                key=f"staff:{message_id}", channel=ticket.channel, recipient=ticket.requester_address,
                kind="staff-reply", payload={"ticket": ticket.id, "text": text, "staff": staff},
                employee_id=ticket.requester_employee_id, ticket=ticket.id), now)
            self.audit.record(AuditEvent(
                at=now, direction="out", kind="staff-reply", channel=ticket.channel,
                address=ticket.requester_address, employee_id=ticket.requester_employee_id,
                intent=None, sections=(), ticket=ticket.id, text=text,
            ))
            row = outbox.by_key(f"staff:{message_id}")
            assert row is not None  # enqueued just above, in this transaction
            return row

    def resolve(self, ticket_id: str, staff: str, now: datetime, note: str | None = None) -> Ticket:
        """open or claimed -> resolved; the note is kept and the thread records who resolved it."""
        staff = _name(staff, "the staff member's name")
        note = note.strip() if note and note.strip() else None
        with self._write():
            ticket = self._existing(_number(ticket_id))
            if ticket.status == "resolved":
                raise InvalidTransition(f"{ticket.id} is already resolved")
            stamp = to_db(now)
            self._add_message(
                ticket.number, "system", "queue", f"Resolved by {staff}." + (f" Note: {note}" if note else ""), now
            )
            self.db.execute(
                "UPDATE tickets SET status = 'resolved', assignee = COALESCE(assignee, ?), resolved_at = ?, "
                "resolution_note = ?, updated_at = ? WHERE number = ?",
                (staff, stamp, note, stamp, ticket.number),
            )
            return self._existing(ticket.number)
