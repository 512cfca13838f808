"""Conversation state per asker and channel, kept in SQLite so follow-ups survive restarts.

"and at 30?" needs the previous turn's context, also across separate `sotp ask`
runs; after 30 minutes of silence a question starts afresh (issue 4).

A channel with threads of its own (email) also keeps the state each answered
message left, keyed by that message: a reply in the thread of one answer ("more",
"2", "and at $30?") continues from what that answer said, days later too, and
whatever the asker asked in between.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.timestamps import from_db, to_db

IDLE_TIMEOUT = timedelta(minutes=30)
# How long a reply in an answer's thread still continues from it (email replies come hours or days later).
THREAD_TIMEOUT = timedelta(days=30)

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    asker      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (asker, channel)
);
CREATE INDEX IF NOT EXISTS conversations_updated_at ON conversations (updated_at);
"""


THREAD_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversation_threads (
    asker      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    thread     TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (asker, channel, thread)
);
CREATE INDEX IF NOT EXISTS conversation_threads_updated_at ON conversation_threads (updated_at);
"""


def expired(updated_at: datetime, now: datetime) -> bool:
    """Silence of IDLE_TIMEOUT or more ends a conversation (exactly 30 minutes is expired)."""
    return now - updated_at >= IDLE_TIMEOUT


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, asker: str, channel: str, now: datetime) -> dict[str, Any] | None:
        """The state, or None when there is none or it has expired (expired state is deleted)."""
        row = self.db.execute(
            "SELECT state, updated_at FROM conversations WHERE asker = ? AND channel = ?", (asker, channel)
        ).fetchone()
        if row is None:
            return None
        state, updated_at = row
        if expired(from_db(updated_at), now):
            # Delete only the row we judged, in case another process has just refreshed it.
            self.db.execute(
                "DELETE FROM conversations WHERE asker = ? AND channel = ? AND updated_at = ?",
                (asker, channel, updated_at),
            )
            return None
        return json.loads(state)

    def put(self, asker: str, channel: str, state: dict[str, Any], now: datetime) -> None:
        """Store the state (JSON-serialisable) and restart the idle clock."""
        if not isinstance(state, dict):
            raise TypeError(f"conversation state must be a dict, got {type(state).__name__}")
        self.db.execute(
            "INSERT INTO conversations (asker, channel, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (asker, channel) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (asker, channel, json.dumps(state, ensure_ascii=False), to_db(now)),
        )

    def get_thread(self, asker: str, channel: str, thread: str, now: datetime) -> dict[str, Any] | None:
        """The state the answer to message `thread` left, or None (none, someone else's, or too old)."""
        row = self.db.execute(
            "SELECT state, updated_at FROM conversation_threads WHERE asker = ? AND channel = ? AND thread = ?",
            (asker, channel, thread)).fetchone()
        if row is None or now - from_db(row[1]) >= THREAD_TIMEOUT:
            return None
        return json.loads(row[0])

    def put_thread(self, asker: str, channel: str, thread: str, state: dict[str, Any], now: datetime) -> None:
        """Keep the state this turn left under its message, for replies in its answer's thread."""
        self.db.execute(
            "INSERT INTO conversation_threads (asker, channel, thread, state, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (asker, channel, thread) DO UPDATE SET state = excluded.state, "
            "updated_at = excluded.updated_at",
            (asker, channel, thread, json.dumps(state, ensure_ascii=False), to_db(now)),
        )

    def clear(self, asker: str, channel: str) -> None:
        self.db.execute("DELETE FROM conversations WHERE asker = ? AND channel = ?", (asker, channel))

    def purge_expired(self, now: datetime) -> int:
        """Delete every expired conversation (housekeeping for a long-running bot); returns how many."""
        cutoff = to_db(now - IDLE_TIMEOUT)
        threads = self.db.execute("DELETE FROM conversation_threads WHERE updated_at <= ?",
                                  (to_db(now - THREAD_TIMEOUT),)).rowcount
        return self.db.execute("DELETE FROM conversations WHERE updated_at <= ?", (cutoff,)).rowcount + threads
