"""The one durable outbox for every message the assistant sends.

Chat replies, emails, staff replies, ticket notices, reminders and confirmations
are all rows here, written in the same transaction as the change that caused
them. A row's `key` is unique and permanent: enqueueing the same key twice is a
no-op, and rows are never deleted, so nothing keyed is ever sent twice.

Delivery: a worker claims due rows in one statement (`UPDATE ... RETURNING`),
stamping a fresh claim token with an expiry. Every completion is guarded by that
token, so a worker whose claim expired (it died, or hung) changes nothing, and
its row is claimed again and sent once. A row is marked sent only after the
channel confirmed it; temporary failures back off exponentially with jitter;
permanent failures (and rows out of attempts) are recorded in the audit trail.

A reminder wave's texts are a few dozen shared paragraphs around each employee's
own: such a row's payload carries `text_parts` instead of `text` (its own
paragraphs literally, the shared ones as {"sha256": ...} of a row of
`outbox_parts`, written in the same transaction and never changed), and every
row read back from here has its `text` put together again, so the channels see
the payload the planner meant, whole.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator, Mapping, Sequence

from bot.audit import AuditEvent, AuditLog
from bot.db import Database, insert_rows, write_transaction
from bot.timestamps import from_db, optional_from_db, to_db

KINDS: tuple[str, ...] = ("reply", "staff-reply", "ticket-notice", "reminder", "confirmation", "notice", "chart")
STATUSES: tuple[str, ...] = ("pending", "sent", "failed", "cancelled")

# Claimed first: someone waiting for an answer before a bulk wave of reminders (lower first). A chart
# (a PNG drawn at send time, ~0.2 s of CPU) follows the text answers it illustrates, never delays them.
PRIORITY: dict[str, int] = {"reply": 0, "staff-reply": 0, "ticket-notice": 1, "notice": 1, "confirmation": 2,
                            "chart": 2, "reminder": 3}

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
BACKOFF_JITTER = 0.2

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT NOT NULL UNIQUE,
    channel       TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    employee_id   TEXT,
    kind          TEXT NOT NULL,
    ticket_number INTEGER,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    not_before    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claim_token   TEXT,
    claimed_until TEXT,
    last_error    TEXT,
    sent_at       TEXT,
    provider_ref  TEXT,
    CHECK ((claim_token IS NULL) = (claimed_until IS NULL))
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (channel, not_before) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_recipient ON outbox (channel, recipient) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_employee ON outbox (channel, employee_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_ticket ON outbox (ticket_number);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, created_at);
"""

PRIORITY_SCHEMA = f"""
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
UPDATE outbox SET priority = CASE kind {" ".join(f"WHEN '{k}' THEN {v}" for k, v in PRIORITY.items())} ELSE 1 END;
DROP INDEX IF EXISTS outbox_due;
CREATE INDEX outbox_due ON outbox (channel, priority, not_before) WHERE status = 'pending';
"""

# Migration 18: shared paragraphs of many rows' texts, stored once, by the SHA-256 of their UTF-8.
PARTS_SCHEMA = """
CREATE TABLE outbox_parts (
    sha256 TEXT PRIMARY KEY,
    text   TEXT NOT NULL
);
"""
TEXT_PARTS = "text_parts"       # a payload key: its text, paragraphs literal or by reference, in order
PART_SEPARATOR = "\n\n"       # between the paragraphs of a text

_COLUMNS = ("id, key, channel, recipient, employee_id, kind, ticket_number, payload, status, not_before, "
            "created_at, attempts, claim_token, claimed_until, last_error, sent_at, provider_ref")


def migrate_from_ticket_outbox(db: Database) -> None:
    """Migration 5: the ticket-only outbox of the first release becomes the general one."""
    from bot.schema import _statements

    old = db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone()
    if old is not None:
        db.conn.execute("ALTER TABLE outbox RENAME TO outbox_v1")
        for index in ("outbox_ticket", "outbox_pending_employee", "outbox_pending_address",
                      "outbox_pending_channel"):
            db.conn.execute(f"DROP INDEX IF EXISTS {index}")
    for statement in _statements(SCHEMA):
        db.conn.execute(statement)
    if old is not None:
        db.conn.execute(
            "INSERT INTO outbox (key, channel, recipient, employee_id, kind, ticket_number, payload, status, "
            "not_before, created_at, sent_at) "
            "SELECT 'staff:v1:' || id, channel, address, employee_id, 'staff-reply', ticket_number, "
            "json_object('ticket', printf('CC-%06d', ticket_number), 'text', text), "
            "CASE WHEN delivered_at IS NULL THEN 'pending' ELSE 'sent' END, created_at, created_at, delivered_at "
            "FROM outbox_v1 ORDER BY id")
        db.conn.execute("DROP TABLE outbox_v1")


