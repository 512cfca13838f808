"""The planner inside `sotp serve`: a pass against the service's clock, progress in the log, workers woken."""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import datetime

from bot.db import Connections
from bot.reminders import serve
from bot.serve import SERVE_MODULES, ServeContext
from reminders_world import World, at


class Conversation:
    def __init__(self) -> None:
        self.wakers: dict[str, object] = {}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run_for(component: serve.ReminderComponent, seconds: float) -> None:
    """Serve the component for a while, then stop it as `sotp serve` does."""

    async def serve_then_stop() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(component.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await task

    asyncio.run(serve_then_stop())


def context(world: World, clock: Clock, **args: object) -> ServeContext:
    namespace = argparse.Namespace(no_reminders=False, **args)
    return ServeContext(world.settings, Connections(world.path), Conversation(), clock, namespace, world.path.parent)


def test_the_planner_is_one_of_the_served_modules():
    assert "bot.reminders.serve" in SERVE_MODULES


def test_no_reminders_starts_no_planner(world):
    ctx = context(world, Clock(at("2003-11-06T09:00-05:00")))
    ctx.args.no_reminders = True
    assert serve.components(ctx) == []


def test_a_pass_enqueues_what_is_due_logs_it_and_wakes_the_workers_of_its_channels(world, caplog):
    clock = Clock(at("2003-11-06T09:00-05:00"))
    ctx = context(world, clock)
    woken: list[str] = []
    ctx.conversation.wakers.update(email=lambda: woken.append("email"), slack=lambda: woken.append("slack"))
    [component] = serve.components(ctx)
    with caplog.at_level(logging.INFO, logger="sotp.reminders"):
        report = component.tick()
    assert report.counts["7d"]["email"] == len(world.eligible)
    assert sorted(woken) == ["email", "slack"]
    assert any("reminders v1 due 14d,7d" in r.getMessage() for r in caplog.records)
    health = component.health()
    assert (health["passes"], health["deadline"], health["due"], health["next_due"]["kind"]) == (
        1, "2003-11-12", ["14d", "7d"], "3d")


def test_the_component_runs_a_pass_per_interval_until_stopped(world):
    clock = Clock(at("2003-11-06T09:00-05:00"))
    [component] = serve.components(context(world, clock))
    component.interval = 0.05

    run_for(component, 0.3)
    assert component.passes >= 2 and component.enqueued == len(world.rows()) and component.last_error is None


def test_a_failing_pass_is_reported_and_the_next_one_runs(world):
    clock = Clock(at("2003-11-06T09:00-05:00"))
    ctx = context(world, clock)
    [component] = serve.components(ctx)
    component.interval = 0.05
    world.db.conn.execute("DROP TABLE planner_passes")

    run_for(component, 0.2)
    assert component.passes == 0 and "planner_passes" in (component.last_error or "")
