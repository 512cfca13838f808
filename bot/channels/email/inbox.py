"""The inbound ledger: every email the gateway accepted, kept before the 250 is sent.

The SMTP listener commits the raw bytes (and the header fields it could read)
here, and only then tells the sending server that the message is taken; the
processor then screens and answers each row, and marks it done, no-reply or
quarantined in the same transaction as the turn. A process that dies at any
point resumes from this table, so an accepted message is never lost; a server
that sends the same Message-ID again is told 250 and nothing is stored twice.
Rows are never deleted: the raw message stays for the audit and for staff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from bot.db import Database
from bot.timestamps import from_db, optional_from_db, to_db

STATUSES: tuple[str, ...] = ("received", "done", "quarantined", "no-reply")

# Migration 10.
SCHEMA = """
CREATE TABLE IF NOT EXISTS email_inbound (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,
    received_at     TEXT NOT NULL,
    peer            TEXT NOT NULL DEFAULT '',
    mail_from       TEXT NOT NULL,
    rcpt_tos        TEXT NOT NULL,
    size            INTEGER NOT NULL,
    raw             BLOB NOT NULL,
    from_addr       TEXT,
    sender          TEXT,
    subject         TEXT,
    in_reply_to     TEXT,
    refs            TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'done', 'quarantined', 'no-reply')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    processed_at    TEXT,
    rule            TEXT,
    note            TEXT,
    ticket_number   INTEGER,
    replies         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS email_inbound_due ON email_inbound (next_attempt_at, id) WHERE status = 'received';