@dataclass(frozen=True)
class Outbound:
    """A message to send: what the core (or a planner) decides; a channel adapter delivers it."""

    key: str                        # unique and permanent: the same key is never sent twice
    channel: str                    # slack | email | cli
    recipient: str                  # Slack user or channel id, an email address, the CLI address
    kind: str                       # one of KINDS
    payload: dict[str, Any]         # JSON: what the adapter renders (see handlers.outgoing)
    employee_id: str | None = None
    ticket: str | None = None       # CC-000123
    not_before: datetime | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    channel: str
    recipient: str
    employee_id: str | None
    kind: str
    ticket: str | None
    payload: dict[str, Any]
    status: str
    not_before: datetime
    created_at: datetime
    attempts: int
    claim_token: str | None
    claimed_until: datetime | None
    last_error: str | None
    sent_at: datetime | None
    provider_ref: str | None


@dataclass(frozen=True)
class Depth:
    pending: int
    oldest_pending: datetime | None
    failed: int
    by_channel: dict[str, int] = field(default_factory=dict)


def part_digest(text: str) -> str:
    """The name of a shared paragraph in outbox_parts (and in a payload's text_parts)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def part_ref(digest: str) -> dict[str, str]:
    """A reference to a shared paragraph, as an element of a payload's text_parts."""
    return {"sha256": digest}


# Paragraphs read from outbox_parts, by digest: content-addressed and never changed, so any
# process may keep them (a worker delivering a wave reads each of a few dozen once).
_PARTS_READ: dict[str, str] = {}
_PARTS_READ_LIMIT = 4096


def _row(values: Sequence[Any], db: Database) -> OutboxRow:
    (row_id, key, channel, recipient, employee_id, kind, ticket_number, payload, status, not_before,
     created_at, attempts, token, until, error, sent_at, ref) = values
    data = json.loads(payload)
    if TEXT_PARTS in data:
        data = _whole(data, db, row_id)
    return OutboxRow(
        id=row_id, key=key, channel=channel, recipient=recipient, employee_id=employee_id, kind=kind,
        ticket=None if ticket_number is None else f"CC-{ticket_number:06d}", payload=data,
        status=status, not_before=from_db(not_before), created_at=from_db(created_at), attempts=attempts,
        claim_token=token, claimed_until=optional_from_db(until), last_error=error,
        sent_at=optional_from_db(sent_at), provider_ref=ref,
    )


def _whole(payload: dict[str, Any], db: Database, row_id: int) -> dict[str, Any]:
    """The payload with its text put together from text_parts (the payload the channels render)."""
    pieces: list[str] = []
    for part in payload[TEXT_PARTS]:
        if isinstance(part, str):
            pieces.append(part)
            continue
        digest = part["sha256"]
        text = _PARTS_READ.get(digest)
        if text is None:
            found = db.conn.execute("SELECT text FROM outbox_parts WHERE sha256 = ?", (digest,)).fetchone()
            if found is None:
                raise OutboxError(f"outbox row {row_id}: its text part {digest} is not in outbox_parts")
            if len(_PARTS_READ) >= _PARTS_READ_LIMIT:
                _PARTS_READ.clear()
            text = _PARTS_READ[digest] = found[0]
        pieces.append(text)
    whole = {k: v for k, v in payload.items() if k != TEXT_PARTS}
    whole["text"] = PART_SEPARATOR.join(pieces)
    return whole


