"""Helpers of the command-line tests: a real `sotp` process, bytes in and out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


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
