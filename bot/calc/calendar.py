"""The program calendar: Election Deadline, Averaging Period, payment and vesting dates.

Dates are configuration handed in by the caller (Notice Q6, Q21, s1, s2, s7).
Trading days are Nasdaq sessions from the `holidays` library's XNAS calendar,
minus 2003-11-28 which the Notice's "trading day" definition excludes, minus
configured days of market disruption. Business days are U.S. bank business days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence


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
        raise NotImplementedError


def add_months(d: date, months: int) -> date:
    """d plus a number of months, the day clamped to the end of the month (2004-01-31 + 1 = 2004-02-29)."""
    raise NotImplementedError


def latest_averaging_start(deadline: date) -> date:
    """First business day following the second calendar day after the deadline date (Q6)."""
    raise NotImplementedError


def program_calendar(deadline: date, averaging_start: date | None = None,
                     disrupted: Sequence[date] = ()) -> ProgramCalendar:
    """The whole calendar for a deadline date, an optional announced start and disrupted days.

    Raises CalendarError for a deadline outside 2003-11-12..2003-11-28 or a start
    outside (deadline date, latest allowed start].
    """
    raise NotImplementedError
