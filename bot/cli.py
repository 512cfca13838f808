"""`sotp`: the command line of the SOTP Assistant.

Each subcommand lives in its own module under bot.commands; this module
assembles them and is the one error boundary: anything a person can act on
(a bad argument, a missing, busy, read-only or corrupt database) is one line
and exit status 2, with {"error": ...} on stdout when --json was asked for. No
traceback reaches a user: a reader that stops early (`| head`) ends the command
quietly, and a bug is reported in one line (SOTP_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
from typing import Sequence

from bot.commands._common import CommandError, report_error
from bot.logs import StderrHandler
from bot.config import ConfigError

# Order is the order of `sotp --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "serve",
    "send_test_mail",
    "chat",
    "ask",
    "imports",
    "eligibility",
    "estimate",
    "whatif",
    "calendar",
    "acp",
    "interest",
    "demo_data",
    "index",
    "bench",
    "queue",
    "outbox",
    "audit",
    "remind",
    "deadline",
    "results",
    "track",
)
DEBUG_ENV = "SOTP_DEBUG"
BROKEN_PIPE_STATUS = 141   # 128 + SIGPIPE: what any Unix tool cut off by `head` ends with

log = logging.getLogger("sotp.cli")


# Commands whose module is not named after them.
MODULE_OF: dict[str, str] = {"import": "imports", "demo-data": "demo_data", "health": "serve"}


def _modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """Only the named command's module when argv starts with one: a one-shot `sotp ask` does not
    import the importers, the demo generator or the benchmarks. Otherwise (help, a typo) all."""
    if argv and not argv[0].startswith("-"):
        module = MODULE_OF.get(argv[0], argv[0].replace("-", "_"))
        if module in COMMAND_MODULES:
            return (module,)
    return COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sotp",
        description="SOTP Assistant: answers questions about the 2003 Stock Option Transfer Program from "
                    "the Notice to Eligible Employees, shows an employee their own estimated figures, and "
                    "lets Microsoft Stock Services work the compchng queue. `sotp COMMAND --help` explains "
                    "each command.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _modules_for(argv):
        importlib.import_module(f"bot.commands.{name}").register(subparsers)
    return parser


def _database_path(args: argparse.Namespace) -> str:
    from bot.commands._common import settings_from_args

    try:
        return str(settings_from_args(args).db_path)
    except CommandError:
        return "the database"


def _quiet_stdout() -> None:
    """The reader of stdout went away: send what is still buffered nowhere instead of failing on it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass   # stdout is not a file descriptor (tests capture it): nothing to silence


def _safe_streams() -> None:
    """Text that cannot be encoded (a lone surrogate from an argument) is shown escaped, never an error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass


class _OneLine(logging.Formatter):
    """Log records as one line on stderr; the traceback only with SOTP_DEBUG=1."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not os.environ.get(DEBUG_ENV):
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)


class _Stderr(StderrHandler):
    """The command line's own handler (the service replaces it with its own log)."""

    _sotp_cli = True


def _configure_logging() -> None:
    """Warnings and errors of the assistant's components, one line each, on stderr."""
    root = logging.getLogger("sotp")
    if any(getattr(h, "_sotp_cli", False) for h in root.handlers):
        return
    handler = _Stderr()
    handler.setFormatter(_OneLine("sotp: %(levelname)s: %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG if os.environ.get(DEBUG_ENV) else logging.WARNING)
    root.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    _safe_streams()
    _configure_logging()
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE_STATUS
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as exc:  # the error boundary: one line, never a traceback
        from bot.db import DatabaseUnavailable, translate

        if isinstance(exc, (CommandError, ConfigError, DatabaseUnavailable)):
            message = str(exc)
        elif isinstance(exc, sqlite3.Error):
            better = translate(exc, _database_path(args))
            message = str(better) if better is not None else f"database error: {exc}; nothing was changed"
        else:
            if os.environ.get(DEBUG_ENV):
                raise
            log.debug("internal error", exc_info=True)
            message = (f"internal error ({type(exc).__name__}: {exc}); please report it. "
                       f"Run again with {DEBUG_ENV}=1 to see the details")
            try:
                report_error(message, as_json)
            except BrokenPipeError:
                _quiet_stdout()
            return 1
        try:
            return report_error(message, as_json)
        except BrokenPipeError:
            _quiet_stdout()
            return 2


if __name__ == "__main__":
    raise SystemExit(main())
