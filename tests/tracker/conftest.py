"""Fixtures of the tracker tests: the core's small world in a tmp SQLite file, the 2003 calendar's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import store
from bot.config import load_settings

from worlds import build_world

from tracker_world import CONFIG, START, core_world


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path, employees=core_world.EMPLOYEES, grants=core_world.GRANTS, grid=core_world.GRID)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "averaging.toml"
    path.write_text(CONFIG.format(extra=""))
    return path


@pytest.fixture
def settings(db_path: Path):
    return load_settings().with_overrides(db_path=db_path, averaging_start=START)


@pytest.fixture
def clock():
    return core_world.Clock()


@pytest.fixture
def conversation(db_path: Path, settings, clock):
    from handlers.core import Conversation

    db = store.open_db(db_path)
    yield Conversation(db, settings, clock=clock)
    db.close()


@pytest.fixture
def ask(conversation):
    """ask(text, channel="slack", address="U0ALICE", **incoming) -> Response."""
    from handlers.messages import Incoming

    def send(text: str, channel: str = "slack", address: str = "U0ALICE", **extra):
        return conversation.handle(Incoming(channel, address, text, **extra))

    return send


@pytest.fixture
def with_closes(db_path: Path):
    """with_closes(n): the first n closes of the synthetic file stored, as `sotp import closes` stores them."""
    from datetime import datetime, timezone

    from bot import tracking
    from tracker_world import CLOSES, DAYS

    def put(n: int) -> None:
        db = store.open_db(db_path)
        tracking.replace_closes(db, [(d.isoformat(), c) for d, c in zip(DAYS[:n], CLOSES[:n])],
                                datetime(2003, 12, 1, tzinfo=timezone.utc))
        db.close()

    return put
