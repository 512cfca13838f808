"""Fixtures of the data-side tests: SQLite files in tmp_path, CSV writers, the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from bot import store
from bot.cli import main



@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sotp.db"


@pytest.fixture
def db(db_path: Path):
    database = store.open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv("name.csv", header, *rows) -> path; rows are lines of text."""

    def write(name: str, header: str, *rows: str, bom: bool = False, trailing: str = "\n") -> Path:
        path = tmp_path / name
        text = "\n".join([header, *rows]) + trailing
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        return path

    return write


@pytest.fixture
def sotp(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, Any]]:
    """Run the CLI in-process: returns (exit status, parsed JSON of stdout, or the raw text)."""

    def run(*argv: str) -> tuple[int, Any]:
        status = main(list(argv))
        out = capsys.readouterr().out
        try:
            return status, json.loads(out)
        except json.JSONDecodeError:
            return status, out

    return run
