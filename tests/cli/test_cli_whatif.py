"""`sotp whatif`: the break-even Average Closing Price and the slope, on a small imported grid.

Grid ($0, $20, $30, $40): $33.00 Series 0.00, 0.50, 2.50, 6.00; $45.00 Series 0.00, 0.10, 0.60, 2.00.
E1 holds 1,000 options of the first and 2,000 of the second: from $30 to $40 the Total Payment is
3,700 + 630 (p - 30), so $5,000.00 is first reached at $32.0635 ($4,999.94 at $32.0634).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from worlds import build_world

EMPLOYEES = """employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,alice@example.com,U0ALICE,United States,62,employee,active
E2,Carl Consultant,carl@example.com,,United States,62,consultant,active
"""
GRANTS = """employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,expiration_date,multi_year_grant
E1,0001,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E1,0002,1999-07-03,NSO,1991,45.00,2000,0,0,2007-07-03,0
E2,0101,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
"""
GRID = """exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option
33.00,2010-04-24,0,0.00,0.0000
33.00,2010-04-24,0,20.00,0.5000
33.00,2010-04-24,0,30.00,2.5000
33.00,2010-04-24,0,40.00,6.0000
45.00,2007-07-03,0,0.00,0.0000
45.00,2007-07-03,0,20.00,0.1000
45.00,2007-07-03,0,30.00,0.6000
45.00,2007-07-03,0,40.00,2.0000
"""


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = build_world(tmp_path, employees=EMPLOYEES, grants=GRANTS, grid=GRID)
    return str(path)


def test_the_json_has_exactly_the_four_keys_and_the_price_to_four_decimals(sotp_json, db):
    status, out = sotp_json("whatif", "--db", db, "--employee", "E1", "--total", "5000")
    assert status == 0
    assert out == {"employee_id": "E1", "total": "5000.00", "average_closing_price": "32.0635", "reason": "reached"}


def test_slope_at_adds_the_dollars_per_dollar_and_the_grid_step_it_comes_from(sotp_json, db):
    status, out = sotp_json("whatif", "--db", db, "--employee", "E1", "--total", "20000.01", "--slope-at", "27")
    assert status == 0
    assert out == {"employee_id": "E1", "total": "20000.01", "average_closing_price": None, "reason": "not_reached",
                   "slope_at": "27.00", "slope_per_dollar": "300.00", "slope_between": ["20.00", "30.00"]}


def test_a_total_reached_at_the_lowest_price_is_already_reached(sotp_json, db):
    status, out = sotp_json("whatif", "--db", db, "--employee", "E1", "--total", "$100")
    assert out == {"employee_id": "E1", "total": "100.00", "average_closing_price": "15.0000",
                   "reason": "already_reached"}


def test_the_text_names_the_price_and_the_total_just_below_it(sotp, db):
    status, out, _ = sotp("whatif", "--db", db, "--employee", "E1", "--total", "5k")
    assert status == 0
    assert ("Your estimated Total Payment reaches $5,000.00 from an Average Closing Price of $32.0635 "
            "(at $32.0634 it is $4,999.94).") in out
    assert "ILLUSTRATIVE" not in out


@pytest.mark.parametrize(("argv", "error"), [
    (("--employee", "E1", "--total", "lots"), "sotp: error: 'lots' is not an amount: give dollars such as 20000.01"),
    (("--employee", "E1", "--total", "0"), "sotp: error: a Total Payment of $0.00 is not one to solve for: "
                                          "give an amount above $0.00"),
    (("--employee", "E9", "--total", "100"), "sotp: error: no employee 'E9' in the database"),
    (("--employee", "E1", "--total", "100", "--slope-at", "41"),
     "sotp: error: a slope is given for an Average Closing Price from $15.00 to $40.00; 41 is not in that range"),
])
def test_bad_input_is_one_line_and_exit_status_2(sotp, db, argv, error):
    status, out, err = sotp("whatif", "--db", db, *argv)
    assert (status, out, err.strip()) == (2, "", error)


def test_someone_not_eligible_gets_the_reason_in_one_line(sotp, db):
    status, _, err = sotp("whatif", "--db", db, "--employee", "E2", "--total", "100")
    assert status == 2
    assert err.strip() == ("sotp: error: employee E2 is not an Eligible Employee: "
                           "consultants are not Eligible Employees")
