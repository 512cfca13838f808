"""Errors of the shared calculation module.

Every error is a ValueError whose str() is a sentence a person can read: the
channels show it as it is (the CLI prints it as {"error": ...}). Errors that
carry data (the reasons, the Series, the price) expose it as attributes so a
channel can word its own answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from bot.calc.records import SeriesKey, format_price


class CalcError(ValueError):
    """Base class: a figure cannot be given, and the message says why."""


class InvalidPrice(CalcError):
    """An assumed Average Closing Price that is not a number, or not in 0 < ACP <= $40.00."""

    def __init__(self, message: str, text: object = None) -> None:
        super().__init__(message)
        self.text = text


class NotEligible(CalcError):
    """An estimate was asked for someone who is not an Eligible Employee; carries every reason."""

    def __init__(self, employee_id: str, reasons: Sequence[str]) -> None:
        self.employee_id = employee_id
        self.reasons: tuple[str, ...] = tuple(reasons)
        joined = "; ".join(self.reasons) or "not an Eligible Employee"
        super().__init__(f"employee {employee_id} is not an Eligible Employee: {joined}")


class SeriesMissing(CalcError):
    """The Pricing Grid has no Series for a grant: never a made-up number."""

    def __init__(self, series: SeriesKey) -> None:
        self.series = series
        super().__init__(f"the Pricing Grid has no Series for {series.describe()}")


class PriceOutOfRange(CalcError):
    """The ACP lies outside the grid points of a Series: no extrapolation."""

    def __init__(self, series: SeriesKey, acp: Decimal, low: Decimal, high: Decimal) -> None:
        self.series = series
        self.acp = acp
        self.low = low
        self.high = high
        span = f"${format_price(low)}" if low == high else f"${format_price(low)} to ${format_price(high)}"
        super().__init__(
            f"the Pricing Grid has no price at an Average Closing Price of ${format_price(acp)} "
            f"for the Series {series.describe()}: its points cover {span}"
        )


class ProgramTerminated(CalcError):
    """Five or fewer Available Trading Days: the Program terminates and nothing is paid (Q6, s2)."""

    def __init__(self, available_trading_days: int) -> None:
        self.available_trading_days = available_trading_days
        super().__init__(
            f"the Averaging Period has only {available_trading_days} Available Trading "
            f"Day{'s' if available_trading_days != 1 else ''}: with five or fewer the Program is "
            "terminated, Eligible Options are kept on their current terms and no payment is made"
        )


class CalendarError(CalcError):
    """Program dates the Notice does not allow (deadline past 2003-11-28, a start too late or too early)."""
