"""How figures and dates read to a person, in every channel and in the CLI's text output.

JSON output never goes through here: its money strings are money_str's "12345.67".
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from typing import Sequence
from zoneinfo import ZoneInfo

from bot.calc.calendar import election_deadline_at
from bot.calc.money import cents

PACIFIC = ZoneInfo("America/Los_Angeles")


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


def long_date(d: date) -> str:
    """'December 9, 2005'."""
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def deadline_sentence(deadline: date) -> str:
    """'Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003'."""
    pacific = election_deadline_at(deadline).astimezone(PACIFIC)
    clock = pacific.strftime("%I:%M %p").lstrip("0")
    return (f"Midnight New York City/Eastern Time ({clock} U.S. Pacific Time) on "
            f"{deadline.strftime('%A')}, {long_date(deadline)}")
