"""The reminder tests' world: a population in a real SQLite file, its chosen cases, and helpers."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.db import Database
from bot.outbox import Outbox
from bot.reminders.run import Planner

PEOPLE = 320          # the showcase (every country, leave, terminated, advisors ...) plus random people
SEED = 5
ET = timezone(timedelta(hours=-5))     # New York in November 2003 (EST)
PT = timezone(timedelta(hours=-8))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclasses.dataclass
class World:
    path: Path
    db: Database
    settings: Settings
    cases: dict[str, str]          # what each chosen employee stands for -> employee id
    eligible: list[str]

    def planner(self, **reminders: Any) -> Planner:
        return Planner(self.db, with_reminders(self.settings, **reminders))

    def rows(self, **where: Any) -> list[tuple[Any, ...]]:
        sql = "SELECT key, channel, recipient, employee_id, kind, payload, created_at FROM outbox"
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
        return self.db.conn.execute(sql + " ORDER BY id", tuple(where.values())).fetchall()

    def payload(self, key: str) -> dict[str, Any]:
        """A row's payload as the channels get it (its text whole), not as stored."""
        row = Outbox(self.db).by_key(key)
        assert row is not None, key
        return row.payload


def with_reminders(settings: Settings, **values: Any) -> Settings:
    raw = dict(settings.raw)
    raw["reminders"] = {**raw.get("reminders", {}), **values}
    return dataclasses.replace(settings, raw=raw)


def pick(db: Database, eligible: list[str], where: str, *params: Any, skip: int = 0) -> str:
    rows = [r[0] for r in db.conn.execute(f"SELECT employee_id FROM employees WHERE {where} ORDER BY employee_id",
                                          params) if r[0] in eligible]
    return rows[skip]


