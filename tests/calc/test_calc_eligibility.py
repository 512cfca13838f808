"""Eligible Options (Notice Q5, s1) and Eligible Employees (Q3, s1)."""

from datetime import date
from decimal import Decimal as D

import pytest

from bot.calc.eligibility import employee_eligibility, grant_eligibility
from bot.calc.errors import CalcError
from calc_builders import make_employee, make_grant


# --- Eligible Options: the grant alone --------------------------------------------------------

def test_exercise_price_of_exactly_33_00_is_eligible():
    verdict = grant_eligibility(make_grant(exercise_price=D("33.00")))
    assert verdict.eligible and verdict.reasons == () and verdict.reason is None


def test_exercise_price_of_32_99_is_not():
    verdict = grant_eligibility(make_grant(exercise_price=D("32.99")))
    assert not verdict.eligible
    assert verdict.reasons == ("exercise price $32.99 is below $33.00",)


def test_a_sars_grant_date_value_is_what_counts():
    assert grant_eligibility(make_grant(grant_type="SAR", plan="sar1997", exercise_price=D("42.9063"))).eligible
    verdict = grant_eligibility(make_grant(grant_type="SAR", plan="sar1997", exercise_price=D("32.99")))
    assert verdict.reasons == ("grant date value $32.99 is below $33.00",)


def test_expiring_on_2004_02_29_is_eligible():
    assert grant_eligibility(make_grant(expiration_date=date(2004, 2, 29))).eligible


def test_expiring_on_2004_02_28_is_not():
    verdict = grant_eligibility(make_grant(expiration_date=date(2004, 2, 28)))
    assert verdict.reasons == ("expires 2004-02-28, before 2004-02-29",)


@pytest.mark.parametrize("plan", ["1991", "2001", "visio", "sar1997"])
def test_grants_under_the_option_plans_are_eligible(plan):
    assert grant_eligibility(make_grant(plan=plan)).eligible


@pytest.mark.parametrize("plan, reason", [
    ("navision", "Navision options are not Eligible Options"),
    ("director", "options granted under the director plan are not Eligible Options"),
])
def test_navision_and_director_plan_grants_never_are(plan, reason):
    verdict = grant_eligibility(make_grant(plan=plan, exercise_price=D("50.00")))
    assert verdict.reasons == (reason,)


def test_a_grant_with_nothing_outstanding_is_not_eligible():
    # outstanding = 1000 granted - 600 exercised - 400 cancelled = 0
    verdict = grant_eligibility(make_grant(granted=1000, exercised=600, cancelled=400))
    assert verdict.reasons == ("no options outstanding",)


def test_one_option_outstanding_is_enough():
    assert grant_eligibility(make_grant(granted=1000, exercised=600, cancelled=399)).eligible


def test_every_failing_rule_is_named_together():
    verdict = grant_eligibility(make_grant(plan="navision", exercise_price=D("30.00"),
                                           expiration_date=date(2004, 1, 31), granted=500, exercised=500))
    assert verdict.reasons == (
        "Navision options are not Eligible Options",
        "exercise price $30.00 is below $33.00",
        "expires 2004-01-31, before 2004-02-29",
        "no options outstanding",
    )
    assert verdict.reason == ("Navision options are not Eligible Options; exercise price $30.00 is below "
                              "$33.00; expires 2004-01-31, before 2004-02-29; no options outstanding")


# --- Eligible Employees ---------------------------------------------------------------------

def test_an_active_employee_with_an_eligible_grant_is_eligible():
    result = employee_eligibility(make_employee(), [make_grant()])
    assert result.eligible and result.reasons == ()


def test_an_employee_on_leave_of_absence_is_eligible():
    assert employee_eligibility(make_employee(status="leave"), [make_grant()]).eligible


def test_a_terminated_employee_is_not():
    result = employee_eligibility(make_employee(status="terminated"), [make_grant()])
    assert result.reasons == (
        "employment has terminated: an Eligible Employee is employed through the Election Deadline",)


@pytest.mark.parametrize("worker_type, reason", [
    ("advisor", "advisors are not Eligible Employees"),
    ("consultant", "consultants are not Eligible Employees"),
    ("director", "members of the Microsoft Board of Directors are not Eligible Employees"),
])
def test_advisors_consultants_and_directors_are_not_eligible_employees(worker_type, reason):
    result = employee_eligibility(make_employee(worker_type=worker_type), [make_grant()])
    assert not result.eligible and result.reasons == (reason,)


@pytest.mark.parametrize("country", ["Belgium", "Italy", "Pakistan"])
def test_employees_in_belgium_italy_and_pakistan_are_not_eligible(country):
    result = employee_eligibility(make_employee(country=country), [make_grant()])
    assert result.reasons == (
        f"employees in {country} are not Eligible Employees (the Program excludes Belgium, Italy and Pakistan)",)


def test_an_employee_with_no_eligible_grant_is_not_eligible():
    result = employee_eligibility(make_employee(), [make_grant(exercise_price=D("28.00"))])
    assert result.reasons == ("holds no Eligible Options",)
    assert result.grants[0].reason == "exercise price $28.00 is below $33.00"
    assert result.eligible_options == 0


def test_an_employee_with_no_grants_at_all_holds_no_eligible_options():
    assert employee_eligibility(make_employee(), []).reasons == ("holds no Eligible Options",)


def test_several_failing_employee_rules_are_named_together():
    result = employee_eligibility(make_employee(worker_type="consultant", status="terminated", country="Italy"),
                                  [make_grant(exercise_price=D("30.00"))])
    assert result.reasons == (
        "consultants are not Eligible Employees",
        "employment has terminated: an Eligible Employee is employed through the Election Deadline",
        "employees in Italy are not Eligible Employees (the Program excludes Belgium, Italy and Pakistan)",
        "holds no Eligible Options",
    )


def test_an_unknown_country_is_a_reason_not_a_guess():
    result = employee_eligibility(make_employee(country="Narnia"), [make_grant()])
    assert result.reasons == ("country 'Narnia' is not one the Notice names",)


def test_eligible_options_sum_the_outstanding_options_of_eligible_grants():
    grants = [
        make_grant(grant_number="A", granted=1000, exercised=0),           # 1,000 eligible
        make_grant(grant_number="B", granted=800, exercised=200, cancelled=100),  # 800-200-100 = 500 eligible
        make_grant(grant_number="C", granted=2000, exercise_price=D("25.00")),     # not eligible
    ]
    result = employee_eligibility(make_employee(), grants)
    assert result.eligible_options == 1500   # 1,000 + 500
    assert [g.eligible for g in result.grants] == [True, True, False]


def test_grant_eligibility_does_not_depend_on_the_employee():
    result = employee_eligibility(make_employee(worker_type="advisor"), [make_grant()])
    assert not result.eligible and result.grants[0].eligible


def test_another_employees_grant_is_refused():
    with pytest.raises(CalcError, match="belongs to employee E2"):
        employee_eligibility(make_employee(), [make_grant(employee_id="E2")])
