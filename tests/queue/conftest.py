"""Real SQLite files in tmp_path for the queue, audit and conversation stores."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from bot.audit import AuditLog
from bot.db import Database
from bot.queue import Queue
from bot.store import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sotp.db"


@pytest.fixture
def db(db_path: Path) -> Database:
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def audit(db: Database) -> AuditLog:
    return AuditLog(db)


@pytest.fixture
def queue(db: Database, audit: AuditLog) -> Queue:
    return Queue(db, audit)


def _query_plans(db: Database, run: Callable[[], object]) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT that run() makes on db's connection.

    SQLite's trace callback gives each statement with its parameters bound as literals.
    """
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        run()
    finally:
        db.conn.set_trace_callback(None)
    plans = []
    for sql in seen:
        if sql.lstrip().upper().startswith("SELECT"):
            rows = db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            plans.append(" / ".join(row[3] for row in rows))
    return plans


@pytest.fixture
def query_plans() -> Callable[[Database, Callable[[], object]], list[str]]:
    return _query_plans
