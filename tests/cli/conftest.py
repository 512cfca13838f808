"""The command line as people run it: in-process through bot.cli.main, or as a real `sotp` process.

Every test names its database with --db in tmp_path (or a small demo database built
once for the session); none touches var/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from bot import demo
from bot.cli import main

DEMO_PEOPLE = 400


@pytest.fixture(autouse=True)
def no_deployment_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTP_CONFIG", raising=False)
    monkeypatch.delenv("SOTP_DB", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def sotp(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """sotp(*argv) -> (exit status, stdout, stderr), in-process."""

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def sotp_json(sotp: Callable[..., tuple[int, str, str]]) -> Callable[..., tuple[int, Any]]:
    def run(*argv: str) -> tuple[int, Any]:
        status, out, _ = sotp(*argv, "--json")
        return status, json.loads(out)

    return run


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo population (E000001 ...), built once; tests copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo.build_at(path, DEMO_PEOPLE, demo.default_seed())
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database for a test that writes."""
    import sqlite3

    target = tmp_path / "demo.db"
    source = sqlite3.connect(demo_db)
    dest = sqlite3.connect(target)
    with dest:
        source.backup(dest)
    source.close()
    dest.close()
    return target
