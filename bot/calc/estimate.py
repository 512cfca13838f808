"""A person's figures: Eligible Options, Total Payment, the $23-$31 table and the payout schedule.

Price per option is the grid's unrounded price; each grant payment is options x
price rounded half-up to cents; the Total Payment is the sum of those rounded
payments (Notice Q6, Q7, s2; Tool Step 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Iterable, Mapping, Sequence

from bot import countries
from bot.countries import Country
from bot.calc.calendar import ProgramCalendar
from bot.calc.eligibility import EmployeeEligibility, employee_eligibility, is_eligible_option
from bot.calc.errors import CalcError, NotEligible, PriceOutOfRange, ProgramTerminated, SeriesMissing
from bot.calc.interest import contingent_interest
from bot.calc.money import CALC_CONTEXT, CENT, calc_context
from bot.calc.pricing import CentsRow, PricingGrid, validate_assumed_acp
from bot.calc.records import Employee, Grant, SeriesKey, format_price, positional_constructor
from bot.calc.schedule import Installment, RateTable, payout_schedule

# Tool Step 2: "Assumed Average Closing Price $23 $24 ... $31".
TABLE_PRICES: tuple[Decimal, ...] = tuple(Decimal(f"{p}.00") for p in range(23, 32))
DEFAULT_RULING = "pending"   # issue 3: pending is the default while estimates are made

# The Tool's caveats: a short lead-in, then the Notice's words (Q7, Q11) or the Tool's pages'
# (Step 2: "may not reflect the actual Total Payment, which will only be determined following
# completion of the Averaging Period"; Step 3: "This is an estimated payment schedule ...").
PRE_TAX_NOTE = (
    "Amounts are pre-tax. All payments will be made to you less the appropriate tax withholding by "
    "the Company and similar deductions we determine are required."
)
US_DOLLARS_NOTE = (
    "All amounts are in U.S. dollars. If you are employed outside the United States, any payments made "
    "to you will be converted from U.S. dollars to your local payroll currency."
)
ASSUMED_ACP_NOTE = (
    "These figures are based on the assumed Average Closing Price of ${price} and may not reflect your "
    "actual Total Payment, which will only be determined following completion of the Averaging Period."
)
ESTIMATED_SCHEDULE_NOTE = (
    "This is an estimated payment schedule based on the current program effective dates and is "
    "subject to change."
)
ILLUSTRATIVE_NOTE = (
    "These figures are illustrative: no Pricing Grid has been imported, so the prices per option come "
    "from a model (Black-Scholes on the amended terms), not from the pricing negotiated by Microsoft "
    "and JPMorgan that the Employee Election Tool shows. Your actual figures will differ."
)
ASSUMED_INTEREST_NOTE = (
    "The interest shown with each Contingent Payment is an estimate at an assumed constant three-month "
    "U.S. Treasury bill yield of {rate}% a year, from JPMorgan's expected payment date ({start}) to the "
    "vesting date. The Notice says: \"We will make all determinations about the applicable interest "
    "rate and the amount of any Contingent Interest Payment.\""
)
# Where the documents disagree, the Notice's Terms and Conditions win (see bot.calc.calendar).
VESTING_DATES_NOTE = (
    "The employed-through {dates} of the Contingent {payments} {follow} the Notice's Terms and Conditions "
    "({spans} from the last day of the Averaging Period); the Employee Election Tool's pages showed "
    "11/12/2005 and 11/12/2006."
)


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


_make_grant_payment = positional_constructor(GrantPayment)
_make_estimate = positional_constructor(Estimate)
_make_installment = positional_constructor(Installment)


def _price(grid: PricingGrid, prices: Mapping[SeriesKey, Decimal | None], series: SeriesKey,
           acp: Decimal) -> Decimal:
    try:
        price = prices[series]
    except KeyError:
        raise SeriesMissing(series) from None
    if price is None:
        raise PriceOutOfRange(series, acp, *grid.span(series))
    return price


def _sum_of_payments(holdings: Sequence[tuple[SeriesKey, int]], acp: Decimal, grid: PricingGrid) -> Decimal:
    """Sum over (Series, outstanding options) of options x price, each rounded half-up to cents."""
    prices = grid.prices_at(acp)
    total = Decimal("0.00")
    with calc_context():
        for series, options in holdings:
            price = prices.get(series)
            if price is None:
                price = _price(grid, prices, series, acp)   # raises SeriesMissing / PriceOutOfRange
            total += (price * options).quantize(CENT, ROUND_HALF_UP)
    return total


def _cents_table(acps: tuple[Decimal, ...],
                 held: Iterable[tuple[CentsRow | None, int]]) -> tuple[tuple[Decimal, Decimal], ...] | None:
    """(ACP, Total Payment) from each holding's CentsRow and options, summed in integer cents.

    The same cents as _sum_of_payments() (CentsRow says why); None when a holding has no
    row or too many options for integers to be provably the same.
    """
    totals: list[int] | None = None
    for row, options in held:
        if row is None:
            return None
        totals = row.add_cents(totals, options)
        if totals is None:
            return None
    if totals is None:
        totals = [0] * len(acps)
    # CALC_CONTEXT.scaleb(t, -2) is Decimal(t).scaleb(-2) inside calc_context(), without entering it.
    scaleb = CALC_CONTEXT.scaleb
    return tuple(zip(acps, [scaleb(t, -2) for t in totals]))


def payment_table(holdings: Sequence[tuple[SeriesKey, int]], acps: tuple[Decimal, ...],
                  grid: PricingGrid) -> tuple[tuple[Decimal, Decimal], ...]:
    """(ACP, Total Payment) at each of acps in one pass over the holdings: the Tool's $23-$31 table.

    Each total is _sum_of_payments() at that ACP to the cent: the same per-grant
    roundings, summed exactly. A Series missing, or without a price at one of the
    ACPs, falls back to the per-price sums, so the error raised is the one they raise.
    """
    cents_rows = grid.cents_rows_for(acps, dict.fromkeys(series for series, _ in holdings))
    table = _cents_table(acps, [(cents_rows.get(series), options) for series, options in holdings])
    if table is not None:
        return table
    rows = grid.prices_at_each(acps)
    totals = [Decimal("0.00")] * len(acps)
    with calc_context():
        for series, options in holdings:
            row = rows.get(series)
            if row is None:
                break
            totals = [t + (price * options).quantize(CENT, ROUND_HALF_UP) for t, price in zip(totals, row)]
        else:
            return tuple(zip(acps, totals))
    return tuple((acp, _sum_of_payments(holdings, acp, grid)) for acp in acps)


def total_payment(grants: Sequence[Grant], acp: Decimal, grid: PricingGrid) -> Decimal:
    """Sum of the cents-rounded grant payments of the Eligible Options among grants (fast path).

    The ACP is not validated here (estimate() does it once); a price outside the
    grid still raises PriceOutOfRange, a missing Series SeriesMissing.
    """
    return _sum_of_payments([(g.series, g.outstanding) for g in grants if is_eligible_option(g)], acp, grid)


def _ruling_for(rulings: Mapping[str, str], country: str) -> str:
    """The configured tax ruling status (country names match case-insensitively); pending by default."""
    status = rulings.get(country)
    if status is None:
        folded = country.casefold()
        status = next((v for k, v in rulings.items() if k.casefold() == folded), DEFAULT_RULING)
    return status.strip().lower()


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


@lru_cache(maxsize=64)
def _price_notes(acp: Decimal, illustrative: bool) -> tuple[str, ...]:
    """The caveats every estimate at this ACP carries, worded once (format_price reads only the value)."""
    notes = (PRE_TAX_NOTE, US_DOLLARS_NOTE, ASSUMED_ACP_NOTE.format(price=format_price(acp)), ESTIMATED_SCHEDULE_NOTE)
    return (*notes, ILLUSTRATIVE_NOTE) if illustrative else notes


@lru_cache(maxsize=64)
def _interest_notes(rate: Decimal, start: date, vesting: tuple[date, ...]) -> tuple[str, str]:
    """The caveats of an estimate with Contingent Payments vesting on these dates."""
    return (ASSUMED_INTEREST_NOTE.format(rate=_percent(rate), start=start.isoformat()),
            _vesting_dates_note(vesting))


def _vesting_dates_note(vesting: Sequence[date]) -> str:
    dates = " and ".join(d.isoformat() for d in vesting)
    if len(vesting) == 1:
        return VESTING_DATES_NOTE.format(dates=f"date {dates}", payments="Payment",
                                         follow="follows", spans="two years")
    return VESTING_DATES_NOTE.format(dates=f"dates {dates}", payments="Payments", follow="follow",
                                     spans="two and three years")


_ZERO = Decimal("0.00")
_UNPRICED: tuple[None, None] = (None, None)
_grant_order = attrgetter("grant_date", "grant_number")   # the Tool's order of a person's grants


def eligible_holding(employee: Employee, grants: Sequence[Grant],
                     ctx: CalcContext) -> tuple[EmployeeEligibility, Country, list[Grant]]:
    """The checks every figure of a person starts with, and their Eligible grants in Tool order.

    Raises ProgramTerminated or NotEligible (estimate, the chart and the break-even share them).
    """
    calendar = ctx.calendar
    if calendar.terminated:
        raise ProgramTerminated(calendar.available_trading_days)
    eligibility = employee_eligibility(employee, grants)
    if not eligibility.eligible:
        raise NotEligible(employee.employee_id, eligibility.reasons)
    country = countries.resolve(employee.country)
    if country is None:  # eligibility already says so; kept for the type checker
        raise CalcError(f"country {employee.country!r} is not one the Notice names")
    return eligibility, country, sorted([v.grant for v in eligibility.grants if v.eligible], key=_grant_order)


def estimate(employee: Employee, grants: Sequence[Grant], acp: Decimal, ctx: CalcContext) -> Estimate:
    """Everything the Tool's Steps 1-3 show, at an assumed ACP.

    Raises InvalidPrice, ProgramTerminated, NotEligible, SeriesMissing, PriceOutOfRange
    (a Series missing from the grid fails the whole estimate).
    """
    acp = validate_assumed_acp(acp)
    eligibility, country, eligible = eligible_holding(employee, grants, ctx)
    calendar = ctx.calendar
    grid = ctx.grid
    # One look-up per grant, by the plain tuple of its Series' terms, gives its price at the ACP
    # and its $23-$31 prices as integers; each table total is payment_table()'s, rounded grant
    # by grant and summed exactly (tests/calc compares the two for many people).
    priced = grid.by_terms(acp, TABLE_PRICES)
    payments: list[GrantPayment] = []
    held: list[tuple[CentsRow | None, int]] = []
    total = _ZERO
    with calc_context():
        for grant in eligible:
            options = grant.granted - grant.exercised - grant.cancelled
            price, row = priced.get((grant.exercise_price, grant.expiration_date, grant.multi_year_grant),
                                    _UNPRICED)
            if price is None:   # raises SeriesMissing / PriceOutOfRange
                price = _price(grid, grid.prices_at(acp), grant.series, acp)
            payment = (price * options).quantize(CENT, ROUND_HALF_UP)
            payments.append(_make_grant_payment(grant, options, price, payment))
            held.append((row, options))
            total += payment   # sum([p.payment for p in payments], _ZERO), added in the same order
    # A Series without a price at one of the table's ACPs: payment_table() raises what the per-price sums raise.
    table = _cents_table(TABLE_PRICES, held)
    if table is None:
        table = payment_table([(p.grant.series, p.options) for p in payments], TABLE_PRICES, grid)

    # Only a country awaiting a tax ruling (s3) has a ruling; for any other it changes nothing.
    ruling = _ruling_for(ctx.rulings, country.name) if country.payment_group == "ruling" else DEFAULT_RULING
    installments, schedule_notes = payout_schedule(total, country, employee.level, calendar, ctx.rates, ruling)
    schedule = tuple(
        inst if inst.kind == "initial" else _make_installment(
            inst.kind, inst.employed_through, inst.expected_by, inst.amount,
            contingent_interest(inst.amount, calendar.jpm_payment_date, inst.employed_through,
                                ctx.assumed_interest_rate).interest)
        for inst in installments
    )

    notes = [*_price_notes(acp, ctx.grid.illustrative), *schedule_notes]
    if len(schedule) > 1:
        notes.extend(_interest_notes(ctx.assumed_interest_rate, calendar.jpm_payment_date,
                                     tuple(inst.employed_through for inst in schedule[1:])))
    # Estimate(employee_id, average_closing_price, illustrative, grants, total_payment, schedule, table,
    # notes, eligibility), its slots set directly
    return _make_estimate(employee.employee_id, acp, ctx.grid.illustrative, tuple(payments), total, schedule,
                          table, tuple(notes), eligibility)
