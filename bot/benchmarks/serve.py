"""`sotp bench serve`: end-to-end mail throughput of the whole `sotp serve`, with the reminder planner running.

The same measurement as `sotp bench email` (N questions over kept SMTP connections
to the listener; each reply timed at the relay, lost and duplicated counted), but
against the whole service on a scratch demo database: the planner, the overdue
check and the outbox workers run beside the gateway. With --wave the demo clock
starts just after the 14-day reminder wave is due, so that the wave is planned
and delivered while the questions arrive: replies are claimed first, reminders after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bot.benchmarks.email import measure
from bot.commands._common import CommandError, emit_json, json_parent

# Just after the 14-day reminder is due: 14 days before Midnight New York City/Eastern Time ending 2003-11-12.
WAVE_AT = "2003-10-29T21:00:01-08:00"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", parents=[json_parent()], help="the whole service: mail throughput with the planner running",
        description=__doc__.splitlines()[0] + " Runs on a scratch database; no real data is touched.",
        epilog="Target on a 2-core machine: >= 100 messages/s, none lost or duplicated.")
    parser.add_argument("--messages", type=int, default=1000, metavar="N", help="questions to send (default 1000)")
    parser.add_argument("--connections", type=int, default=4, metavar="C", help="SMTP connections (default 4)")
    parser.add_argument("--rate", type=float, default=0.0, metavar="R", help="questions per second (0: as fast as taken)")
    parser.add_argument("--employees", type=int, default=2000, help="size of the scratch population (default 2000)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the last reply")
    parser.add_argument("--wave", action="store_true", help="a reminder wave is planned and sent during the run")
    parser.set_defaults(func=run)


def _spawn(db: Path, config: Path, listen: str, relay: str, log: Path) -> "subprocess.Popen[bytes]":
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-slack", "--no-mail-sink", "--db", str(db), "--config",
         str(config), "--smtp-listen", listen, "--smtp-relay", relay, "--log-file", str(log)], cwd=root, env=env)


def run(args: argparse.Namespace) -> int:
    if args.messages < 1 or args.connections < 1 or args.employees < 1 or args.rate < 0:
        raise CommandError("--messages, --connections and --employees must be at least 1, --rate not negative")
    clock = f'\n[clock]\nstart = "{WAVE_AT}"\n' if args.wave else ""
    with tempfile.TemporaryDirectory(prefix="sotp-bench-serve-") as tmp:
        result = asyncio.run(measure(args, Path(tmp), _spawn, "\n[reminders]\ninterval_seconds = 5\n" + clock))
    if args.json:
        emit_json(result)
    else:
        lat = result["latency_ms"]
        print(f"sotp serve (planner running{', reminder wave during the run' if args.wave else ''}), "
              f"{result['messages']} questions over {result['connections']} SMTP connections")
        print(f"  throughput: {result['messages_per_second']} messages/s inbound to reply "
              f"({result['answered']} answered in {result['seconds']} s); accepted {result['accepted_per_second']}/s")
        print(f"  latency: median {lat['median']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
        print(f"  lost {result['lost']}, duplicated {result['duplicated']}; "
              f"reminders and confirmations delivered meanwhile: {result['reminders_and_confirmations']}")
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
