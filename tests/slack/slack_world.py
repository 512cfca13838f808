"""The Slack tests' world: its people, staff, and the app started against a local Slack (see conftest)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import load_settings
from bot.db import Connections
from bot.serve import ServeContext
from handlers.core import Conversation

from bot.channels.slack.localslack import (APP_TOKEN, BOT_TOKEN, SECRET, LocalSlack, action_body, command_body, event_body,
                         signed)


_core = importlib.util.spec_from_file_location("core_world", Path(__file__).parents[1] / "core" / "conftest.py")
core_world = importlib.util.module_from_spec(_core)
_core.loader.exec_module(core_world)

EMPLOYEES = core_world.EMPLOYEES + "E6,Pat Quinn,pquinn@example.com,U0PAT,United States,59,employee,active\n"
GRANTS = core_world.GRANTS + "E6,0501,2002-02-01,NSO,2001,25.00,800,0,0,2012-02-01,0\n"
STAFF = ("U0STAFF1", "U0STAFF2")
STAFF_CHANNEL = "CSTAFF"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


class Harness:
    """The app under test, and the local Slack it talks to."""

    def __init__(self, slack: LocalSlack, context: ServeContext, components: list[Any], deps: Any) -> None:
        self.slack = slack
        self.context = context
        self.components = components
        self.deps = deps
        self.inbound = components[0]
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.http: aiohttp.ClientSession | None = None
        self._n = 0

    @property
    def db(self):
        return self.context.connections.db()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.inbound.port}"

    async def start(self) -> "Harness":
        self.tasks = [asyncio.create_task(c.run(self.stop)) for c in self.components]
        await asyncio.wait_for(self.inbound.ready.wait(), 10)
        self.http = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 20)
        if self.http is not None:
            await self.http.close()

    def next_id(self) -> int:
        self._n += 1
        return self._n

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        assert self.http is not None
        async with self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as r:
            return r.status, await r.text()

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None,
                    **sign: Any) -> tuple[int, str]:
        body = event_body(event, event_id=event_id or f"Ev{self.next_id():04d}")
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(body, signed(body, **sign, **extra))

    async def dm(self, text: str, *, user: str = "U0ALICE", ts: str | None = None, **extra: Any) -> str:
        ts = ts or f"1067860800.{100000 + self.next_id():06d}"
        event = {"type": "message", "channel_type": "im", "channel": f"D{user[1:]}", "user": user, "text": text,
                 "ts": ts, "event_ts": ts, **extra}
        status, _ = await self.event(event)
        assert status == 200
        return ts

    async def command(self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL") -> tuple[int, str]:
        n = self.next_id()
        body = command_body(text, user=user, channel=channel, response_url=f"{self.slack.url}/response/{n}",
                            trigger=f"trig{n}")
        return await self.post(body, signed(body, content_type="application/x-www-form-urlencoded"))

    async def click(self, *, user: str, channel: str, action_id: str, value: str, **extra: Any) -> tuple[int, str]:
        n = self.next_id()
        body = action_body(user=user, channel=channel, action_id=action_id, value=value,
                           action_ts=f"1067860900.{n:06d}", **extra)
        return await self.post(body, signed(body, content_type="application/x-www-form-urlencoded"))

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every acked request is handled and the outbox has nothing due for Slack."""
        from bot.outbox import Outbox

        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(0.02)
            busy = bool(self.deps.in_flight)
            due = await asyncio.to_thread(
                lambda: [r for r in Outbox(self.context.connections.db()).rows(status="pending", channel="slack")
                         if r.not_before <= self.context.clock()])
            if not busy and not due:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled: in flight {len(self.deps.in_flight)}, due rows {len(due)}")


def make_args(**overrides: Any) -> argparse.Namespace:
    values = dict(no_slack=False, slack_mode="http", slack_port=0, slack_host="127.0.0.1",
                  slack_staff_channel=STAFF_CHANNEL, slack_staff=list(STAFF))
    values.update(overrides)
    return argparse.Namespace(**values)


async def start_app(db_path: Path, clock: Any, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch,
                    tmp_path: Path, **overrides: Any) -> Harness:
    from bot.channels.slack import build
    from bot.channels.slack.listeners.staff import StaffPlanner
    from bot.channels.slack.worker import SlackDeliveryWorker
    from bot.serve import WorkerComponent

    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", f"{slack.url}/api/")
    if overrides.get("slack_mode") == "socket":
        monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    settings = load_settings().with_overrides(db_path=db_path)
    slack_section = {**settings.section("slack"), "calls_per_second": overrides.pop("calls_per_second", 0.0),
                     "watchdog_seconds": overrides.pop("watchdog_seconds", 30.0),
                     "turn_process": overrides.pop("turn_process", False)}
    settings = dataclasses.replace(settings, raw={**settings.raw, "slack": slack_section})
    connections = Connections(db_path)
    conversation = Conversation(connections, settings, clock=clock)
    context = ServeContext(settings, connections, conversation, clock, make_args(**overrides), tmp_path / "var")
    deps, inbound, adapter = build(context)
    worker = SlackDeliveryWorker(connections, adapter, clock=clock, concurrency=deps.slack.delivery_concurrency,
                            idle_poll=0.5)
    deps.worker = worker
    components = [inbound, WorkerComponent(worker, context), StaffPlanner(deps)]
    StaffPlanner.EVERY = 0.1
    return await Harness(slack, context, components, deps).start()


