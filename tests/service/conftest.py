"""Real SQLite files in tmp_path for the outbox, the delivery workers and the audit chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db import Database
from bot.store import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sotp.db"


@pytest.fixture
def db(db_path: Path) -> Database:
    database = open_db(db_path)
    yield database
    database.close()
