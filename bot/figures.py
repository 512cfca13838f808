"""The one place channels get numbers from: data from the store, rules from bot.calc.

bot.calc is pure; this module does the reading it must not do (the database,
bot/data files, settings) and hands the results in. The Pricing Grid is the
imported one when there is one, otherwise the model grid for the Series the
stored grants need, marked illustrative.
"""

from __future__ import annotations

import csv
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from bot import store
from bot.calc import (
    CalcContext,
    EmployeeEligibility,
    Estimate,
    MonthlyRates,
    PricingGrid,
    ProgramCalendar,
    RateTable,
    SeriesKey,
    employee_eligibility,
    estimate,
    program_calendar,
    total_payment,
)
from bot.calc.eligibility import (
    ELIGIBLE_PLANS,
    MIN_EXERCISE_PRICE,
    MIN_EXPIRATION,
    employee_rule_reasons,
    is_eligible_option,
)
from bot.calc.curve import PaymentCurve, payment_curve
from bot.calc.model_grid import ModelParameters, model_grid
from bot.calc.whatif import BreakEven, Slope, break_even, slope
from bot.calc.records import Employee, Grant
from bot.config import Settings, data_path
from bot.db import Database


class UnknownEmployee(LookupError):
    """No employee with that id (or email, or Slack id) in the database."""

    def __init__(self, key: str, employees_stored: int, suggestion: str | None = None) -> None:
        self.key = key
        self.suggestion = suggestion
        self.no_employees = employees_stored == 0
        if employees_stored == 0:
            message = ("no employees imported: load them with `sotp import employees FILE.csv` "
                       "(or `sotp demo-data` for a demo population)")
        else:
            message = f"no employee {key!r} in the database"
            if suggestion:
                message += f" (did you mean {suggestion}?)"
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


def employee_id(db: Database, text: str) -> str:
    """The stored id a person meant: as typed, else in capitals ("e000096" is E000096).

    Raises UnknownEmployee, suggesting the closest stored id when one is close.
    """
    typed = text.strip()
    for candidate in dict.fromkeys((typed, typed.upper())):
        if candidate and store.employee(db, candidate) is not None:
            return candidate
    stored = store.count(db, "employees")
    suggestion = None
    if stored and typed:
        from rapidfuzz import fuzz, process

        found = process.extractOne(typed.upper(), store.employee_ids(db), scorer=fuzz.ratio, score_cutoff=80)
        suggestion = found[0] if found else None
    raise UnknownEmployee(typed, stored, suggestion)


# --- the database ------------------------------------------------------------------------

def build_demo_database(path: Path, say: Callable[[str], None] | None = None) -> None:
    """Write the demo population to a new database at path (the default database's first use)."""
    from bot import demo  # only needed on first use

    (say or _stderr)(f"sotp: {path} did not exist: building the demo database "
                     f"({demo.default_employees():,} synthetic people, seed {demo.default_seed()}, "
                     "a few seconds)")
    demo.build_at(path)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- configuration files -------------------------------------------------------------------

@lru_cache(maxsize=1)
def model_parameters() -> ModelParameters:
    with data_path("model_grid.toml").open("rb") as fh:
        return ModelParameters.from_mapping(tomllib.load(fh))


def calendar_for(settings: Settings) -> ProgramCalendar:
    return _calendar(settings.election_deadline, settings.averaging_start, tuple(settings.disrupted_days))


@lru_cache(maxsize=32)
def _calendar(deadline: date, start: date | None, disrupted: tuple[date, ...]) -> ProgramCalendar:
    """program_calendar() is pure and its result immutable: walking the trading days (the holidays
    library's bank holidays) once per settings, not once per estimate, was ~2% of an email turn."""
    return program_calendar(deadline, start, disrupted)


