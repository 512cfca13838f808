"""The Contingent Interest Payment (Notice Q11, s3): monthly compounding, actual/365.

Convention (the Notice leaves the arithmetic open; this is the issue's reading):
- period k runs from start + (k-1) months to start + k months, every boundary
  computed from the start date with the day clamped to the month's end (a start
  on the 31st gives 01-31, 02-29, 03-31, ...); the last period ends at the vesting
  date;
- each period earns balance x annual rate x days / 365 ("actual 365 day basis":
  365 also in leap years), added to the balance at the period's end ("compounded
  monthly");
- a period uses the rate of the month in which it starts;
- nothing is rounded until the end: the Contingent Interest Payment is the final
  balance minus the Contingent Payment, half-up to cents.

"Nothing is rounded" is CALC_CONTEXT's 50 digits at each step. With one rate for every
period the result is taken from the exact rational balance instead, in integers, when
that is provably the same cent (see _exact_interest); otherwise the steps are run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from decimal import Decimal
from typing import Mapping

from bot.calc.calendar import add_months
from bot.calc.errors import CalcError
from bot.calc.money import calc_context, cents
from bot.calc.records import positional_constructor

DAYS_IN_YEAR = Decimal(365)

# Each period's four operations (x rate, x days, / 365, +) round to 50 significant digits,
# half-up: a relative error of at most 5E-50 each, so the iterated final balance is within
# 4 x periods x 5E-50 (< 1E-45 up to _EXACT_PERIODS periods) of the exact one, relatively.
# The exact interest decides the cent when it is farther than 1E-44 of the final balance
# from a half cent, ten times that bound or more: then the iterated one rounds to the same cent.
_EXACT_PERIODS = 1000
_SLACK = 10 ** 44
_EXACT_CENTS_LIMIT = 10 ** 40   # far below CALC_CONTEXT's 50 digits, where quantize would fail


@dataclass(frozen=True, slots=True)
class InterestResult:
    interest: Decimal        # the Contingent Interest Payment, half-up to cents
    final_balance: Decimal   # principal + interest
    periods: int


_make_interest_result = positional_constructor(InterestResult)


class MonthlyRates:
    """3-month Treasury constant-maturity yields by (year, month), as fractions (0.0095)."""

    def __init__(self, rates: Mapping[tuple[int, int], Decimal]) -> None:
        for (year, month), value in rates.items():
            if not 1 <= month <= 12:
                raise CalcError(f"month {year}-{month} does not exist")
            if not value.is_finite() or value < 0:
                raise CalcError(f"rate {value} for {year}-{month:02d} is not a yield")
        self._rates = dict(rates)

    def rate_for(self, d: date) -> Decimal:
        """The rate of the month d falls in; a month without a rate is an error, never a guess."""
        try:
            return self._rates[(d.year, d.month)]
        except KeyError:
            raise CalcError(f"no 3-month Treasury rate for {d.year}-{d.month:02d}") from None


@lru_cache(maxsize=256)
def interest_periods(start: date, end: date) -> tuple[tuple[date, int], ...]:
    """(first day, length in days) of each period; the same for every payment of a calendar, so cached."""
    periods: list[tuple[date, int]] = []
    period_start = start
    while period_start < end:
        period_end = min(add_months(start, len(periods) + 1), end)
        periods.append((period_start, (period_end - period_start).days))
        period_start = period_end
    return tuple(periods)


@lru_cache(maxsize=256)
def _growth(rate: Decimal, periods: tuple[tuple[date, int], ...]) -> tuple[int, int]:
    """prod(1 + rate x days / 365) - 1 over the periods, exactly: (numerator, denominator)."""
    factor = Fraction(1)
    annual = Fraction(rate)
    for _, days in periods:
        factor += factor * annual * days / 365
    growth = factor - 1
    return growth.numerator, growth.denominator


def _exact_interest(principal: Decimal, rate: Decimal, periods: tuple[tuple[date, int], ...]) -> Decimal | None:
    """The Contingent Interest Payment from the exact balance, or None when it might not be the
    iterated one's cent (too near a half cent, or too large): the caller then iterates."""
    num, den = _growth(rate, periods)
    n, d = principal.as_integer_ratio()
    # Interest in cents y = 100 x principal x growth; half-up is floor(y + 1/2) = q, with r / span
    # the fraction of a cent y + 1/2 is past q.
    span = 2 * d * den
    q, r = divmod(200 * n * num + d * den, span)
    balance_cents = q + 100 * n // d + 2   # more than the final balance in cents
    if min(r, span - r) * _SLACK <= balance_cents * span or q >= _EXACT_CENTS_LIMIT:
        return None
    with calc_context():
        return Decimal(q).scaleb(-2)


def contingent_interest(principal: Decimal, start: date, end: date,
                        rate: Decimal | MonthlyRates) -> InterestResult:
    """Interest on an unpaid Contingent Payment from JPMorgan's payment date to its vesting date."""
    if end < start:
        raise CalcError(f"the interest period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if principal < 0:
        raise CalcError(f"a Contingent Payment of {principal} is negative")
    if isinstance(rate, Decimal) and (not rate.is_finite() or rate < 0):
        raise CalcError(f"rate {rate} is not a yield")
    periods = interest_periods(start, end)
    interest = None
    if isinstance(rate, Decimal) and principal.is_finite() and len(periods) <= _EXACT_PERIODS:
        interest = _exact_interest(principal, rate, periods)
    if interest is None:
        interest = iterated_interest(principal, periods, rate)
    return _make_interest_result(interest, principal + interest, len(periods))


def iterated_interest(principal: Decimal, periods: tuple[tuple[date, int], ...],
                      rate: Decimal | MonthlyRates) -> Decimal:
    """The convention step by step: each period's interest added to the balance, in CALC_CONTEXT."""
    balance = principal
    with calc_context():
        for period_start, days in periods:
            annual = rate if isinstance(rate, Decimal) else rate.rate_for(period_start)
            balance += balance * annual * days / DAYS_IN_YEAR
        return cents(balance - principal)
