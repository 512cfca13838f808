"""Log lines an operator can read: one line per event, time, level, component, then ids and text.

Everything that runs as a service logs through `logging`; this sets it up once.
Tokens, secrets and personal figures are never put in a message at INFO (the
code that logs is careful), and `redact()` is the last line of defence for
values that look like Slack tokens.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import IO, Any

# The log holds employee ids, email addresses and ticket ids: readable by its owner only, as the
# database, the exports and the kept mail are.
LOG_FILE_MODE = 0o600

_TOKEN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", text)


class OneLine(logging.Formatter):
    """`2003-11-10T17:00:00Z INFO sotp.core message` on one line; tracebacks only if asked for."""

    converter = staticmethod(time.gmtime)

    def __init__(self, *, tracebacks: bool = True) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        if not self.tracebacks:
            record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        head, _, rest = line.partition("\n")
        head = redact(head.replace("\r", " "))
        return head if not rest else head + "\n" + redact(rest)


def open_private(path: str | Path) -> IO[bytes]:
    """The log file opened for appending, created (or tightened) to LOG_FILE_MODE whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
    try:
        os.fchmod(fd, LOG_FILE_MODE)   # a file made before keeps its mode through O_CREAT
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "ab")


class PrivateFileHandler(logging.FileHandler):
    """A FileHandler whose file is readable by its owner only."""

    def _open(self) -> Any:
        open_private(self.baseFilename).close()   # created or tightened first; then opened as usual
        return super()._open()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a redirection or a test may replace it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(level: int | str = logging.INFO, *, log_file: str | Path | None = None,
              tracebacks: bool = True) -> None:
    """Send the assistant's logs to stderr, or to log_file (its folder is created)."""
    root = logging.getLogger()
    cli = logging.getLogger("sotp")   # the command line's own stderr handler: the service has this one
    for old in list(cli.handlers):
        if getattr(old, "_sotp_cli", False):
            cli.removeHandler(old)
    for old in list(root.handlers):
        if getattr(old, "sotp", False):      # ours from an earlier call; leave others' alone
            root.removeHandler(old)
    handler: logging.Handler
    if log_file is not None:
        path = Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = PrivateFileHandler(path, encoding="utf-8")
    else:
        handler = StderrHandler()
    handler.setFormatter(OneLine(tracebacks=tracebacks))
    setattr(handler, "sotp", True)
    root.addHandler(handler)
    root.setLevel(level)
