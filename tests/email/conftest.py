"""Fixtures for the email gateway: a real SQLite file, a relay sink and the gateway on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from email_world import ProgramClock, RelaySink, build_world, start_gateway


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path)


@pytest.fixture
def clock() -> ProgramClock:
    return ProgramClock()


@pytest.fixture
async def relay():
    sink = RelaySink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
async def gateway(db_path: Path, relay: RelaySink, clock: ProgramClock, tmp_path: Path):
    running = await start_gateway(db_path, relay.port, clock, tmp_path)
    yield running
    await running.close()
