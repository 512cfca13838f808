"""Messages already answered, by the channel's own message id.

Slack retries an event, and an SMTP client resends a message, when it is not
sure the first delivery arrived. A message seen before on the same channel
(within RETENTION) is not answered twice: the core returns what it answered the
first time and enqueues nothing new.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.timestamps import to_db

RETENTION = timedelta(days=7)

SCHEMA = """
CREATE TABLE IF NOT EXISTS answered (
    channel     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    response    TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX IF NOT EXISTS answered_received_at ON answered (received_at);
"""


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    def seen(self, channel: str, message_id: str, now: datetime) -> dict[str, Any] | None:
        """What was answered to this message, if it came within RETENTION."""
        row = self.db.conn.execute(
            "SELECT response FROM answered WHERE channel = ? AND message_id = ? AND received_at >= ?",
            (channel, message_id, to_db(now - RETENTION))).fetchone()
        return None if row is None else json.loads(row[0])

    def remember(self, channel: str, message_id: str, now: datetime, response: dict[str, Any]) -> None:
        self.db.conn.execute(
            "INSERT INTO answered (channel, message_id, received_at, response) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (channel, message_id) DO UPDATE SET received_at = excluded.received_at, "
            "response = excluded.response",
            (channel, message_id, to_db(now), json.dumps(response, ensure_ascii=False)))

    def purge(self, now: datetime) -> int:
        """Forget messages older than RETENTION (housekeeping for a long-running service)."""
        return self.db.conn.execute("DELETE FROM answered WHERE received_at < ?",
                                    (to_db(now - RETENTION),)).rowcount
