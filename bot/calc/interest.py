"""The Contingent Interest Payment (Notice Q11, s3): monthly compounding, actual/365."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping


@dataclass(frozen=True, slots=True)
class InterestResult:
    interest: Decimal        # the Contingent Interest Payment, half-up to cents
    final_balance: Decimal   # principal + interest
    periods: int


class MonthlyRates:
    """3-month Treasury constant-maturity yields by (year, month), as fractions (0.0095)."""

    def __init__(self, rates: Mapping[tuple[int, int], Decimal]) -> None:
        raise NotImplementedError

    def rate_for(self, d: date) -> Decimal:
        raise NotImplementedError


def contingent_interest(principal: Decimal, start: date, end: date,
                        rate: Decimal | MonthlyRates) -> InterestResult:
    """Interest on an unpaid Contingent Payment from JPMorgan's payment date to its vesting date."""
    raise NotImplementedError