@lru_cache(maxsize=8)
def _monthly_rates(path: Path) -> MonthlyRates:
    rates: dict[tuple[int, int], Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            year, month = row["month"].strip().split("-")
            rates[(int(year), int(month))] = Decimal(row["rate"].strip())
    return MonthlyRates(rates)


def monthly_rates(settings: Settings) -> MonthlyRates:
    """The configured monthly 3-month Treasury series (a bot/data file name or a path)."""
    name = Path(settings.interest_series)
    path = name if name.is_absolute() or name.exists() else data_path(str(name))
    return _monthly_rates(path)


# --- the Pricing Grid ------------------------------------------------------------------------

_grids: dict[tuple[object, ...], PricingGrid] = {}


def priced_series(db: Database) -> set[SeriesKey]:
    """The Series of stored grants that can be Eligible Options: what a model grid must price."""
    rows = db.conn.execute(
        "SELECT DISTINCT exercise_price, expiration_date, multi_year_grant FROM grants "
        f"WHERE plan IN ({', '.join('?' for _ in ELIGIBLE_PLANS)}) AND granted - exercised - cancelled > 0",
        sorted(ELIGIBLE_PLANS),
    )
    out: set[SeriesKey] = set()
    for price, expiration, myg in rows:
        key = SeriesKey(Decimal(price), date.fromisoformat(expiration), bool(myg))
        if key.exercise_price >= MIN_EXERCISE_PRICE and key.expiration_date >= MIN_EXPIRATION:
            out.add(key)
    return out


def grid_for(db: Database, calendar: ProgramCalendar) -> PricingGrid:
    """The imported Pricing Grid, or else the illustrative model grid (cached per data version)."""
    db_key = str(db.conn.execute("PRAGMA database_list").fetchone()[2])
    imported = store.count(db, "grid") > 0
    if imported:
        key: tuple[object, ...] = ("imported", db_key, store.version(db, "grid"))
    else:
        key = ("model", db_key, store.version(db, "grants"), calendar.averaging_end, model_parameters())
    grid = _grids.get(key)
    if grid is None:
        if imported:
            grid = PricingGrid(store.grid_points(db))
        else:
            grid = model_grid(priced_series(db), calendar.averaging_end, model_parameters())
        if len(_grids) >= 16:
            _grids.clear()
        _grids[key] = grid
    return grid


# --- what channels call -----------------------------------------------------------------------

def context(db: Database, settings: Settings) -> CalcContext:
    """Everything bot.calc needs besides the person: grid, calendar, rates, rulings, interest."""
    calendar = calendar_for(settings)
    return CalcContext(
        grid=grid_for(db, calendar),
        calendar=calendar,
        rates=RateTable(store.rates(db)),
        rulings=store.rulings(db, settings),
        assumed_interest_rate=settings.assumed_interest_rate,
    )


def person(db: Database, employee_key: str) -> tuple[Employee, list[Grant]]:
    found = store.employee_with_grants(db, employee_key)
    if found is None:
        found = store.employee_with_grants(db, employee_id(db, employee_key))
    assert found is not None
    return found


def eligibility_for(db: Database, employee_id: str) -> EmployeeEligibility:
    employee, grants = person(db, employee_id)
    return employee_eligibility(employee, grants)


def estimate_for(db: Database, settings: Settings, employee_id: str, acp: Decimal,
                 ctx: CalcContext | None = None) -> Estimate:
    """An employee's Total Payment, $23-$31 table and schedule at an assumed ACP.

    Raises UnknownEmployee, or bot.calc's errors (NotEligible, InvalidPrice,
    SeriesMissing, PriceOutOfRange, ProgramTerminated, CalendarError).
    """
    employee, grants = person(db, employee_id)
    return estimate(employee, grants, acp, ctx or context(db, settings))


def break_even_for(db: Database, settings: Settings, employee_id: str, amount: Decimal,
                   ctx: CalcContext | None = None) -> BreakEven:
    """The smallest Average Closing Price at which an employee's Total Payment reaches amount.

    Raises UnknownEmployee, InvalidAmount, or bot.calc's errors as estimate_for does.
    """
    employee, grants = person(db, employee_id)
    return break_even(employee, grants, amount, ctx or context(db, settings))


def slope_for(db: Database, settings: Settings, employee_id: str, acp: Decimal,
              ctx: CalcContext | None = None) -> Slope:
    """Dollars of an employee's Total Payment per $1.00 of Average Closing Price around acp."""
    employee, grants = person(db, employee_id)
    return slope(employee, grants, acp, ctx or context(db, settings))


def chart_points(db: Database, settings: Settings, employee_id: str,
                 ctx: CalcContext | None = None) -> PaymentCurve:
    """An employee's Total Payment from $15.00 to $40.00 (or the part the grid covers): a chart's points.

    Exact totals at every grid breakpoint of their Series in range, the range's ends and
    the Tool's nine table prices (TABLE_PRICES), each with its Initial Payment part.
    Raises UnknownEmployee, or bot.calc's errors as estimate_for does.
    """
    employee, grants = person(db, employee_id)
    return payment_curve(employee, grants, ctx or context(db, settings))


@dataclass(frozen=True)
class PopulationTotals:
    employees: int
    eligible_employees: int
    eligible_options: int
    totals: dict[Decimal, Decimal]      # ACP -> Total Payments for all Eligible Options
    illustrative: bool


def population_totals(db: Database, settings: Settings, acps: tuple[Decimal, ...],
                      ctx: CalcContext | None = None) -> PopulationTotals:
    """Total Payments for all Eligible Options of all Eligible Employees (Notice s11's table)."""
    ctx = ctx or context(db, settings)
    eligible_employees = 0
    eligible_options = 0
    totals = {acp: Decimal("0.00") for acp in acps}
    for _, mine in eligible_people(db):
        eligible_employees += 1
        eligible_options += sum(g.outstanding for g in mine)
        for acp in acps:
            totals[acp] += total_payment(mine, acp, ctx.grid)
    return PopulationTotals(store.count(db, "employees"), eligible_employees, eligible_options, totals,
                            ctx.grid.illustrative)


def eligible_employees(db: Database) -> list[Employee]:
    """Every Eligible Employee, in employee id order: eligible_people's people, without their grants.

    Whether a grant is an Eligible Option (is_eligible_option) depends on its plan, exercise
    price, expiration date and on some of it being outstanding, which every candidate grant
    (store.all_grants' pre-filter) is; a population's candidates have a hundred or so distinct
    (plan, price, expiration), so is_eligible_option decides each once, on a grant of it, and
    SQLite finds the people holding a candidate of none of the others: the reminder planner
    needs the people, and building 90,000 grants to find them took half its reading.
    """
    not_options = [terms for terms, grant in store.candidate_grant_terms(db) if not is_eligible_option(grant)]
    return [e for e in store.employees_with_candidates(db, not_options) if not employee_rule_reasons(e)]


def eligible_people(db: Database) -> Iterator[tuple[Employee, list[Grant]]]:
    """Every Eligible Employee with their Eligible Options, in employee id order (two queries in all).

    The same rules as employee_eligibility, without building reasons for every grant:
    population totals and the reminder planner go through here.
    """
    grants_by_employee = store.all_grants(db, candidates_only=True)
    for employee in store.employees(db):
        if employee_rule_reasons(employee):
            continue
        mine = [g for g in grants_by_employee.get(employee.employee_id, ()) if is_eligible_option(g)]
        if mine:
            yield employee, mine
