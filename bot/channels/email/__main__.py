"""`python -m bot.channels.email`: the email gateway alone, without the other parts of `sotp serve`.

For a host that only handles mail, and for the tests and `sotp bench email`,
which must not have the reminder planner or the Slack app sending beside it.
Same options and settings as `sotp serve`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.commands._common import CommandError


def main(argv: list[str] | None = None) -> int:
    """`sotp serve` with the email components only: one start-up path, one set of options."""
    from bot.cli import main as sotp

    return sotp(["serve", "--no-slack", "--no-reminders", "--no-mail-sink",
                 *(sys.argv[1:] if argv is None else argv)])


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
