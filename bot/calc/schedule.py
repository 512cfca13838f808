"""The payout schedule of a Total Payment (Notice Q1, Q11, s3; Tool Step 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Mapping

from bot.calc.calendar import ProgramCalendar
from bot.countries import Country

InstallmentKind = Literal["initial", "first_contingent", "second_contingent"]


@dataclass(frozen=True, slots=True)
class Installment:
    kind: InstallmentKind
    employed_through: date
    expected_by: date
    amount: Decimal
    interest: Decimal | None = None   # estimated Contingent Interest Payment (filled by estimate())


@dataclass(frozen=True, slots=True)
class RateTable:
    """Top marginal income tax rate (a fraction, 0.47) by canonical country name."""

    rates: Mapping[str, Decimal]

    def rate_for(self, country: str) -> Decimal:
        raise NotImplementedError


def payout_schedule(total: Decimal, country: Country, level: int, calendar: ProgramCalendar,
                    rates: RateTable, ruling: str) -> tuple[tuple[Installment, ...], tuple[str, ...]]:
    """Installments adding up exactly to the Total Payment, and the Tool's conditional texts that apply.

    ruling is the tax ruling status (pending | favorable | unfavorable); it only
    matters for the countries of the "ruling" payment group.
    """
    raise NotImplementedError
