"""A person's figures: Eligible Options, Total Payment, the $23-$31 table and the payout schedule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Sequence

from bot.calc.calendar import ProgramCalendar
from bot.calc.eligibility import EmployeeEligibility
from bot.calc.pricing import PricingGrid
from bot.calc.records import Employee, Grant
from bot.calc.schedule import Installment, RateTable


@dataclass(frozen=True, slots=True)
class GrantPayment:
    grant: Grant
    options: int
    price_per_option: Decimal   # unrounded
    payment: Decimal            # options x price, half-up to cents


@dataclass(frozen=True, slots=True)
class Estimate:
    employee_id: str
    average_closing_price: Decimal
    illustrative: bool
    grants: tuple[GrantPayment, ...]
    total_payment: Decimal
    schedule: tuple[Installment, ...]
    table: tuple[tuple[Decimal, Decimal], ...]   # (price, Total Payment) for $23..$31
    notes: tuple[str, ...]
    eligibility: EmployeeEligibility


@dataclass(frozen=True, slots=True)
class CalcContext:
    grid: PricingGrid
    calendar: ProgramCalendar
    rates: RateTable
    rulings: Mapping[str, str]        # country name -> pending | favorable | unfavorable
    assumed_interest_rate: Decimal


def estimate(employee: Employee, grants: Sequence[Grant], acp: Decimal, ctx: CalcContext) -> Estimate:
    """Everything the Tool's Steps 1-3 show, at an assumed ACP.

    Raises InvalidPrice, ProgramTerminated, NotEligible, SeriesMissing, PriceOutOfRange.
    """
    raise NotImplementedError


def total_payment(grants: Sequence[Grant], acp: Decimal, grid: PricingGrid) -> Decimal:
    """Sum of the cents-rounded grant payments of the Eligible Options among grants (fast path)."""
    raise NotImplementedError
