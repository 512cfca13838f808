"""The Election Deadline as the Notice and the Tool state it, for any configured date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
PACIFIC = ZoneInfo("America/Los_Angeles")


def deadline_instant(deadline: date) -> datetime:
    """Midnight New York City/Eastern Time at the end of the deadline date."""
    return datetime.combine(deadline + timedelta(days=1), time(0, 0), tzinfo=EASTERN)


def deadline_sentence(deadline: date) -> str:
    """'Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003'."""
    pacific = deadline_instant(deadline).astimezone(PACIFIC)
    clock = pacific.strftime("%I:%M %p").lstrip("0")
    return (f"Midnight New York City/Eastern Time ({clock} U.S. Pacific Time) on "
            f"{deadline.strftime('%A, %B')} {deadline.day}, {deadline.year}")
