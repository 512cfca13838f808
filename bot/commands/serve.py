"""`sotp serve` and `sotp health`: run every part of the assistant in one process, and ask how it is."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.commands._common import (CommandError, common_parent, emit_json, json_parent, open_database,
                                  settings_from_args)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.serve import serve_modules

    parser = subparsers.add_parser(
        "serve", parents=[common_parent()], help="run the assistant as a service (Slack, email, reminders)",
        description="Run the assistant's channels, outbox workers and planners in one process until SIGINT or "
                    "SIGTERM (a second signal exits at once). Settings come from the configuration file, then "
                    "environment variables, then these options.")
    parser.add_argument("--log-file", metavar="FILE", help="write the log there instead of to stderr")
    parser.add_argument("--log-level", metavar="LEVEL", help="DEBUG, INFO (default), WARNING or ERROR")
    parser.add_argument("--no-mail-sink", action="store_true",
                        help="do not run the built-in local mail sink (serve.mail_sink), e.g. beside a real relay")
    parser.add_argument("--clock-speed", type=float, metavar="X",
                        help="run the demo clock X times faster than real time (to watch reminders fire)")
    for module in serve_modules():
        module.add_arguments(parser)
    parser.set_defaults(func=run_service)

    health = subparsers.add_parser(
        "health", parents=[common_parent(), json_parent()], help="how the running service is doing",
        description="Each component's state (listening, connected, restarts, last error), the outbox depth and "
                    "the age of its oldest pending message, from the service's last health report.")
    health.set_defaults(func=_health)


# The channels whose replies carry a PNG chart drawn in the chart process (bot.charts.pool).
CHART_CHANNELS = frozenset({"slack", "email"})


def run_service(args: argparse.Namespace) -> int:
    from bot import clock as clocks, logs
    from bot.charts import pool as chart_pool
    from bot.db import Connections
    from bot.serve import ServeContext, Service, WorkerComponent, builtin_components, serve_modules
    from handlers.core import Conversation

    settings = settings_from_args(args)
    section = settings.section("serve")
    level = (getattr(args, "log_level", None) or str(section.get("log_level", "INFO"))).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise CommandError(f"serve.log_level: expected DEBUG, INFO, WARNING or ERROR, got {level!r}")
    open_database(args, settings).close()     # a named database must exist; the demo default is built
    logs.configure(level, log_file=getattr(args, "log_file", None))
    state_dir = Path(str(section.get("state_dir", "var")))
    clock = clocks.from_settings(settings, speed=getattr(args, "clock_speed", None))
    # The chart process starts first, so that its warm-up (imports, calendar, grid) runs beside the
    # building of the components instead of on the first employee's chart; Service.run stops it.
    chart_pool.start(settings.db_path, settings)
    connections = Connections(settings.db_path, create=False)
    try:
        conversation = Conversation(connections, settings, clock=clock)
        context = ServeContext(settings, connections, conversation, clock, args, state_dir)
        components = [*builtin_components(context),
                      *(c for module in serve_modules() for c in module.components(context))]
        context.channels = {c.worker.channel for c in components if isinstance(c, WorkerComponent)}
    except BaseException:
        chart_pool.shutdown()
        connections.close()
        raise
    if not context.channels & CHART_CHANNELS:
        chart_pool.shutdown()      # no channel here attaches a chart

    async def main() -> None:
        service = Service(components, state_dir=state_dir, extra_health=lambda: _outbox_health(connections))
        service.install_signals()
        await service.run()

    try:
        asyncio.run(main())
    finally:
        chart_pool.shutdown()       # harmless when Service.run has stopped it already
        connections.close()
    return 0


def _outbox_health(connections: Any) -> dict[str, Any]:
    from bot.outbox import Outbox
    from bot.timestamps import to_db

    depth = Outbox(connections.db()).depth()
    age = None
    if depth.oldest_pending is not None:
        age = round((datetime.now(timezone.utc) - depth.oldest_pending).total_seconds(), 1)
    return {"outbox": {"pending": depth.pending, "failed": depth.failed, "by_channel": depth.by_channel,
                       "oldest_pending": to_db(depth.oldest_pending) if depth.oldest_pending else None,
                       "oldest_pending_age_s": age}}


STALE_AFTER = 30.0   # seconds: a report older than this means the service is not running


def _health(args: argparse.Namespace) -> int:
    from bot.timestamps import from_db

    settings = settings_from_args(args)
    path = Path(str(settings.section("serve").get("state_dir", "var"))) / "health.json"
    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"no health report at {path}: is `sotp serve` running here?") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    age = (datetime.now(timezone.utc) - from_db(report["at"])).total_seconds()
    report["running"] = age <= STALE_AFTER
    report["report_age_s"] = round(age, 1)
    if args.json:
        emit_json(report)
    else:
        state = "running" if report["running"] else f"NOT RUNNING (last report {age:.0f} s ago)"
        lines = [f"sotp serve (pid {report.get('pid')}): {state}"]
        for name, comp in report.get("components", {}).items():
            detail = ", ".join(f"{k}={v}" for k, v in comp.items() if k not in ("state", "since") and v is not None)
            lines.append(f"  {name}: {comp['state']}" + (f" ({detail})" if detail else ""))
        outbox = report.get("outbox")
        if outbox:
            lines.append(f"  outbox: {outbox['pending']} pending, {outbox['failed']} failed, oldest pending "
                         f"{outbox['oldest_pending_age_s']} s")
        print("\n".join(lines))
    return 0 if report["running"] else 1
