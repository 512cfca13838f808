"""The payout schedule of a Total Payment (Notice Q1, Q11, s3; Tool Step 3).

Parts are cents, half-up, and always add up exactly to the Total Payment (TP):
the last part is what is left, never separately rounded. Payment groups come
from bot/data/countries.json (Country.payment_group); top marginal tax rates and
tax ruling statuses are configuration handed in by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Mapping

from bot.calc.calendar import ProgramCalendar
from bot.calc.errors import CalcError
from bot.calc.money import CENT, calc_context, cents
from bot.calc.records import positional_constructor
from bot.countries import Country

InstallmentKind = Literal["initial", "first_contingent", "second_contingent"]

ALL_UPFRONT_LIMIT = Decimal("20000.00")   # Q1: "$20,000 or less ... 100% of the Total Payment upfront"
MINIMUM_INITIAL = Decimal("20000.00")     # Q1: "the greater of (i) 33.33% of the Total Payment, or (ii) $20,000"
INITIAL_SHARE = Decimal("0.3333")         # 33.33%, exactly
TAX_RATE_ADDITION = Decimal("0.18")       # s3: "(a) the top marginal income tax rate ... and (b) 18%"
TWO_CONTINGENT_LEVEL = 68                 # Q1: "Employee Level 68 or above ... two Contingent Payments"
TWO = Decimal(2)

# s3 and the Notice's payment table: "expected distribution no later than December 31, 2003/2005/2006".
INITIAL_EXPECTED_BY = date(2003, 12, 31)
FIRST_CONTINGENT_EXPECTED_BY = date(2005, 12, 31)
SECOND_CONTINGENT_EXPECTED_BY = date(2006, 12, 31)

RULING_STATUSES: tuple[str, ...] = ("pending", "favorable", "unfavorable")

# The Tool's Step 3 conditional texts, verbatim (Employee Election Tool pages).
INTEREST_NOTE = (
    "An accumulated interest equivalent amount will be calculated and distributed with any Contingent "
    "Payment you receive, as detailed in the Notice. You will be able to view the Contingent Payment(s) "
    "at https://stock beginning in January 2004. Future payments are contingent on continued employment."
)
ACCELERATION_NOTE = (
    "Your payment schedule may be accelerated in the event of unanticipated tax treatment associated "
    "with the program in your country of employment. A summary of the tax treatment is available in "
    "the Notice."
)
LEVEL_68_NOTE = (
    "As described in the Notice, because you are employed at Level 68 or above, a portion of your Total "
    "Payment will be in the form of Contingent Payment(s) even though other participating Eligible "
    "Employees in your country will receive their Total Payment without being subject to any Contingent "
    "Payment(s)."
)


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
        """The configured rate; a country without one is an error, never a guess."""
        rate = self.rates.get(country)
        if rate is None:
            folded = country.casefold()
            rate = next((v for k, v in self.rates.items() if k.casefold() == folded), None)
        if rate is None:
            raise CalcError(f"no top marginal income tax rate is configured for {country}: "
                            "its Level 68+ payment schedule depends on it")
        if not rate.is_finite() or not 0 <= rate < 1:
            raise CalcError(f"the top marginal income tax rate for {country} ({rate}) is not a fraction "
                            "between 0 and 1")
        return rate


_make_installment = positional_constructor(Installment)


def schedule_rule(country: Country, ruling: str) -> tuple[str, bool]:
    """Which schedule applies ("general" | "immediate" | "tax_rate") and whether acceleration is pending.

    Germany, Japan, Netherlands, Singapore (s3): favorable -> the general schedule;
    unfavorable, which includes no guidance by the Initial Payment -> the
    Australia/Canada/... schedule; pending -> the general schedule, which may be
    accelerated.
    """
    group = country.payment_group
    if group == "excluded":
        raise CalcError(f"employees in {country.name} are not Eligible Employees: there is no payment schedule")
    if group != "ruling":
        return group, False
    if ruling not in RULING_STATUSES:
        raise CalcError(f"tax ruling status {ruling!r} for {country.name} is not one of "
                        f"{', '.join(RULING_STATUSES)}")
    if ruling == "unfavorable":
        return "tax_rate", False
    return "general", ruling == "pending"


def _halves(remainder: Decimal) -> tuple[Decimal, Decimal]:
    """The first half rounded half-up, the second the rest: 0.01 -> (0.01, 0.00)."""
    first = cents(remainder / TWO)
    return first, remainder - first


def payout_schedule(total: Decimal, country: Country, level: int, calendar: ProgramCalendar,
                    rates: RateTable, ruling: str) -> tuple[tuple[Installment, ...], tuple[str, ...]]:
    """Installments adding up exactly to the Total Payment, and the Tool's conditional texts that apply.

    ruling is the tax ruling status (pending | favorable | unfavorable); it only
    matters for the countries of the "ruling" payment group. Contingent parts of
    $0.00 (a remainder of one cent split in two) are left out.
    """
    if not total.is_finite() or total < 0:
        raise CalcError(f"a Total Payment of {total} is not an amount")
    rounded = cents(total)  # 1E+4 -> 10000.00: every part prints with two decimals
    if total != rounded:
        raise CalcError(f"a Total Payment of {total} is not in whole cents")
    total = rounded
    rule, pending = schedule_rule(country, ruling)
    senior = level >= TWO_CONTINGENT_LEVEL

    with calc_context():
        if total <= ALL_UPFRONT_LIMIT or rule == "immediate" or (rule == "tax_rate" and not senior):
            initial = total
        elif rule == "general":
            initial = max(cents(INITIAL_SHARE * total), MINIMUM_INITIAL)
        else:  # tax_rate, Level 68+, TP > $20,000
            initial = min(cents((rates.rate_for(country.name) + TAX_RATE_ADDITION) * total), total)
        remainder = total - initial
        if remainder == 0:
            parts: tuple[Decimal, ...] = ()
        elif rule == "general" and not senior:
            parts = (remainder,)
        else:
            parts = _halves(remainder)

    first_vest, second_vest = calendar.vesting_dates
    installments = [_make_installment("initial", calendar.deadline_date, INITIAL_EXPECTED_BY, initial, None)]
    contingent_rows = (
        ("first_contingent", first_vest, FIRST_CONTINGENT_EXPECTED_BY),
        ("second_contingent", second_vest, SECOND_CONTINGENT_EXPECTED_BY),
    )
    for (kind, vests, expected_by), amount in zip(contingent_rows, parts):
        if amount >= CENT:
            installments.append(_make_installment(kind, vests, expected_by, amount, None))

    has_contingent = len(installments) > 1
    notes: list[str] = []
    if has_contingent:
        notes.append(INTEREST_NOTE)
    if pending:
        notes.append(ACCELERATION_NOTE)
    if has_contingent and rule == "tax_rate":
        # Level 68+ in Australia, Canada, ... or a ruling country with an unfavorable ruling. The Tool's
        # bracketed instruction also names "another country where the payment schedule is accelerated
        # due to a pending tax ruling": we read that as a ruling that has gone unfavorable. While it is
        # pending the general schedule applies to everyone in the country, so the note's "even though
        # other participating Eligible Employees in your country will receive their Total Payment
        # without being subject to any Contingent Payment(s)" would not be true.
        notes.append(LEVEL_68_NOTE)
    return tuple(installments), tuple(notes)
