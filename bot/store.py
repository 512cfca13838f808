"""Stand-in: only open_db. The full storage module arrives from the calc branch and replaces this file."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating it and its directory if needed) the SQLite database in WAL mode.

    WAL lets the bot read while a staff member's CLI command writes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.enable_wal()
    return db
