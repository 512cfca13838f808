"""Helpers of the command-line tests: a real `sotp` process, bytes in and out."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PROMPT = b"you>"   # the chat's prompt; the space after it is a cursor move, not a character, on some terminals


def process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOTP_CONFIG", "SOTP_DB", "NO_COLOR", "http_proxy", "https_proxy", "HTTP_PROXY",
                        "HTTPS_PROXY")}
    env.update(extra)
    return env


def run_process(*argv: str | bytes, input: bytes | None = None, cwd: Path | None = None,
                env: dict[str, str] | None = None, shell: bool = False,
                timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """A real `sotp` process (python -m bot), bytes in and out."""
    command: Any = argv[0] if shell else [sys.executable, "-m", "bot", *argv]
    return subprocess.run(command, input=input, capture_output=True, cwd=cwd or REPO, env=env or process_env(),
                          timeout=timeout, shell=shell, executable="/bin/bash" if shell else None)


class Terminal:
    """sotp chat (or another command) on a pseudo-terminal: type keys, wait for text, read the screen."""

    def __init__(self, db: Path, *argv: str, command: str = "chat", **env: str) -> None:
        self.fd, child = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "bot", command, "--db", str(db), *argv], stdin=child,
                                        stdout=child, stderr=child, cwd=REPO,
                                        env=process_env(TERM="xterm-256color", **env))
        os.close(child)
        self.screen = b""

    def _read(self, seconds: float) -> bool:
        """Read what the program shows within seconds, answering its cursor position requests; False at the end."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        if b"\x1b[6n" in chunk:
            os.write(self.fd, b"\x1b[1;1R")
        self.screen += chunk
        return True

    def wait_for(self, text: bytes, timeout: float = 60) -> bytes:
        """Read until text appears after what was read before."""
        start = len(self.screen)
        deadline = time.monotonic() + timeout
        while text not in self.screen[start:] and time.monotonic() < deadline and self._read(0.5):
            pass
        assert text in self.screen[start:], self.screen[start:][-2000:]
        return self.screen[start:]

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> int:
        """Wait for the program to end, reading what it still shows (a full terminal would block it)."""
        deadline = time.monotonic() + 30
        try:
            while self.process.poll() is None and time.monotonic() < deadline and self._read(0.2):
                pass
            return self.process.wait(timeout=5)
        finally:
            self.process.kill()
            os.close(self.fd)
