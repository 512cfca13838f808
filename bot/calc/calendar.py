"""The program calendar: Election Deadline, Averaging Period, payment and vesting dates.

Dates are configuration handed in by the caller (Notice Q6, Q21, s1, s2, s7).
Trading days are Nasdaq sessions from the `holidays` library's XNAS calendar,
minus 2003-11-28 which the Notice's "trading day" definition excludes (it was a
half-day Nasdaq session, so exchange calendars list it), minus configured days of
market disruption. Business days ("commercial banks ... open for general business
in U.S. Dollars in New York City", s1) are weekdays that are not U.S. federal
holidays, from the same library.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence
from zoneinfo import ZoneInfo

from bot.calc.errors import CalendarError

if TYPE_CHECKING:  # imported when a calendar is first computed: a FAQ answer never needs it
    import holidays

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DEADLINE = date(2003, 11, 12)          # the Notice's Election Deadline
LAST_DEADLINE = date(2003, 11, 28)           # s7: never extended beyond November 28, 2003
NOT_A_TRADING_DAY = date(2003, 11, 28)       # s1 "trading day": "any day (except November 28, 2003) ..."
AVERAGING_CUTOFF = date(2003, 12, 15)        # Q6: ends on the earlier of Monday, December 15, 2003 ...
AVERAGING_DAYS = 15                          # ... or the 15th consecutive Available Trading Day
TERMINATION_MAX_DAYS = 5                     # Q6: five or fewer Available Trading Days terminate the Program
PAYMENT_BUSINESS_DAYS = 3                    # Q11: "the third business day after the end of the Averaging Period"
EXTENSION_FROM = date(2003, 12, 5)           # s1: expirations extended from (and including) December 5, 2003


@dataclass(frozen=True, slots=True)
class ProgramCalendar:
    election_deadline: datetime        # aware, America/New_York: 00:00 of the day after the deadline date
    averaging_start: date
    averaging_end: date                # E, the last day of the Averaging Period
    available_trading_days: int
    trading_days: tuple[date, ...]     # the Available Trading Days of the Averaging Period
    terminated: bool                   # five or fewer Available Trading Days
    jpm_payment_date: date             # third business day after E
    vesting_dates: tuple[date, date]   # E + 2 years, E + 3 years
    expiry_extension_days: int         # calendar days from 2003-12-05 (incl.) to E (excl.)
    start_is_latest_allowed: bool

    @property
    def deadline_date(self) -> date:
        """The date the Election Deadline ends (2003-11-12 by default)."""
        return (self.election_deadline - timedelta(days=1)).date()


def add_months(d: date, months: int) -> date:
    """d plus a number of months, the day clamped to the end of the month (2004-01-31 + 1 = 2004-02-29)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


@lru_cache(maxsize=None)
def _nasdaq_holidays(year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.financial_holidays("XNAS", years=year)


@lru_cache(maxsize=None)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("US", years=year)


def is_trading_day(d: date) -> bool:
    """A Nasdaq regular session, except 2003-11-28 (Notice s1)."""
    return d.weekday() < 5 and d not in _nasdaq_holidays(d.year) and d != NOT_A_TRADING_DAY


def is_business_day(d: date) -> bool:
    """A New York bank business day (Notice s1 "business day")."""
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def next_business_day(d: date) -> date:
    """The first business day strictly after d."""
    d += timedelta(days=1)
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def business_days_after(d: date, n: int) -> date:
    for _ in range(n):
        d = next_business_day(d)
    return d


def expiry_extension_days(averaging_end: date) -> int:
    """Calendar days from 2003-12-05 (including) to E (excluding), s1.

    E is never before 2003-12-05 on a calendar this module accepts (the earliest
    start, 2003-11-13, has its 15th trading day on 2003-12-05), so this is >= 0;
    an empty span counts 0 rather than shortening an expiration.
    """
    return max(0, (averaging_end - EXTENSION_FROM).days)


def election_deadline_at(deadline: date) -> datetime:
    """Midnight New York time at the END of the deadline date (Q21): 00:00 ET of the next day."""
    return datetime.combine(deadline + timedelta(days=1), time(0), tzinfo=NEW_YORK)


def _check_deadline(deadline: date) -> None:
    if deadline > LAST_DEADLINE:
        raise CalendarError(f"Election Deadline {deadline.isoformat()} is after 2003-11-28: "
                            "the Election Period may not be extended beyond November 28, 2003 (Section 7)")
    if deadline < FIRST_DEADLINE:
        raise CalendarError(f"Election Deadline {deadline.isoformat()} is before 2003-11-12, "
                            "the deadline the Notice sets (it may only be extended)")


def latest_averaging_start(deadline: date) -> date:
    """First business day following the second calendar day after the deadline date (Q6).

    2003-11-12 -> 2003-11-14 (second calendar day) -> 2003-11-17 (Monday).
    """
    _check_deadline(deadline)
    return next_business_day(deadline + timedelta(days=2))


def program_calendar(deadline: date, averaging_start: date | None = None,
                     disrupted: Sequence[date] = ()) -> ProgramCalendar:
    """The whole calendar for a deadline date, an optional announced start and disrupted days.

    Raises CalendarError for a deadline outside 2003-11-12..2003-11-28 or a start
    outside (deadline date, latest allowed start]. The Notice only fixes the
    latest start ("no later than"); an earlier one is allowed, as in the real
    program which started 2003-11-14, but the Averaging Period follows the
    Election Deadline, so it cannot start on or before the deadline date.
    """
    latest = latest_averaging_start(deadline)
    start = latest if averaging_start is None else averaging_start
    if start > latest:
        raise CalendarError(f"Averaging Period start {start.isoformat()} is after {latest.isoformat()}: "
                            "it begins no later than the first business day following the second "
                            "calendar day after the Election Deadline (Q6)")
    if start <= deadline:
        raise CalendarError(f"Averaging Period start {start.isoformat()} is not after the Election "
                            f"Deadline ({deadline.isoformat()}): the earliest start is "
                            f"{(deadline + timedelta(days=1)).isoformat()}")

    skip = frozenset(disrupted)
    available: list[date] = []
    day = start
    # Disrupted days are skipped; the count goes on, it does not restart (Q6 "15th ... Available Trading Day").
    while day <= AVERAGING_CUTOFF and len(available) < AVERAGING_DAYS:
        if is_trading_day(day) and day not in skip:
            available.append(day)
        day += timedelta(days=1)
    end = available[-1] if len(available) == AVERAGING_DAYS else AVERAGING_CUTOFF

    # Where the documents disagree, the Notice's Terms and Conditions win: the Tool's
    # pages show Contingent "Employed through" dates of 11/12/2005 and 11/12/2006, but
    # Q11 and s3 vest them "two years" and "three years from the last day of the
    # Averaging Period": E + 2 years and E + 3 years.
    vesting = (add_months(end, 24), add_months(end, 36))
    return ProgramCalendar(
        election_deadline=election_deadline_at(deadline),
        averaging_start=start,
        averaging_end=end,
        available_trading_days=len(available),
        trading_days=tuple(available),
        terminated=len(available) <= TERMINATION_MAX_DAYS,
        jpm_payment_date=business_days_after(end, PAYMENT_BUSINESS_DAYS),
        vesting_dates=vesting,
        expiry_extension_days=expiry_extension_days(end),
        start_is_latest_allowed=start == latest,
    )
