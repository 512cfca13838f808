"""Who is an Eligible Employee and which grants are Eligible Options (Notice Q3, Q5, s1).

Grant eligibility depends on the grant alone; the employee rules are reported
separately. Every failing rule gives its own reason, so a person sees all of
them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Sequence

from bot import countries
from bot.calc.errors import CalcError
from bot.calc.records import Employee, Grant, format_price, positional_constructor

# Notice s1 "Eligible Options", items 3-5.
ELIGIBLE_PLANS: frozenset[str] = frozenset({"1991", "2001", "visio", "sar1997"})
MIN_EXERCISE_PRICE = Decimal("33.00")
MIN_EXPIRATION = date(2004, 2, 29)

_PLAN_REASONS: dict[str, str] = {
    # Q5: "These options and warrants are not Eligible Options."
    "navision": "Navision options are not Eligible Options",
    "director": "options granted under the director plan are not Eligible Options",
}
_WORKER_REASONS: dict[str, str] = {
    # Q3: "Advisors, consultants and members of the Microsoft Board of Directors are not Eligible Employees."
    "advisor": "advisors are not Eligible Employees",
    "consultant": "consultants are not Eligible Employees",
    "director": "members of the Microsoft Board of Directors are not Eligible Employees",
}


@dataclass(frozen=True, slots=True)
class GrantEligibility:
    grant: Grant
    eligible: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None


@dataclass(frozen=True, slots=True)
class EmployeeEligibility:
    employee: Employee
    eligible: bool
    reasons: tuple[str, ...]          # the employee rules that fail (empty when eligible)
    grants: tuple[GrantEligibility, ...]
    eligible_options: int             # outstanding options of the grants that are Eligible Options


_make_grant_eligibility = positional_constructor(GrantEligibility)
_make_employee_eligibility = positional_constructor(EmployeeEligibility)


def is_eligible_option(grant: Grant) -> bool:
    """The same rules as grant_eligibility without building reasons: the hot path of totals."""
    return (
        grant.plan in ELIGIBLE_PLANS
        and grant.exercise_price >= MIN_EXERCISE_PRICE
        and grant.expiration_date >= MIN_EXPIRATION
        and grant.granted - grant.exercised - grant.cancelled > 0
    )


def grant_eligibility(grant: Grant) -> GrantEligibility:
    """Whether one grant is an Eligible Option, with a readable reason for each failing rule."""
    if is_eligible_option(grant):
        return _make_grant_eligibility(grant, True, ())
    reasons = _grant_reasons(grant.plan, grant.grant_type, grant.exercise_price, grant.expiration_date,
                             grant.outstanding <= 0)
    return _make_grant_eligibility(grant, not reasons, reasons)


@lru_cache(maxsize=4096)
def _grant_reasons(plan: str, grant_type: str, exercise_price: Decimal, expiration_date: date,
                   none_outstanding: bool) -> tuple[str, ...]:
    """The failing rules of a grant; a population repeats the same few, so each is worded once."""
    reasons: list[str] = []
    if plan not in ELIGIBLE_PLANS:
        reasons.append(_PLAN_REASONS.get(plan, f"plan {plan!r} is not one of the Option Plans"))
    if exercise_price < MIN_EXERCISE_PRICE:
        what = "grant date value" if grant_type == "SAR" else "exercise price"
        reasons.append(f"{what} ${format_price(exercise_price)} is below $33.00")
    if expiration_date < MIN_EXPIRATION:
        reasons.append(f"expires {expiration_date.isoformat()}, before 2004-02-29")
    if none_outstanding:
        reasons.append("no options outstanding")
    return tuple(reasons)


def employee_rule_reasons(employee: Employee) -> tuple[str, ...]:
    """The person's own rules (worker type, status, country), without looking at grants."""
    reasons: list[str] = []
    if employee.worker_type != "employee":
        reasons.append(_WORKER_REASONS.get(employee.worker_type,
                                           f"worker type {employee.worker_type!r} is not an employee"))
    if employee.status not in ("active", "leave"):
        # Q3: employed "during the entire Election Period, up to and including the Election Deadline".
        reasons.append("employment has terminated: an Eligible Employee is employed through the Election Deadline")
    country = countries.resolve(employee.country)
    if country is None:
        reasons.append(f"country {employee.country!r} is not one the Notice names")
    elif country.excluded:
        reasons.append(f"employees in {country.name} are not Eligible Employees "
                       "(the Program excludes Belgium, Italy and Pakistan)")
    return tuple(reasons)


def employee_eligibility(employee: Employee, grants: Sequence[Grant]) -> EmployeeEligibility:
    """Whether a person is an Eligible Employee, with each grant's own verdict.

    eligible_options counts the grants that are Eligible Options on their own,
    whether or not the person is an Eligible Employee.
    """
    eid = employee.employee_id
    verdicts: list[GrantEligibility] = []
    options = 0
    for grant in grants:   # one pass: this runs for every estimate
        if grant.employee_id != eid:
            raise CalcError(f"grant {grant.grant_number} belongs to employee {grant.employee_id}, "
                            f"not {employee.employee_id}")
        # grant_eligibility(grant), without the calls
        if is_eligible_option(grant):
            verdicts.append(_make_grant_eligibility(grant, True, ()))
            options += grant.granted - grant.exercised - grant.cancelled
            continue
        outstanding = grant.granted - grant.exercised - grant.cancelled
        reasons = _grant_reasons(grant.plan, grant.grant_type, grant.exercise_price, grant.expiration_date,
                                 outstanding <= 0)
        verdicts.append(_make_grant_eligibility(grant, not reasons, reasons))
        if not reasons:
            options += outstanding
    reasons = employee_rule_reasons(employee)
    if not options:   # an Eligible Option has options outstanding
        reasons = (*reasons, "holds no Eligible Options")
    return _make_employee_eligibility(employee, not reasons, reasons, tuple(verdicts), options)
