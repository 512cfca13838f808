"""What an employee chose about messages the assistant sends unasked (Slack reminders, tracking).

Email reminders of the legal deadline cannot be turned off (issue 11); Slack
reminders can (`/sotp reminders off`). One row per employee and setting.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from bot.db import Database
from bot.timestamps import to_db

SETTINGS: dict[str, bool] = {   # setting -> its value when the employee never chose
    "slack_reminders": True,
    "tracking": False,          # the daily Averaging Period update ("track on" / `/sotp track on`)
    "tracking_slack": False,    # ... sent as a Slack DM (chosen in Slack) rather than by email
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (
    employee_id TEXT NOT NULL,
    setting     TEXT NOT NULL,
    value       INTEGER NOT NULL CHECK (value IN (0, 1)),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (employee_id, setting)
);
"""


class Preferences:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, employee_id: str, setting: str) -> bool:
        default = SETTINGS[setting]
        row = self.db.conn.execute("SELECT value FROM preferences WHERE employee_id = ? AND setting = ?",
                                   (employee_id, setting)).fetchone()
        return default if row is None else bool(row[0])

    def set(self, employee_id: str, setting: str, value: bool, now: datetime) -> None:
        if setting not in SETTINGS:
            raise ValueError(f"unknown preference {setting!r}: expected one of {', '.join(SETTINGS)}")
        self.db.conn.execute(
            "INSERT INTO preferences (employee_id, setting, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (employee_id, setting) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (employee_id, setting, int(value), to_db(now)))

    def opted(self, setting: str, value: bool) -> builtins.set[str]:
        """Employees who chose this value explicitly (for planning over a whole population)."""
        rows = self.db.conn.execute("SELECT employee_id FROM preferences WHERE setting = ? AND value = ?",
                                    (setting, int(value)))
        return {r[0] for r in rows}
