"""`sotp serve`: one asyncio process that runs every part of the assistant and keeps it running.

Each part (the Slack app, the SMTP listener, an outbox worker, the reminder
planner, the queue's overdue check) is a Component: it runs until the stop event
is set. The supervisor restarts a component that fails, with backoff, and shows
it in the health report; the first SIGINT or SIGTERM stops every component
gracefully (stop accepting, finish or persist what is in flight, close), a
second exits at once. Channels plug in through SERVE_MODULES: each module adds
its options to `sotp serve` and returns its components.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from bot.config import Settings
from bot.db import Connections
from bot.delivery import DeliveryWorker
from bot.timestamps import to_db

log = logging.getLogger("sotp.serve")

# Modules that add components to `sotp serve`: add_arguments(parser) and components(context).
SERVE_MODULES: tuple[str, ...] = ("bot.channels.slack", "bot.channels.email", "bot.reminders.serve")

RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
HEALTH_EVERY = 5.0       # seconds between health reports written to the state folder
STOP_GRACE = 15.0        # seconds the components get to finish once asked to stop


class Component(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until stop is set; raising means failed (the supervisor restarts it)."""

    def health(self) -> dict[str, Any]:
        """What `sotp health` shows of it: listening, connected, counts, last error."""


@dataclass
class ServeContext:
    """What components are built from: settings, the database, the core, the clock, the options."""

    settings: Settings
    connections: Connections
    conversation: Any                      # handlers.core.Conversation (kept loose: no import cycle)
    clock: Callable[[], datetime]
    args: argparse.Namespace
    state_dir: Path
    # The channels whose delivery workers run in this process (set once every component is built):
    # a planner plans nothing for a channel that is not running.
    channels: set[str] | None = None


class WorkerComponent:
    """A delivery worker as a component; the core wakes it after enqueueing for its channel."""

    def __init__(self, worker: DeliveryWorker, context: ServeContext) -> None:
        self.worker = worker
        self.name = f"outbox-{worker.channel}"
        context.conversation.wakers[worker.channel] = worker.wake

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self.worker.run(stop)
        finally:
            await self.worker.adapter.aclose()

    def health(self) -> dict[str, Any]:
        return {"delivered": self.worker.delivered, "failed": self.worker.failed,
                "last_error": self.worker.last_error}


@dataclass
class _State:
    component: Component
    state: str = "starting"
    restarts: int = 0
    last_error: str | None = None
    since: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class Service:
    def __init__(self, components: Sequence[Component], *, state_dir: Path,
                 extra_health: Callable[[], dict[str, Any]] | None = None) -> None:
        self.states = [_State(c) for c in components]
        self.state_dir = state_dir
        self.extra_health = extra_health
        self.stop = asyncio.Event()

    async def _supervise(self, st: _State) -> None:
        attempt = 0
        while not self.stop.is_set():
            st.state, st.since = "running", datetime.now(timezone.utc)
            try:
                await st.component.run(self.stop)
                if self.stop.is_set():
                    break
                raise RuntimeError("stopped by itself")
            except asyncio.CancelledError:
                st.state = "cancelled"      # did not stop within STOP_GRACE
                raise
            except Exception as exc:
                st.state, st.restarts = "restarting", st.restarts + 1
                st.last_error = f"{type(exc).__name__}: {exc}"
                pause = RESTART_BACKOFF[min(attempt, len(RESTART_BACKOFF) - 1)]
                attempt += 1
                log.error("component %s failed (%s); restarting in %.0f s", st.component.name, st.last_error,
                          pause, exc_info=True)
                try:
                    await asyncio.wait_for(self.stop.wait(), pause)
                except asyncio.TimeoutError:
                    pass
        st.state = "stopped"

    def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {"at": to_db(datetime.now(timezone.utc)), "pid": os.getpid(), "components": {}}
        for st in self.states:
            try:
                detail = st.component.health()
            except Exception as exc:  # a health report must never take the service down
                detail = {"health_error": str(exc)}
            report["components"][st.component.name] = {
                "state": st.state, "restarts": st.restarts, "last_error": st.last_error,
                "since": to_db(st.since), **detail}
        if self.extra_health is not None:
            report.update(self.extra_health())
        return report

    def write_health(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        target = self.state_dir / "health.json"
        partial = target.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.health(), indent=2, ensure_ascii=False))
        os.replace(partial, target)

    async def _report(self) -> None:
        while not self.stop.is_set():
            try:
                await asyncio.to_thread(self.write_health)
            except Exception as exc:
                log.warning("could not write the health report: %s", exc)
            try:
                await asyncio.wait_for(self.stop.wait(), HEALTH_EVERY)
            except asyncio.TimeoutError:
                pass

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        seen = {"n": 0}

        def on_signal(signum: int) -> None:
            seen["n"] += 1
            if seen["n"] > 1:
                log.warning("second signal %s: exiting at once", signal.Signals(signum).name)
                os._exit(130)
            log.info("signal %s: stopping (a second signal exits at once)", signal.Signals(signum).name)
            self.stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)

    async def run(self) -> None:
        names = ", ".join(st.component.name for st in self.states) or "nothing"
        log.info("serving: %s", names)
        tasks = [asyncio.create_task(self._supervise(st), name=st.component.name) for st in self.states]
        reporter = asyncio.create_task(self._report())
        await self.stop.wait()
        log.info("stopping %d components", len(tasks))
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in pending:
            log.warning("component %s did not stop within %.0f s: cancelled", task.get_name(), STOP_GRACE)
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await reporter
        from bot.charts import pool as chart_pool   # the chart process, if a chart was drawn

        chart_pool.shutdown()
        # The last report is written once every component has ended, so it never shows one still running.
        try:
            await asyncio.to_thread(self.write_health)
        except Exception as exc:
            log.warning("could not write the health report: %s", exc)
        log.info("stopped")


def host_port(value: str, setting: str) -> tuple[str, int]:
    """'127.0.0.1:2526' -> ('127.0.0.1', 2526), or a ConfigError naming the setting."""
    from bot.config import ConfigError

    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{setting}: expected HOST:PORT, got {value!r}")
    return host, int(port)


def builtin_components(context: ServeContext) -> list[Component]:
    """What every `sotp serve` runs whatever the channels: the overdue check, and the demo mail sink."""
    from bot.mailsink import MailSink
    from bot.overdue import OverdueCheck

    section = context.settings.section("serve")
    components: list[Component] = [OverdueCheck(context.connections, context.settings, context.clock)]
    sink = str(section.get("mail_sink", "") or "")
    if sink and not getattr(context.args, "no_mail_sink", False):
        host, port = host_port(sink, "serve.mail_sink")
        components.append(MailSink(host, port, Path(str(section.get("mail_dir", "var/mail")))))
    return components


def serve_modules() -> list[Any]:
    return [importlib.import_module(name) for name in SERVE_MODULES]
