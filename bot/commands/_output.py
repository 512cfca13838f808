"""What the figure commands share: their database and their error handling.

The formatting helpers live in bot.formatting (the conversation core uses them
too) and are re-exported here for the commands.
"""

from __future__ import annotations

import argparse
from typing import Callable

from bot.calc import CalcError
from bot.commands._common import CommandError, open_database
from bot.config import Settings
from bot.db import Database
from bot.figures import UnknownEmployee
from bot.formatting import count, dollars, notes, table

__all__ = ["calc_errors", "count", "database", "dollars", "notes", "table"]


def database(args: argparse.Namespace, settings: Settings, *, read_only: bool = False) -> Database:
    """The command's database: the one named, which must exist, else the demo default (built on first use).
    read_only=True for a command that only reads (see open_database)."""
    return open_database(args, settings, read_only=read_only)


def calc_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the calculation module's readable errors into CommandError (exit status 2)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (CalcError, UnknownEmployee) as exc:
            raise CommandError(str(exc)) from exc

    run.__doc__ = func.__doc__
    return run
