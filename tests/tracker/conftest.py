"""Fixtures of the tracker tests: the core's small world in a tmp SQLite file, the 2003 calendar's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import store
from bot.config import load_settings
from bot.imports import import_file

from tracker_world import CONFIG, START, core_world


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "sotp.db"
    db = store.open_db(path)
    for kind, text in (("employees", core_world.EMPLOYEES), ("grants", core_world.GRANTS),
                       ("grid", core_world.GRID)):
        csv = tmp_path / f"{kind}.csv"
        csv.write_text(text)
        import_file(db, kind, csv)
    db.close()
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "averaging.toml"
    path.write_text(CONFIG.format(extra=""))
    return path


@pytest.fixture
def settings(db_path: Path):
    return load_settings().with_overrides(db_path=db_path, averaging_start=START)