CREATE INDEX IF NOT EXISTS email_inbound_replied ON email_inbound (sender, processed_at) WHERE replies > 0;
CREATE INDEX IF NOT EXISTS email_inbound_ticket ON email_inbound (ticket_number, id) WHERE ticket_number IS NOT NULL;
CREATE TABLE IF NOT EXISTS email_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO email_keys (name, value) VALUES ('message_id', lower(hex(randomblob(32))));
"""

_COLUMNS = ("id, message_id, received_at, peer, mail_from, rcpt_tos, size, raw, from_addr, subject, in_reply_to, "
            "refs, status, attempts, next_attempt_at, processed_at, rule, note, ticket_number, replies")


@dataclass(frozen=True)
class Arrival:
    """What the listener knows of a message when it takes it: the envelope and the raw bytes."""

    message_id: str
    mail_from: str                 # the envelope sender; "" for the null sender <>
    rcpt_tos: tuple[str, ...]
    raw: bytes
    peer: str = ""
    from_addr: str | None = None
    subject: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboundRow:
    id: int
    message_id: str
    received_at: datetime
    peer: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    size: int
    raw: bytes
    from_addr: str | None
    subject: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    status: str
    attempts: int
    next_attempt_at: datetime
    processed_at: datetime | None
    rule: str | None
    note: str | None
    ticket: str | None
    replies: int


def _row(values: Sequence[Any]) -> InboundRow:
    (row_id, message_id, received_at, peer, mail_from, rcpt_tos, size, raw, from_addr, subject, in_reply_to,
     refs, status, attempts, next_at, processed_at, rule, note, ticket_number, replies) = values
    return InboundRow(
        id=row_id, message_id=message_id, received_at=from_db(received_at), peer=peer, mail_from=mail_from,
        rcpt_tos=tuple(json.loads(rcpt_tos)), size=size, raw=bytes(raw), from_addr=from_addr, subject=subject,
        in_reply_to=in_reply_to, references=tuple(json.loads(refs)), status=status, attempts=attempts,
        next_attempt_at=from_db(next_at), processed_at=optional_from_db(processed_at), rule=rule, note=note,
        ticket=None if ticket_number is None else f"CC-{ticket_number:06d}", replies=replies,
    )


def _ticket_number(ticket: str | None) -> int | None:
    return None if ticket is None else int(ticket.split("-", 1)[1])


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the listener ----------------------------------------------------------------------------

    def accept(self, arrival: Arrival, now: datetime) -> tuple[int, bool]:
        """Store a message (one transaction); returns (row id, True) or the earlier row's (id, False)."""
        return self.accept_many([arrival], now)[0]

    def accept_many(self, arrivals: Sequence[Arrival], now: datetime) -> list[tuple[int, bool]]:
        """Store messages that arrived together in one transaction (one commit, one sync to disk)."""
        from bot.db import write_transaction

        out: list[tuple[int, bool]] = []
        with write_transaction(self.db):
            for arrival in arrivals:
                cursor = self.db.conn.execute(
                    "INSERT INTO email_inbound (message_id, received_at, peer, mail_from, rcpt_tos, size, raw, "
                    "from_addr, sender, subject, in_reply_to, refs, next_attempt_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                    (arrival.message_id, to_db(now), arrival.peer, arrival.mail_from,
                     json.dumps(list(arrival.rcpt_tos)), len(arrival.raw), arrival.raw, arrival.from_addr,
                     arrival.from_addr.lower() if arrival.from_addr else None, arrival.subject,
                     arrival.in_reply_to, json.dumps(list(arrival.references)), to_db(now)))
                if cursor.rowcount == 1:
                    out.append((int(cursor.lastrowid or 0), True))
                    continue
                found = self.db.conn.execute("SELECT id FROM email_inbound WHERE message_id = ?",
                                             (arrival.message_id,)).fetchone()
                out.append((int(found[0]), False))
        return out

    # -- the processor ---------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 50) -> list[int]:
        """Received rows whose turn has come, oldest first (after a restart: everything not finished)."""
        return [r[0] for r in self.db.conn.execute(
            "SELECT id FROM email_inbound WHERE status = 'received' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?", (to_db(now), limit))]

    def next_due(self) -> datetime | None:
        found = self.db.conn.execute(
            "SELECT min(next_attempt_at) FROM email_inbound WHERE status = 'received'").fetchone()[0]
        return None if found is None else from_db(found)

    def get(self, row_id: int) -> InboundRow | None:
        found = self.db.conn.execute(f"SELECT {_COLUMNS} FROM email_inbound WHERE id = ?", (row_id,)).fetchone()
        return None if found is None else _row(found)

    def is_waiting(self, row_id: int) -> bool:
        found = self.db.conn.execute("SELECT status FROM email_inbound WHERE id = ?", (row_id,)).fetchone()
        return found is not None and found[0] == "received"

    def finish(self, row_id: int, status: str, now: datetime, *, rule: str, note: str | None = None,
               ticket: str | None = None, replies: int = 0, from_addr: str | None = None) -> bool:
        """Record how a received row ended; False if it was not (or no longer) received."""
        if status not in STATUSES or status == "received":
            raise ValueError(f"a row finishes as done, no-reply or quarantined, not {status!r}")
        cursor = self.db.conn.execute(
            "UPDATE email_inbound SET status = ?, processed_at = ?, rule = ?, note = ?, ticket_number = ?, "
            "replies = ?, from_addr = coalesce(?, from_addr), sender = coalesce(lower(?), sender) "
            "WHERE id = ? AND status = 'received'",
            (status, to_db(now), rule, note, _ticket_number(ticket), replies, from_addr, from_addr, row_id))
        return cursor.rowcount == 1

    def retry_later(self, row_id: int, now: datetime, delay: timedelta, note: str) -> int:
        """A turn that failed (the database busy, a bug): try again after delay; returns the attempts so far."""
        self.db.conn.execute(
            "UPDATE email_inbound SET attempts = attempts + 1, next_attempt_at = ?, note = ? "
            "WHERE id = ? AND status = 'received'", (to_db(now + delay), note[:2000], row_id))
        found = self.db.conn.execute("SELECT attempts FROM email_inbound WHERE id = ?", (row_id,)).fetchone()
        return int(found[0]) if found else 0

    def replies_since(self, sender: str, since: datetime) -> int:
        """How many of this sender's messages got an automatic reply since then (the loop cap)."""
        return int(self.db.conn.execute(
            "SELECT count(*) FROM email_inbound WHERE sender = ? AND replies > 0 AND processed_at >= ?",
            (sender.lower(), to_db(since))).fetchone()[0])

    def ticket_of(self, message_ids: Sequence[str]) -> str | None:
        """The ticket the latest of these (inbound) messages joined, if any."""
        if not message_ids:
            return None
        marks = ", ".join("?" * len(message_ids))
        found = self.db.conn.execute(
            f"SELECT ticket_number FROM email_inbound WHERE message_id IN ({marks}) AND ticket_number IS NOT NULL "
            "ORDER BY id DESC LIMIT 1", tuple(message_ids)).fetchone()
        return None if found is None else f"CC-{found[0]:06d}"

    def has_message(self, message_id: str) -> bool:
        """An email with this Message-ID was received."""
        return self.db.conn.execute("SELECT 1 FROM email_inbound WHERE message_id = ?",
                                    (message_id,)).fetchone() is not None

    def latest_of_ticket(self, ticket: str) -> InboundRow | None:
        """The newest email that joined this ticket (what a staff reply threads under)."""
        found = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM email_inbound WHERE ticket_number = ? ORDER BY id DESC LIMIT 1",
            (_ticket_number(ticket),)).fetchone()
        return None if found is None else _row(found)

    def counts(self) -> dict[str, int]:
        return {status: int(n) for status, n in self.db.conn.execute(
            "SELECT status, count(*) FROM email_inbound GROUP BY status")}


def message_id_key(db: Database) -> bytes:
    """The database's own key for signing outgoing Message-IDs (made by migration 10)."""
    found = db.conn.execute("SELECT value FROM email_keys WHERE name = 'message_id'").fetchone()
    if found is None:   # a row removed by hand: make a new key (old ids then no longer verify)
        from bot.db import write_transaction

        with write_transaction(db):
            db.conn.execute("INSERT OR IGNORE INTO email_keys (name, value) "
                            "VALUES ('message_id', lower(hex(randomblob(32))))")
        found = db.conn.execute("SELECT value FROM email_keys WHERE name = 'message_id'").fetchone()
    return bytes.fromhex(found[0])
