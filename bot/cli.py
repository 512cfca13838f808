"""`sotp`: the command line of the SOTP Assistant.

Each subcommand lives in its own module under bot.commands and exposes
register(subparsers); this module only assembles them and maps errors to exit
status 2 (with {"error": ...} on stdout when --json was asked for).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from bot import logs
from bot.commands._common import CommandError, report_error
from bot.config import ConfigError
from bot.db import DatabaseUnavailable

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
    "calendar",
    "acp",
    "interest",
    "demo_data",
    "index",
    "bench",
    "queue",
    "audit",
    "remind",
    "deadline",
    "results",
)


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
        description="SOTP Assistant: answers employees' questions about the 2003 Stock Option "
        "Transfer Program from the Notice, with personal figures from one calculation module.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _modules_for(argv):
        importlib.import_module(f"bot.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A person at a terminal: warnings in one line each, never a traceback.
    logs.configure(logging.WARNING, tracebacks=False)
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.func(args) or 0)
    except (CommandError, ConfigError, DatabaseUnavailable) as exc:
        return report_error(str(exc), as_json)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
