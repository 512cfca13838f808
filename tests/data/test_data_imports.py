"""CSV imports: a bad file is refused whole, with line numbers, and the stored data stay intact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot import store
from bot.calc import PricingGrid
from bot.config import load_settings
from bot.imports import ImportRefused, import_file
from data_files import EMPLOYEES_HEADER, GRANTS_HEADER, GRID_HEADER

ALICE = "E000001,Alice Smith,asmith@example.com,U0ALICE01,United States,62,employee,active"
BOB = "E000002,Bob Jones,bjones@example.com,,UK,68,employee,leave"
CARLA = "E000003,Carla Ramdin,cramdin@example.com,,Trinidad and Tobago,59,employee,active"


def test_employees_import_reports_the_count_and_stores_canonical_country_names(db, write_csv):
    path = write_csv("employees.csv", EMPLOYEES_HEADER, ALICE, BOB, CARLA)
    result = import_file(db, "employees", path)
    assert (result.rows, result.replaced) == (3, 0)
    assert store.employee(db, "E000002").country == "United Kingdom"
    assert store.employee(db, "E000003").country == "Trinidad & Tobago"
    assert store.employee(db, "E000002").slack_user_id is None


def test_usa_and_us_are_the_united_states(db, write_csv):
    path = write_csv("employees.csv", EMPLOYEES_HEADER,
                     "E1,A B,ab@example.com,,USA,60,employee,active",
                     "E2,C D,cd@example.com,,us,60,employee,active")
    import_file(db, "employees", path)
    assert {store.employee(db, e).country for e in ("E1", "E2")} == {"United States"}


def test_an_unknown_country_is_refused_with_its_line_and_nothing_is_written(db, write_csv):
    import_file(db, "employees", write_csv("first.csv", EMPLOYEES_HEADER, ALICE))
    bad = write_csv("employees.csv", EMPLOYEES_HEADER, BOB, "E000009,Zed,zed@example.com,,Atlantis,60,employee,active")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "employees", bad)
    assert refused.value.problems[0].startswith("line 3: country 'Atlantis' is not a country the Notice names")
    # The previous import is intact; Bob (a valid row of the bad file) was not written.
    assert [e.employee_id for e in store.employees(db)] == ["E000001"]


def test_every_problem_of_a_row_is_named(db, write_csv):
    path = write_csv("employees.csv", EMPLOYEES_HEADER, "E1,A B,not-an-email,,United States,sixty,boss,active")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "employees", path)
    problem = refused.value.problems[0]
    assert problem.startswith("line 2: ")
    assert "level 'sixty' is not a whole number" in problem
    assert "worker_type 'boss' is not one of employee | advisor | consultant | director" in problem
    assert "email 'not-an-email' is not an email address" in problem


def test_a_missing_required_column_is_named(db, write_csv):
    path = write_csv("employees.csv", "employee_id,name,email,country,level,status", "E1,A,a@example.com,US,60,active")
    with pytest.raises(ImportRefused, match="lacks the required column worker_type"):
        import_file(db, "employees", path)


def test_duplicate_employee_ids_name_the_first_line(db, write_csv):
    path = write_csv("employees.csv", EMPLOYEES_HEADER, ALICE, ALICE.replace("asmith@", "alice2@").replace("U0ALICE01", ""))
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "employees", path)
    assert refused.value.problems == ("line 3: employee_id 'E000001' already appears on line 2",)


def test_a_bom_blank_trailing_lines_and_unknown_extra_columns_are_fine(db, write_csv):
    path = write_csv("employees.csv", EMPLOYEES_HEADER + ",cost_center", ALICE + ",1234", bom=True, trailing="\n\n\n")
    assert import_file(db, "employees", path).rows == 1
    assert store.employee(db, "E000001").name == "Alice Smith"


def test_only_the_first_twenty_problems_are_listed_with_a_count_of_the_rest(db, write_csv):
    rows = [f"E{i},N,n{i}@example.com,,Atlantis,60,employee,active" for i in range(25)]
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "employees", write_csv("employees.csv", EMPLOYEES_HEADER, *rows))
    message = str(refused.value)
    assert "25 problems; nothing was imported" in message
    assert "line 21:" in message and "line 22:" not in message  # rows start on line 2
    assert message.endswith("... and 5 more")


def test_reimporting_employees_replaces_them(db, write_csv):
    import_file(db, "employees", write_csv("a.csv", EMPLOYEES_HEADER, ALICE, BOB))
    result = import_file(db, "employees", write_csv("b.csv", EMPLOYEES_HEADER, CARLA))
    assert (result.rows, result.replaced) == (1, 2)
    assert store.employee_ids(db) == ["E000003"]


def _people(db, write_csv):
    import_file(db, "employees", write_csv("employees.csv", EMPLOYEES_HEADER, ALICE, BOB))


def test_grant_numbers_keep_their_leading_zeros(db, write_csv):
    _people(db, write_csv)
    path = write_csv("grants.csv", GRANTS_HEADER,
                     "E000001,000123,2000-04-24,NSO,1991,33.3125,1000,0,0,2007-04-23,0")
    import_file(db, "grants", path)
    [grant] = store.grants_for(db, "E000001")
    assert grant.grant_number == "000123"
    assert grant.exercise_price == Decimal("33.3125")


def test_cancelled_may_be_missing_or_empty(db, write_csv):
    _people(db, write_csv)
    header = GRANTS_HEADER.replace(",cancelled", "")
    import_file(db, "grants", write_csv("g1.csv", header, "E000001,1,2000-04-24,ISO,1991,33.3125,1000,10,2007-04-23,0"))
    assert store.grants_for(db, "E000001")[0].outstanding == 990  # 1000 - 10 - 0
    import_file(db, "grants", write_csv("g2.csv", GRANTS_HEADER, "E000001,1,2000-04-24,ISO,1991,33.3125,1000,10,,2007-04-23,0"))
    assert store.grants_for(db, "E000001")[0].cancelled == 0


def test_exercised_plus_cancelled_above_granted_is_refused(db, write_csv):
    _people(db, write_csv)
    path = write_csv("grants.csv", GRANTS_HEADER, "E000001,1,2000-04-24,NSO,1991,33.3125,1000,600,401,2007-04-23,0")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "grants", path)
    assert refused.value.problems == ("line 2: exercised 600 + cancelled 401 is more than granted 1000",)


def test_a_grant_of_an_unknown_employee_is_refused(db, write_csv):
    _people(db, write_csv)
    path = write_csv("grants.csv", GRANTS_HEADER, "E000404,1,2000-04-24,NSO,1991,33.3125,1000,0,0,2007-04-23,0")
    with pytest.raises(ImportRefused, match=r"line 2: employee_id 'E000404' is not among the imported employees"):
        import_file(db, "grants", path)


def test_a_bad_grant_row_leaves_the_previous_grants_intact(db, write_csv):
    _people(db, write_csv)
    import_file(db, "grants", write_csv("g1.csv", GRANTS_HEADER, "E000001,7,2000-04-24,NSO,1991,33.3125,1000,0,0,2007-04-23,0"))
    bad = write_csv("g2.csv", GRANTS_HEADER,
                    "E000002,8,2000-07-03,NSO,1991,40.00,500,0,0,2010-07-02,0",
                    "E000002,9,2000-07-03,NSO,2001,40.00,500,0,0,2010-13-02,0",
                    "E000002,10,1999-07-06,SAR,1991,42.9063,500,0,0,2006-07-05,0")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "grants", bad)
    assert refused.value.problems == (
        "line 3: expiration_date '2010-13-02' is not a date YYYY-MM-DD",
        "line 4: grant_type SAR does not fit plan 1991 (SARs come from the 1997 Share Appreciation Rights "
        "Plan, plan sar1997, and only SARs do)",
    )
    assert [g.grant_number for g in store.grants_for(db, "E000001")] == ["7"]
    assert store.grants_for(db, "E000002") == []


def test_a_grid_price_of_33_0000_prices_a_grant_of_33_00(db, write_csv):
    _people(db, write_csv)
    import_file(db, "grants", write_csv("g.csv", GRANTS_HEADER, "E000001,1,2001-06-11,NSO,1991,33.00,1000,0,0,2011-06-10,0"))
    import_file(db, "grid", write_csv("grid.csv", GRID_HEADER,
                                      "33.0000,2011-06-10,0,20.00,0.5000",
                                      "33.0000,2011-06-10,0,30.00,2.5000"))
    grid = PricingGrid(store.grid_points(db))
    [grant] = store.grants_for(db, "E000001")
    # Halfway between $20.00 and $30.00: (0.5000 + 2.5000) / 2 = 1.5000.
    assert grid.price(grant.series, Decimal("25.00")) == Decimal("1.5")


def test_grid_points_that_are_the_same_number_are_duplicates(db, write_csv):
    path = write_csv("grid.csv", GRID_HEADER,
                     "33.00,2011-06-10,0,20.00,0.5000",
                     "33.0000,2011-06-10,0,20.0,0.5100",
                     "33.00,2011-06-10,1,20.00,0.4000")   # a Multi-Year Grant Series is another Series
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "grid", path)
    assert refused.value.problems == (
        "line 3: a price for this Series at average_closing_price 20.0 already appears on line 2",)


def test_a_negative_grid_price_or_acp_refuses_the_file(db, write_csv):
    path = write_csv("grid.csv", GRID_HEADER,
                     "33.00,2011-06-10,0,20.00,-0.5000",
                     "33.00,2011-06-10,0,-1.00,0.1000")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "grid", path)
    assert refused.value.problems == (
        "line 2: price_per_option '-0.5000' is not a decimal number like 33.00",
        "line 3: average_closing_price '-1.00' is not a decimal number like 33.00",
    )
    assert store.grid_points(db) == []


def test_rates_are_fractions(db, write_csv):
    path = write_csv("rates.csv", "country,top_marginal_rate", "Australia,0.485", "Canada,46.4")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "rates", path)
    assert refused.value.problems == (
        "line 3: top_marginal_rate 46.4 is more than 1: write rates as fractions (0.47 for 47%)",)
    assert store.rates(db)["Australia"] == Decimal("0.47")   # the shipped table still applies


def test_imported_rates_replace_the_shipped_table(db, write_csv):
    import_file(db, "rates", write_csv("rates.csv", "country,top_marginal_rate,basis", "Australia,0.485,with Medicare levy"))
    assert store.rates(db) == {"Australia": Decimal("0.485")}


def test_rulings_only_for_the_four_ruling_countries(db, write_csv):
    path = write_csv("rulings.csv", "country,status", "Germany,favorable", "France,favorable", "Japan,maybe")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "rulings", path)
    assert refused.value.problems == (
        "line 3: France has no tax ruling status: only Germany, Japan, Netherlands, Singapore do",
        "line 4: status 'maybe' is not one of pending | favorable | unfavorable",
    )


def test_imported_rulings_override_the_configured_ones(db, write_csv):
    import_file(db, "rulings", write_csv("rulings.csv", "country,status", "germany,Unfavorable", "The Netherlands,favorable"))
    rulings = store.rulings(db, load_settings())
    assert rulings == {"Germany": "unfavorable", "Japan": "pending", "Netherlands": "favorable", "Singapore": "pending"}


def test_an_empty_file_and_a_header_only_file_are_refused(db, write_csv, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(ImportRefused, match="the file is empty"):
        import_file(db, "rulings", empty)
    with pytest.raises(ImportRefused, match="a header but no rows"):
        import_file(db, "rulings", write_csv("r.csv", "country,status"))


def test_dates_must_be_written_yyyy_mm_dd(db, write_csv):
    _people(db, write_csv)
    path = write_csv("g.csv", GRANTS_HEADER, "E000001,1,20000424,NSO,1991,33.3125,1000,0,0,2007-04-23,0")
    with pytest.raises(ImportRefused, match="grant_date '20000424' is not a date YYYY-MM-DD"):
        import_file(db, "grants", path)
    assert store.grants_for(db, "E000001") == []
