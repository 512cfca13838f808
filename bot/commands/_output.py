"""Text output of the figure commands: dollars with separators, aligned tables, wrapped notes.

JSON output never goes through here: its money strings are money_str's "12345.67".
"""

from __future__ import annotations

import argparse
import textwrap
from decimal import Decimal
from typing import Callable, Sequence

import sqlite_utils

from bot.calc import CalcError
from bot.calc.money import cents
from bot.commands._common import CommandError
from bot.config import Settings
from bot.figures import UnknownEmployee, open_database


def dollars(amount: Decimal) -> str:
    """$1,234.56 (always cents)."""
    value = cents(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def count(n: int) -> str:
    return f"{n:,}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the columns listed in right are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def notes(items: Sequence[str], width: int = 96) -> str:
    return "\n".join(textwrap.fill(n, width=width, initial_indent="- ", subsequent_indent="  ") for n in items)


def database(args: argparse.Namespace, settings: Settings) -> sqlite_utils.Database:
    """The command's database: --db as given, else the default (built as the demo on first use)."""
    return open_database(settings, explicit=getattr(args, "db", None) is not None)


def calc_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the calculation module's readable errors into CommandError (exit status 2)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (CalcError, UnknownEmployee) as exc:
            raise CommandError(str(exc)) from exc

    run.__doc__ = func.__doc__
    return run
