"""The Averaging Period tracker's world (shared by its tests; the fixtures are in conftest.py): the real 2003 calendar (start 2003-11-14, 15 Available
Trading Days to 2003-12-08), a synthetic closes file over it, and the conversation core's small
hand-computable world (tests/core/conftest.py: employees E1-E5, a two-Series Pricing Grid).
"""

from __future__ import annotations

import importlib.util
from datetime import date, datetime, time
from pathlib import Path

from bot import store  # noqa: F401
from bot.calc.calendar import NEW_YORK, program_calendar

_core = importlib.util.spec_from_file_location("tracker_core_world", Path(__file__).parents[1] / "core" / "conftest.py")
core_world = importlib.util.module_from_spec(_core)
_core.loader.exec_module(core_world)   # type: ignore[union-attr]

START = date(2003, 11, 14)
CALENDAR = program_calendar(date(2003, 11, 12), START)
DAYS = CALENDAR.trading_days
CLOSES = ("25.01", "25.02", "25.00", "24.99", "25.10", "25.33", "25.47", "25.20", "25.05", "25.64", "25.71",
          "25.68", "26.02", "25.90", "26.11")
# The mean of the first n closes rounded up to $0.0001, computed by hand (exact fractions).
RUNNING = ("25.0100", "25.0150", "25.0100", "25.0050", "25.0240", "25.0750", "25.1315", "25.1400", "25.1300",
           "25.1810", "25.2291", "25.2667", "25.3247", "25.3658", "25.4154")
CONFIG = """[program]
averaging_start = 2003-11-14
{extra}
"""


def after_close(day: date) -> datetime:
    """6:00 PM New York time: that day's close is known."""
    return datetime.combine(day, time(18, 0), tzinfo=NEW_YORK)


def closes_csv(n: int = 15, rows: list[str] | None = None) -> str:
    lines = rows if rows is not None else [f"{d.isoformat()},{c}" for d, c in zip(DAYS[:n], CLOSES[:n])]
    return "date,close\n" + "\n".join(lines) + "\n"


