"""`sotp run` (what `make run` starts): the whole assistant on its embedded defaults, tried in a minute.

From a terminal: the service (`sotp serve`) runs in the background with its log
in var/log/serve.log, and the terminal conversation opens in the foreground as a
demo employee. Without a terminal it is simply the service.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.commands._common import common_parent, settings_from_args

HOW_TO = """\
The SOTP Assistant is running (demo data; the Pricing Grid is illustrative).
  Chat here as {employee} (/as E000123 to switch, /help, /quit).
  Email it:  .venv/bin/sotp send-test-mail "When is the deadline?"   (replies appear in {mail_dir}/)
  Staff:     .venv/bin/sotp queue list   then   .venv/bin/sotp queue reply CC-000001 --as Pat "..."
  Service:   .venv/bin/sotp health   (log: {log})
  Demo time: {now} (make run ARGS="--clock-speed 600" to watch the reminders fire)"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", parents=[common_parent()],
                                   help="start the whole assistant on its embedded defaults (make run)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employee", metavar="ID", help="converse as this employee (default: a demo employee)")
    parser.add_argument("--clock-speed", type=float, metavar="X", help="run the demo clock X times faster")
    parser.set_defaults(func=run)


def _serve_argv(args: argparse.Namespace) -> list[str]:
    argv = [sys.executable, "-m", "bot", "serve"]
    for flag in ("db", "config"):
        if getattr(args, flag, None):
            argv += [f"--{flag}", str(getattr(args, flag))]
    if args.clock_speed:
        argv += ["--clock-speed", str(args.clock_speed)]
    return argv


def _wait_until_running(health: Path, started: float, child: subprocess.Popen[bytes], timeout: float = 90) -> bool:
    while time.monotonic() - started < timeout:
        if child.poll() is not None:
            return False
        try:
            report = json.loads(health.read_text())
            if report.get("pid") == child.pid:
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return False


def _demo_employee(args: argparse.Namespace) -> str | None:
    from bot import store
    from bot.commands._common import open_database
    from bot.figures import eligibility_for

    db = open_database(args, settings_from_args(args))
    for employee_id in store.employee_ids(db)[:200]:
        if eligibility_for(db, employee_id).eligible:
            return employee_id
    return None


def run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from bot.commands import serve

        return serve.run_service(args)
    from bot.commands import chat

    settings = settings_from_args(args)
    args.employee = args.employee or _demo_employee(args)     # also builds the demo database on first use
    section = settings.section("serve")
    state_dir = Path(str(section.get("state_dir", "var")))
    log = state_dir / "log" / "serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    from bot.logs import open_private

    with open_private(log) as out:
        child = subprocess.Popen(_serve_argv(args) + ["--log-file", str(log)], stdout=out, stderr=out)
    try:
        if not _wait_until_running(state_dir / "health.json", started, child):
            print(f"sotp run: the service did not start; see {log}", file=sys.stderr)
            return 2
        from bot import clock as clocks
        from bot.formatting import PACIFIC

        now = clocks.from_settings(settings, speed=args.clock_speed)().astimezone(PACIFIC)
        print(HOW_TO.format(employee=args.employee or "an anonymous employee",
                            mail_dir=section.get("mail_dir", "var/mail"), log=log,
                            now=now.strftime("%A, %B %d, %Y %I:%M %p Pacific")))
        args.use_configured_clock = True
        return int(chat.run(args) or 0)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
