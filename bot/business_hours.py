"""Business hours of Microsoft Stock Services, for deciding when a ticket is overdue.

Stock Services answered 6:00 AM - 6:00 PM Pacific Time (the Notice's Resources
page), Monday to Friday, and not on U.S. holidays. A ticket that arrives on
Friday evening is not a day late on Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Settings

if TYPE_CHECKING:  # imported when a holiday is first looked up: answering a question never needs it
    import holidays

PACIFIC = ZoneInfo("America/Los_Angeles")
MONDAY_TO_FRIDAY: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0


@dataclass(frozen=True)
class BusinessHours:
    tz: ZoneInfo = PACIFIC
    day_start: time = time(6, 0)
    day_end: time = time(18, 0)
    weekdays: frozenset[int] = field(default=MONDAY_TO_FRIDAY)
    holiday_country: str = "US"  # a country code of the `holidays` library

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError(f"business day must end after it starts: {self.day_start} - {self.day_end}")

    @classmethod
    def from_settings(cls, settings: Settings) -> "BusinessHours":
        return cls(day_start=settings.business_day_start, day_end=settings.business_day_end)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        import holidays

        return holidays.country_holidays(self.holiday_country)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self._holidays

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Business hours elapsed from start to end (0.0 when end is not after start).

        Each local day's window is built from wall-clock times in self.tz, so a
        daylight-saving change is zoneinfo's business, not ours.
        """
        for name, value in (("start", start), ("end", end)):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got {value!r}")
        # In UTC, so that subtraction is real elapsed time whatever zone the caller used.
        start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        if end <= start:
            return 0.0
        seconds = 0.0
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if self.is_business_day(day):
                opens = datetime.combine(day, self.day_start, tzinfo=self.tz).astimezone(timezone.utc)
                closes = datetime.combine(day, self.day_end, tzinfo=self.tz).astimezone(timezone.utc)
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    seconds += overlap.total_seconds()
            day += timedelta(days=1)
        return seconds / 3600
