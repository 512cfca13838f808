"""`python -m bot.channels.email`: the email gateway alone, without the other parts of `sotp serve`.

For a host that only handles mail, and for the tests and `sotp bench email`,
which must not have the reminder planner or the Slack app sending beside it.
Same options and settings as `sotp serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.commands._common import CommandError, common_parent, report_error, settings_from_args


def main(argv: list[str] | None = None) -> int:
    from bot import logs
    from bot.channels.email import add_arguments, components
    from bot.config import ConfigError
    from bot.db import Connections, DatabaseUnavailable
    from bot.serve import ServeContext, Service
    from handlers.core import Conversation

    parser = argparse.ArgumentParser(prog="python -m bot.channels.email", parents=[common_parent()],
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--log-file", metavar="FILE", help="write the log there instead of to stderr")
    parser.add_argument("--log-level", metavar="LEVEL", default=None, help="DEBUG, INFO (default), WARNING or ERROR")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        section = settings.section("serve")
        logs.configure((args.log_level or str(section.get("log_level", "INFO"))).upper(), log_file=args.log_file)
        state_dir = Path(str(section.get("state_dir", "var")))
        connections = Connections(settings.db_path)
        conversation = Conversation(connections, settings)
        context = ServeContext(settings, connections, conversation, lambda: datetime.now(timezone.utc), args,
                               state_dir)
        parts = components(context)
    except (CommandError, ConfigError, DatabaseUnavailable) as exc:
        return report_error(str(exc), False)

    async def run() -> None:
        service = Service(parts, state_dir=state_dir)
        service.install_signals()
        await service.run()

    try:
        asyncio.run(run())
    finally:
        connections.close()
    return 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a child to listen on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(db: Path, config: Path, listen: str, relay: str, log: Path) -> subprocess.Popen[bytes]:
    """Start the gateway alone as a child process (talking to 127.0.0.1: proxies are left out)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    root = Path(__file__).resolve().parents[3]
    return subprocess.Popen(
        [sys.executable, "-m", "bot.channels.email", "--db", str(db), "--config", str(config),
         "--smtp-listen", listen, "--smtp-relay", relay, "--log-file", str(log)], cwd=root, env=env)


async def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the child's SMTP listener takes connections; CommandError if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"the gateway exited at start-up with status {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise CommandError(f"the gateway did not start listening within {timeout:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
