"""The one way the tests build a small world: a SQLite file with employees, grants and a grid imported.

Each test folder keeps its own hand-computable data (documented beside it); loading it is the same
everywhere, through the real importer.
"""

from __future__ import annotations

from pathlib import Path

from bot import store
from bot.imports import import_file


def build_world(folder: Path, *, employees: str, grants: str, grid: str) -> Path:
    """A database in folder with the CSV texts imported (employees before the grants that name them)."""
    path = folder / "sotp.db"
    db = store.open_db(path)
    for kind, text in (("employees", employees), ("grants", grants), ("grid", grid)):
        csv = folder / f"{kind}.csv"
        csv.write_text(text)
        import_file(db, kind, csv)
    db.close()
    return path
