"""The Slack app running for real against a local Slack: HTTP mode on 127.0.0.1, a real SQLite world.

The world is tests/core/conftest.py's (five employees, their grants, a two-Series
grid) plus two more people: Pat, not an Eligible Employee (options priced below
$33), and Diego's Slack account, which is on no record and is found by the email on
his Slack profile. Staff are U0STAFF1 and U0STAFF2; tickets go to channel CSTAFF.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


from bot.channels.slack.localslack import (LocalSlack)

from worlds import build_world

from slack_world import EMPLOYEES, GRANTS, PROXY_VARIABLES, STAFF, STAFF_CHANNEL, Harness, core_world, start_app  # noqa: F401



@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY and ignores NO_PROXY: calls to 127.0.0.1 must not go through one."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path, employees=EMPLOYEES, grants=GRANTS, grid=core_world.GRID)


@pytest.fixture
def clock():
    return core_world.Clock()


@pytest.fixture
async def slack() -> LocalSlack:
    local = await LocalSlack(users={
        "U0DIEGO": {"email": "DRuiz@Example.COM", "tz": "Europe/Madrid"},
        "U0NOBODY": {"email": "nobody@example.com", "tz": "America/Chicago"},
        "U0ALICE": {"email": "alice.smith@example.com", "tz": "America/Los_Angeles"},
        "U0PAT": {"email": "pquinn@example.com", "tz": "America/New_York"},
    }).start()
    yield local
    await local.stop()


@pytest.fixture
async def app(db_path, clock, slack, monkeypatch, tmp_path) -> Harness:
    harness = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    yield harness
    await harness.close()


def value(call_button: dict[str, Any]) -> str:
    return call_button["value"]


def loads(text: str) -> Any:
    return json.loads(text)
