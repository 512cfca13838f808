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
    """$1,234.56 (always cents); a negative amount is -$3.00, never $-3.00."""
    value = cents(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def count(n: int) -> str:
    return f"{n:,}"


def plural(n: int, noun: str) -> str:
    """'1 grant', '2,000 grants' (the nouns the assistant counts all take an s)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


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


# Characters that can rewrite what a terminal shows: C0/C1 controls (ESC starts the escape
# sequences), DEL, and the bidirectional overrides that reorder a line on screen.
_INVISIBLE = {c for c in range(0x20) if c not in (0x09, 0x0A)} | {0x7F} | set(range(0x80, 0xA0)) | set(
    range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_VISIBLE = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _INVISIBLE}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """What someone wrote, with control and escape sequences shown as \\x1b etc. instead of obeyed.

    Staff read employees' messages in a terminal (`sotp queue show`) and in exports;
    a message must not be able to move the cursor, recolour or forge lines there.
    Newlines and tabs are kept.
    """
    return text.translate(_VISIBLE)


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix with an apostrophe)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell
