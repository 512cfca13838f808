"""Real SQLite files in tmp_path for the queue, audit and conversation stores."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
import sqlite_utils

from bot.audit import AuditLog
from bot.queue import Queue
from bot.store import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sotp.db"


@pytest.fixture
def db(db_path: Path) -> sqlite_utils.Database:
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def audit(db: sqlite_utils.Database) -> AuditLog:
    return AuditLog(db)


@pytest.fixture
def queue(db: sqlite_utils.Database, audit: AuditLog) -> Queue:
    return Queue(db, audit)


def _query_plans(db: sqlite_utils.Database, run: Callable[[], object]) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT that run() sends through db.execute."""
    seen: list[tuple[str, object]] = []
    with db.tracer(lambda sql, params: seen.append((sql, params))):
        run()
    plans = []
    for sql, params in seen:
        if sql.lstrip().upper().startswith("SELECT"):
            rows = db.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
            plans.append(" / ".join(row[3] for row in rows))
    return plans


@pytest.fixture
def query_plans() -> Callable[[sqlite_utils.Database, Callable[[], object]], list[str]]:
    return _query_plans
