"""What the Slack app keeps: who each Slack user is, their DM channel, and where each ticket was posted.

slack_users caches users.info (profile email, time zone) and stores the link to the
employee whose email on record matched, so a re-import of employees loses nothing
and Slack is not asked again for every message. slack_ticket_posts maps a ticket to
its message in the staff channel, for chat.update and for replies in its thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from bot.db import Database
from bot.timestamps import from_db, optional_from_db, to_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_users (
    user_id      TEXT PRIMARY KEY,
    email        TEXT,
    time_zone    TEXT,
    employee_id  TEXT,
    dm_channel   TEXT,
    looked_up_at TEXT
);
CREATE INDEX IF NOT EXISTS slack_users_employee ON slack_users (employee_id);
CREATE TABLE IF NOT EXISTS slack_ticket_posts (
    ticket_number INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    ts            TEXT NOT NULL,
    shown         TEXT NOT NULL,
    posted_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS slack_ticket_posts_message ON slack_ticket_posts (channel, ts);
"""


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    email: str | None          # the profile email ("" stored as None: no email on the profile)
    time_zone: str | None
    employee_id: str | None    # the stored link to the employee on record
    dm_channel: str | None
    looked_up_at: datetime | None


@dataclass(frozen=True)
class TicketPost:
    ticket_number: int
    channel: str
    ts: str
    shown: str                 # the version of the ticket the message shows (its thread's length)
    posted_at: datetime


_USER_SELECT = "SELECT user_id, email, time_zone, employee_id, dm_channel, looked_up_at FROM slack_users"


def _user(row: Sequence[Any]) -> SlackUser:
    return SlackUser(row[0], row[1] or None, row[2] or None, row[3], row[4], optional_from_db(row[5]))


class SlackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users ------------------------------------------------------------------------------------

    def user(self, user_id: str) -> SlackUser | None:
        row = self.db.conn.execute(f"{_USER_SELECT} WHERE user_id = ?", (user_id,)).fetchone()
        return None if row is None else _user(row)

    def users(self) -> dict[str, SlackUser]:
        """Every stored Slack user, by user id (the directory's load at start)."""
        return {row[0]: _user(row) for row in self.db.conn.execute(_USER_SELECT)}

    def remember_lookup(self, user_id: str, email: str | None, time_zone: str | None,
                        employee_id: str | None, now: datetime) -> None:
        self.db.conn.execute(
            "INSERT INTO slack_users (user_id, email, time_zone, employee_id, looked_up_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, time_zone = excluded.time_zone, "
            "employee_id = excluded.employee_id, looked_up_at = excluded.looked_up_at",
            (user_id, email or "", time_zone, employee_id, to_db(now)))

    def remember_dm(self, user_id: str, channel: str) -> None:
        self.db.conn.execute(
            "INSERT INTO slack_users (user_id, dm_channel) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET dm_channel = excluded.dm_channel", (user_id, channel))

    def dm_channels(self) -> dict[str, str]:
        return dict(self.db.conn.execute(
            "SELECT user_id, dm_channel FROM slack_users WHERE dm_channel IS NOT NULL").fetchall())

    # -- ticket posts -----------------------------------------------------------------------------

    def post_of(self, ticket_number: int) -> TicketPost | None:
        row = self.db.conn.execute(
            "SELECT ticket_number, channel, ts, shown, posted_at FROM slack_ticket_posts WHERE ticket_number = ?",
            (ticket_number,)).fetchone()
        return None if row is None else TicketPost(row[0], row[1], row[2], row[3], from_db(row[4]))

    def ticket_at(self, channel: str, ts: str) -> int | None:
        """The ticket whose staff-channel message is channel/ts (a thread's parent), if any."""
        row = self.db.conn.execute("SELECT ticket_number FROM slack_ticket_posts WHERE channel = ? AND ts = ?",
                                   (channel, ts)).fetchone()
        return None if row is None else int(row[0])

    def record_post(self, ticket_number: int, channel: str, ts: str, shown: str, now: datetime) -> None:
        self.db.conn.execute(
            "INSERT INTO slack_ticket_posts (ticket_number, channel, ts, shown, posted_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (ticket_number) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, "
            "shown = excluded.shown", (ticket_number, channel, ts, shown, to_db(now)))

    def record_shown(self, ticket_number: int, shown: str) -> None:
        self.db.conn.execute("UPDATE slack_ticket_posts SET shown = ? WHERE ticket_number = ?",
                             (shown, ticket_number))

    def tickets_to_post(self, limit: int = 100) -> list[int]:
        """Tickets not yet posted to the staff channel (nor queued for it), oldest first."""
        rows = self.db.conn.execute(
            "SELECT t.number FROM tickets t WHERE t.status != 'resolved' AND NOT EXISTS "
            "(SELECT 1 FROM outbox o WHERE o.key = 'ticket-notice:slack:' || t.number) "
            "ORDER BY t.number LIMIT ?", (limit,)).fetchall()
        return [int(r[0]) for r in rows]

    def tickets_changed(self, limit: int = 100) -> list[tuple[int, str]]:
        """(ticket, version) of posted tickets that changed since their message was last updated.

        A ticket's version is the length of its thread: every change (a claim, a reply, a
        resolution, a message from the employee) adds a message to it.
        """
        rows = self.db.conn.execute(
            "SELECT number, version FROM (SELECT t.number AS number, p.shown AS shown, "
            "(SELECT count(*) FROM ticket_messages m WHERE m.ticket_number = t.number) AS version "
            "FROM tickets t JOIN slack_ticket_posts p ON p.ticket_number = t.number) "
            "WHERE CAST(version AS TEXT) != shown ORDER BY number LIMIT ?", (limit,)).fetchall()
        return [(int(n), str(v)) for n, v in rows]