def _ticket_number(ticket: str | None) -> int | None:
    if ticket is None:
        return None
    return int(ticket.split("-", 1)[1])


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the attempts-th failed try: 2 s doubling to 5 min, +-20% jitter."""
    base = min(BACKOFF_CAP.total_seconds(), BACKOFF_BASE.total_seconds() * 2 ** max(0, attempts - 1))
    spread = (rng or random).uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)
    return timedelta(seconds=base * spread)


# json.dumps(payload, ensure_ascii=False, sort_keys=True), without a new encoder for every row of a wave
_PAYLOAD_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def payload_json(payload: dict[str, Any]) -> str:
    """A payload as the outbox stores it (what enqueue_many's `payloads` must equal)."""
    return _PAYLOAD_JSON.encode(payload)


class _SomeKeysKnown(Exception):
    """enqueue_many's fast path found a key already in the outbox (undo it, take the careful path)."""


class OutboxError(Exception):
    """An outbox operation that cannot be done; the message says why."""


class Outbox:
    def __init__(self, db: Database, audit: AuditLog | None = None) -> None:
        self.db = db
        self.audit = audit if audit is not None else AuditLog(db)

    # -- writing --------------------------------------------------------------------------------

    _INSERT_ROWS = ("INSERT INTO outbox (key, channel, recipient, employee_id, kind, ticket_number, payload, "
                    "not_before, created_at, priority)")
    _ON_KEY = "ON CONFLICT (key) DO NOTHING"
    _INSERT = f"{_INSERT_ROWS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) {_ON_KEY}"

    @staticmethod
    def _values(item: Outbound, stamp: str, payload_json: str | None = None) -> tuple[Any, ...]:
        return Outbox.row_values(item.key, item.channel, item.recipient, item.kind,
                                 _PAYLOAD_JSON.encode(item.payload) if payload_json is None else payload_json,
                                 stamp, employee_id=item.employee_id, ticket=item.ticket,
                                 not_before=to_db(item.not_before) if item.not_before else None)

    @staticmethod
    def row_values(key: str, channel: str, recipient: str, kind: str, payload_json: str, stamp: str, *,
                   employee_id: str | None = None, ticket: str | None = None,
                   not_before: str | None = None) -> tuple[Any, ...]:
        """One row as enqueue_values() takes it: an Outbound's fields, its payload encoded (payload_json)
        and the times as the outbox stores them (to_db; not_before defaults to the stamp)."""
        if kind not in KINDS:
            raise OutboxError(f"unknown outbox kind {kind!r}: expected one of {', '.join(KINDS)}")
        if not key or not recipient:
            raise OutboxError("an outbox row needs a key and a recipient")
        return (key, channel, recipient, employee_id, kind, _ticket_number(ticket), payload_json,
                not_before or stamp, stamp, PRIORITY.get(kind, 1))

    def enqueue(self, item: Outbound, now: datetime) -> int | None:
        """Add a row; returns its id, or None when the key was enqueued before (nothing changes)."""
        cursor = self.db.conn.execute(self._INSERT, self._values(item, to_db(now)))
        return cursor.lastrowid if cursor.rowcount == 1 else None

    _INSERT_CLAIMED = (f"{_INSERT_ROWS[:-1]}, claim_token, claimed_until, attempts) "
                       f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) {_ON_KEY} RETURNING {_COLUMNS}")

    def enqueue_claimed(self, item: Outbound, now: datetime, token: str, until: datetime) -> OutboxRow | None:
        """enqueue(), the row claimed at once with token until then (as claim() would return it): a turn
        hands its rows to the worker that asked, with no claim of the worker's own. None: key known."""
        found = self.db.conn.execute(self._INSERT_CLAIMED,
                                     (*self._values(item, to_db(now)), token, to_db(until))).fetchall()
        return _row(found[0], self.db) if found else None

    def release(self, token: str) -> int:
        """Give up every pending row claimed with token (a handover nobody will send): due again now."""
        return self.db.conn.execute(
            "UPDATE outbox SET claim_token = NULL, claimed_until = NULL WHERE claim_token = ? "
            "AND status = 'pending'", (token,)).rowcount

    _INSERT_PART = "INSERT INTO outbox_parts (sha256, text) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING"

    def enqueue_many(self, items: Sequence[Outbound], now: datetime, *,
                     payloads: Sequence[str] | None = None, parts: Mapping[str, str] | None = None) -> list[Outbound]:
        """Add rows in one statement (a planner's batch); returns the ones added (keys new to the outbox).

        payloads: the items' payloads already encoded, each exactly payload_json(item.payload)
        (a planner composes a wave's texts from a few shared parts, and so their JSON too);
        encoded here when not given.
        parts: digest -> text of every shared paragraph the rows' text_parts refer to (part_digest);
        stored in the same transaction as the rows, once (a digest already stored is skipped).

        The same rules as enqueue(); runs in the caller's transaction (or its own), so
        the keys found already enqueued are exactly those skipped. A planner's batch is
        nearly always all new: it is inserted at once, and only when some key was there
        (the insert changed fewer rows) is it undone and redone looking the keys up.
        """
        stamp = to_db(now)
        if payloads is None:
            values = [self._values(item, stamp) for item in items]   # every row checked before any is written
        else:
            if len(payloads) != len(items):
                raise OutboxError(f"{len(items)} rows but {len(payloads)} encoded payloads")
            values = [self._values(item, stamp, encoded) for item, encoded in zip(items, payloads)]
        added = self.enqueue_values(values, parts=parts)
        return list(items) if added is None else [items[i] for i in added]

    def enqueue_values(self, values: Sequence[tuple[Any, ...]], *,
                       parts: Mapping[str, str] | None = None) -> list[int] | None:
        """enqueue_many() for rows made by row_values(): the indexes of the rows added, None when all were.

        A planner's wave builds its rows' values itself (no Outbound and payload dict per message).
        """
        stored_parts: list[tuple[str, str]] = []
        for digest, text in (parts or {}).items():
            if part_digest(text) != digest:
                raise OutboxError(f"text part {digest} is not the SHA-256 of its text")
            stored_parts.append((digest, text))
        with write_transaction(self.db):
            if stored_parts:
                self.db.conn.executemany(self._INSERT_PART, stored_parts)
            try:
                with write_transaction(self.db):     # a savepoint: undone when some key was there
                    if insert_rows(self.db, self._INSERT_ROWS, values, on_conflict=self._ON_KEY) == len(values):
                        return None
                    raise _SomeKeysKnown
            except _SomeKeysKnown:
                pass
            existing: set[str] = set()
            keys = [row[0] for row in values]
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                existing.update(r[0] for r in self.db.conn.execute(
                    f"SELECT key FROM outbox WHERE key IN ({', '.join('?' * len(chunk))})", chunk))
            new: list[int] = []
            for index, key in enumerate(keys):
                if key not in existing:
                    existing.add(key)
                    new.append(index)
            insert_rows(self.db, self._INSERT_ROWS, [values[i] for i in new], on_conflict=self._ON_KEY)
        return new

    def claim(self, channel: str, now: datetime, *, limit: int = 50, lease: timedelta = DEFAULT_LEASE,
              recipient: str | None = None, employee_id: str | None = None) -> list[OutboxRow]:
        """Claim due rows of one channel (optionally one recipient's or employee's), oldest first, at once.

        A row is due when pending, its not-before time has come and it has no live claim.
        """
        token = secrets.token_hex(8)
        stamp = to_db(now)
        where = "channel = ? AND status = 'pending' AND not_before <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"
        params: list[Any] = [channel, stamp, stamp]
        if recipient is not None:
            where += " AND recipient = ?"
            params.append(recipient)
        if employee_id is not None:
            where += " AND employee_id = ?"
            params.append(employee_id)
        rows = self.db.conn.execute(
            f"UPDATE outbox SET claim_token = ?, claimed_until = ?, attempts = attempts + 1 "
            f"WHERE id IN (SELECT id FROM outbox WHERE {where} ORDER BY priority, not_before, id LIMIT ?) "
            f"RETURNING {_COLUMNS}",
            (token, to_db(now + lease), *params, limit),
        ).fetchall()
        return sorted((_row(r, self.db) for r in rows), key=lambda r: (PRIORITY.get(r.kind, 1), r.not_before, r.id))

    def complete(self, row: OutboxRow, now: datetime, provider_ref: str | None = None) -> bool:
        """The channel confirmed delivery. False if the claim was lost (someone else owns the row now)."""
        cursor = self.db.conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, provider_ref = ?, claim_token = NULL, "
            "claimed_until = NULL, last_error = NULL WHERE id = ? AND claim_token = ? AND status = 'pending'",
            (to_db(now), provider_ref, row.id, row.claim_token),
        )
        return cursor.rowcount == 1

    def complete_many(self, sent: Sequence[tuple[OutboxRow, str | None]], now: datetime) -> list[bool]:
        """complete() for several rows in one write transaction: the write lock is taken once, not per row."""
        with write_transaction(self.db):
            return [self.complete(row, now, ref) for row, ref in sent]

    def retry_later(self, row: OutboxRow, now: datetime, error: str, delay: timedelta | None = None,
                    *, max_attempts: int = MAX_ATTEMPTS) -> bool:
        """A temporary failure: try again after delay (default: backoff). Out of attempts: failed."""
        if row.attempts >= max_attempts:
            return self.fail(row, now, f"gave up after {row.attempts} attempts: {error}")
        wait = delay if delay is not None else backoff(row.attempts)
        cursor = self.db.conn.execute(
            "UPDATE outbox SET not_before = ?, last_error = ?, claim_token = NULL, claimed_until = NULL "
            "WHERE id = ? AND claim_token = ? AND status = 'pending'",
            (to_db(now + wait), error[:2000], row.id, row.claim_token),
        )
        return cursor.rowcount == 1

    def fail(self, row: OutboxRow, now: datetime, error: str) -> bool:
        """A permanent failure: never retried by itself, recorded in the audit trail."""
        with write_transaction(self.db):
            cursor = self.db.conn.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?, claim_token = NULL, claimed_until = NULL "
                "WHERE id = ? AND claim_token = ? AND status = 'pending'",
                (error[:2000], row.id, row.claim_token),
            )
            if cursor.rowcount != 1:
                return False
            self.audit.record(AuditEvent(
                at=now, direction="out", kind="delivery-failure", channel=row.channel, address=row.recipient,
                employee_id=row.employee_id, intent=row.kind, sections=(), ticket=row.ticket,
                text=f"outbox row {row.id} ({row.key}) not delivered: {error}"))
            return True

    def cancel(self, row_id: int, now: datetime, reason: str) -> bool:
        """Withdraw a pending row (e.g. a reminder superseded by a later one)."""
        cursor = self.db.conn.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = ?, claim_token = NULL, claimed_until = NULL "
            "WHERE id = ? AND status = 'pending'", (reason, row_id))
        return cursor.rowcount == 1

    def requeue(self, row_id: int, now: datetime) -> OutboxRow:
        """An administrator's retry of a failed (or cancelled) row: pending again, due now."""
        row = self.get(row_id)
        if row.status == "sent":
            raise OutboxError(f"outbox row {row_id} was already sent at {to_db(row.sent_at) if row.sent_at else '?'}; "
                              "it is not sent twice")
        if row.status == "pending":
            return row
        self.db.conn.execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, attempts = 0, claim_token = NULL, "
            "claimed_until = NULL WHERE id = ?", (to_db(now), row_id))
        return self.get(row_id)

    # -- reading --------------------------------------------------------------------------------

    def get(self, row_id: int) -> OutboxRow:
        found = self.db.conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,)).fetchone()
        if found is None:
            raise OutboxError(f"no outbox row {row_id}")
        return _row(found, self.db)

    def by_key(self, key: str) -> OutboxRow | None:
        found = self.db.conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
        return None if found is None else _row(found, self.db)

    def rows(self, *, status: str | None = None, channel: str | None = None, kind: str | None = None,
             ticket: str | None = None, limit: int | None = None) -> Iterator[OutboxRow]:
        """Rows matching every filter given, oldest first."""
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            if status not in STATUSES:
                raise OutboxError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")
            where.append("status = ?")
            params.append(status)
        for column, value in (("channel", channel), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if ticket is not None:
            where.append("ticket_number = ?")
            params.append(_ticket_number(ticket))
        sql = f"SELECT {_COLUMNS} FROM outbox"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for values in self.db.conn.execute(sql, params):
            yield _row(values, self.db)

    def next_due(self, channel: str) -> datetime | None:
        """When the earliest pending row of a channel becomes due (for a worker's sleep)."""
        found = self.db.conn.execute(
            "SELECT min(max(not_before, coalesce(claimed_until, not_before))) FROM outbox "
            "WHERE channel = ? AND status = 'pending'", (channel,)).fetchone()[0]
        return None if found is None else from_db(found)

    def depth(self) -> Depth:
        pending, oldest = self.db.conn.execute(
            "SELECT count(*), min(created_at) FROM outbox WHERE status = 'pending'").fetchone()
        failed = self.db.conn.execute("SELECT count(*) FROM outbox WHERE status = 'failed'").fetchone()[0]
        by_channel = dict(self.db.conn.execute(
            "SELECT channel, count(*) FROM outbox WHERE status = 'pending' GROUP BY channel").fetchall())
        return Depth(int(pending), optional_from_db(oldest), int(failed), by_channel)
