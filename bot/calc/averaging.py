"""The Averaging Period day by day: which closes count, the running average, what is left.

Pure: the closes and the ProgramCalendar are handed in, and so is the moment the
caller asks at. A close counts once it is known (after 4:00 PM New York time on its
day). The running average is computed exactly as the final Average Closing Price
(average_closing_price: the mean rounded UP to $0.0001, Q6), so on the last
Available Trading Day it IS the Average Closing Price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal, Sequence

from bot.calc.calendar import NEW_YORK, NOT_A_TRADING_DAY, ProgramCalendar, _nasdaq_holidays
from bot.calc.pricing import average_closing_price

MARKET_CLOSE = time(16, 0)   # a day's closing price is known after 4:00 PM New York time

Phase = Literal["before", "during", "after"]


@dataclass(frozen=True, slots=True)
class CloseProblem:
    """Why one close cannot count toward the Average Closing Price."""

    day: date
    kind: str        # weekend | holiday | not_trading | disrupted | before_period | after_period | duplicate | missing
    reason: str
    first: int | None = None   # a duplicate: the index of the close it repeats


@dataclass(frozen=True, slots=True)
class AveragingState:
    """The Averaging Period as of one moment."""

    phase: Phase                         # before the first close is due, during, after the last one
    start: date
    end: date
    trading_days: tuple[date, ...]       # the Available Trading Days of the period
    closes: tuple[tuple[date, Decimal], ...]   # the known closes, in date order
    running_average: Decimal | None      # mean of the known closes, rounded up to $0.0001
    missing: tuple[date, ...]            # Available Trading Days already closed but without a close
    terminated: bool                     # five or fewer Available Trading Days (Q6)

    @property
    def counted(self) -> int:
        return len(self.closes)

    @property
    def remaining(self) -> int:
        return len(self.trading_days) - len(self.closes)

    @property
    def complete(self) -> bool:
        """Every Available Trading Day has its close: the running average is the final ACP."""
        return self.remaining == 0 and not self.missing

    @property
    def last_close(self) -> tuple[date, Decimal] | None:
        return self.closes[-1] if self.closes else None

    @property
    def next_day(self) -> date | None:
        """The next Available Trading Day without a close."""
        known = {d for d, _ in self.closes}
        return next((d for d in self.trading_days if d not in known), None)

    @property
    def final_average(self) -> Decimal | None:
        return self.running_average if self.complete else None


def closed_at(day: date) -> datetime:
    """The moment a day's closing price is known: 4:00 PM New York time that day."""
    return datetime.combine(day, MARKET_CLOSE, tzinfo=NEW_YORK)


def close_problem(day: date, calendar: ProgramCalendar, disrupted: Sequence[date] = ()) -> CloseProblem | None:
    """Why a close on `day` cannot be an Available Trading Day of this Averaging Period, or None if it can."""
    if day in calendar.trading_days:
        return None
    iso = day.isoformat()
    if day.weekday() >= 5:
        return CloseProblem(day, "weekend", f"{iso} is a {day.strftime('%A')}, not a trading day")
    holiday = _nasdaq_holidays(day.year).get(day)
    if holiday:
        return CloseProblem(day, "holiday", f"{iso} is a Nasdaq holiday ({holiday}), not a trading day")
    if day == NOT_A_TRADING_DAY:
        return CloseProblem(day, "not_trading", f"{iso} is not a trading day: the Notice's definition excepts "
                                                "November 28, 2003 (Section 1)")
    if day in disrupted:
        return CloseProblem(day, "disrupted", f"{iso} is a day of market disruption: not an Available "
                                              "Trading Day (Section 1)")
    if day < calendar.averaging_start:
        return CloseProblem(day, "before_period", f"{iso} is before the Averaging Period, which starts on "
                                                  f"{calendar.averaging_start.isoformat()}")
    return CloseProblem(day, "after_period", f"{iso} is after the Averaging Period, which ends on "
                                             f"{calendar.averaging_end.isoformat()}")


def check_closes(closes: Sequence[tuple[date, Decimal]], calendar: ProgramCalendar,
                 disrupted: Sequence[date] = ()) -> list[tuple[int, CloseProblem]]:
    """Every problem of a list of closes, with the index of the close it is about.

    Besides days that are not Available Trading Days and duplicates, a close that
    leaves an earlier Available Trading Day without one is a problem: the running
    average must be the mean of the period's first days, with none skipped.
    """
    problems: list[tuple[int, CloseProblem]] = []
    seen: dict[date, int] = {}
    good: list[tuple[int, date]] = []
    for i, (day, _) in enumerate(closes):
        if day in seen:
            problems.append((i, CloseProblem(day, "duplicate", f"{day.isoformat()} has a close already",
                                             seen[day])))
            continue
        seen[day] = i
        problem = close_problem(day, calendar, disrupted)
        if problem is not None:
            problems.append((i, problem))
        else:
            good.append((i, day))
    if good:
        last_index, last = max(good, key=lambda item: item[1])
        have = {d for _, d in good}
        gaps = [d for d in calendar.trading_days if d < last and d not in have]
        if gaps:
            shown = ", ".join(d.isoformat() for d in gaps)
            problems.append((last_index, CloseProblem(last, "missing", f"the closes before {last.isoformat()} "
                                                                       f"lack Available Trading Day(s) {shown}")))
    return sorted(problems, key=lambda item: item[0])


def averaging_state(closes: Sequence[tuple[date, Decimal]], calendar: ProgramCalendar,
                    now: datetime) -> AveragingState:
    """The running average and the days counted and remaining, as of `now` (an aware datetime).

    Closes of days that are not Available Trading Days are ignored (the import refuses
    them), and so are closes not yet known at `now`.
    """
    period = set(calendar.trading_days)
    known = sorted((d, c) for d, c in dict(closes).items() if d in period and closed_at(d) <= now)
    known_days = {d for d, _ in known}
    missing = tuple(d for d in calendar.trading_days if closed_at(d) <= now and d not in known_days)
    last_close = closed_at(calendar.trading_days[-1]) if calendar.trading_days else closed_at(calendar.averaging_end)
    start = datetime.combine(calendar.averaging_start, time(0), tzinfo=NEW_YORK)
    phase: Phase = "before" if now < start else ("after" if now >= last_close else "during")
    average = average_closing_price([c for _, c in known]) if known else None
    return AveragingState(phase, calendar.averaging_start, calendar.averaging_end, calendar.trading_days,
                          tuple(known), average, missing, calendar.terminated)
