"""The command line contract other checks use (issue 3, "Command line"), run in-process with --db in tmp_path."""

from __future__ import annotations

import pytest
from data_files import EMPLOYEES_HEADER, GRANTS_HEADER, GRID_HEADER

EMPLOYEES = (
    "E000001,Alice Smith,asmith@example.com,U0ALICE01,United States,62,employee,active",
    "E000002,Bob Jones,bjones@example.com,,UK,62,consultant,active",
)
GRANTS = (
    # A: $33.00 (the grid writes 33.0000), 12,000 granted - 1,500 exercised - 500 cancelled = 10,000.
    "E000001,000101,2001-06-11,NSO,1991,33.00,12000,1500,500,2007-04-23,0",
    # B: $40.00, 2,503 outstanding (cancelled left empty = 0).
    "E000001,000102,2000-07-03,NSO,1991,40.00,2503,0,,2010-07-02,0",
    # C: below $33: not an Eligible Option, so it needs no grid Series.
    "E000001,000103,2001-02-08,NSO,1991,30.00,5000,0,0,2011-02-07,0",
    "E000002,000201,2000-07-03,NSO,1991,40.00,1000,0,0,2010-07-02,0",
)
GRID = (
    "33.0000,2007-04-23,0,22.00,0.5000",
    "33.0000,2007-04-23,0,26.00,1.7000",
    "33.0000,2007-04-23,0,32.00,4.1000",
    "40.0000,2010-07-02,0,22.00,0.1000",
    "40.0000,2010-07-02,0,26.00,0.4001",
    "40.0000,2010-07-02,0,32.00,1.3000",
)


@pytest.fixture
def loaded(sotp, write_csv, db_path):
    for kind, header, rows in (("employees", EMPLOYEES_HEADER, EMPLOYEES), ("grants", GRANTS_HEADER, GRANTS),
                               ("grid", GRID_HEADER, GRID)):
        status, out = sotp("import", kind, str(write_csv(f"{kind}.csv", header, *rows)), "--db", str(db_path), "--json")
        assert status == 0, out
        assert out["rows"] == len(rows)
    return str(db_path)


def test_eligibility_json(sotp, loaded):
    status, out = sotp("eligibility", "--employee", "E000001", "--db", loaded, "--json")
    assert status == 0
    assert out == {
        "employee_id": "E000001",
        "eligible": True,
        "reasons": [],
        "grants": [
            {"grant_number": "000102", "eligible": True, "reason": None, "outstanding": 2503},
            {"grant_number": "000103", "eligible": False, "reason": "exercise price $30.00 is below $33.00",
             "outstanding": 5000},
            {"grant_number": "000101", "eligible": True, "reason": None, "outstanding": 10000},
        ],
    }


def test_eligibility_of_a_consultant_names_the_rule(sotp, loaded):
    status, out = sotp("eligibility", "--employee", "E000002", "--db", loaded, "--json")
    assert (status, out["eligible"], out["reasons"]) == (0, False, ["consultants are not Eligible Employees"])


def test_estimate_json_with_an_imported_grid(sotp, loaded):
    status, out = sotp("estimate", "--employee", "E000001", "--price", "27.00", "--db", loaded, "--json")
    assert status == 0, out
    assert out["employee_id"] == "E000001"
    assert out["average_closing_price"] == "27.00"
    assert out["illustrative"] is False
    # A at $27: 1.7000 + (4.1000 - 1.7000) x (27 - 26) / (32 - 26) = 1.7 + 0.4 = 2.1; 10,000 x 2.1 = 21,000.00.
    # B at $27: 0.4001 + (1.3000 - 0.4001) / 6 = 0.4001 + 0.149983333... = 0.550083333... (not rounded);
    #   2,503 x 0.550083333... = 1,376.8585833... -> 1,376.86.
    assert [g["grant_number"] for g in out["grants"]] == ["000102", "000101"]
    b, a = out["grants"]
    assert (a["options"], a["price_per_option"], a["payment"]) == (10000, "2.1000", "21000.00")
    assert b["options"] == 2503 and b["payment"] == "1376.86"
    assert b["price_per_option"].startswith("0.55008333333333")
    # Total Payment = 21,000.00 + 1,376.86 = 22,376.86.
    assert out["total_payment"] == "22376.86"
    # General schedule, Level 62: Initial = max(0.3333 x 22,376.86 = 7,458.21, 20,000.00) = 20,000.00;
    # the first Contingent Payment is the rest, 2,376.86, vesting E + 2 years = 2005-12-09.
    # The estimated interest on the Contingent Payment is `sotp interest --principal 2376.86
    # --from 2003-12-12 --to 2005-12-09 --rate 0.0095` (the assumed rate): 45.45; none on the Initial Payment.
    assert out["schedule"] == [
        {"kind": "initial", "employed_through": "2003-11-12", "expected_by": "2003-12-31", "amount": "20000.00",
         "estimated_interest": None},
        {"kind": "first_contingent", "employed_through": "2005-12-09", "expected_by": "2005-12-31",
         "amount": "2376.86", "estimated_interest": "45.45"},
    ]
    table = {row["price"]: row["total_payment"] for row in out["table"]}
    assert list(table) == [f"{p}.00" for p in range(23, 32)]
    # $23: A 0.5 + 1.2 x 1/4 = 0.8 -> 8,000.00; B 0.1 + 0.3001/4 = 0.175025 -> 438.087575 -> 438.09.
    assert table["23.00"] == "8438.09"
    # $26 is a grid point: A 17,000.00; B 2,503 x 0.4001 = 1,001.4503 -> 1,001.45.
    assert table["26.00"] == "18001.45"
    # $31: A 1.7 + 2.4 x 5/6 = 3.7 -> 37,000.00; B 0.4001 + 0.8999 x 5/6 = 1.15001666... -> 2,878.49.
    assert table["31.00"] == "39878.49"
    assert table["27.00"] == out["total_payment"]
    assert any("pre-tax" in note for note in out["notes"])
    assert not any("illustrative" in note for note in out["notes"])


def test_estimate_without_a_grid_is_illustrative(sotp, write_csv, db_path):
    sotp("import", "employees", str(write_csv("e.csv", EMPLOYEES_HEADER, *EMPLOYEES)), "--db", str(db_path))
    sotp("import", "grants", str(write_csv("g.csv", GRANTS_HEADER, *GRANTS)), "--db", str(db_path))
    status, out = sotp("estimate", "--employee", "E000001", "--price", "27", "--db", str(db_path), "--json")
    assert status == 0, out
    assert out["illustrative"] is True
    assert any("illustrative" in note for note in out["notes"])


def test_estimate_for_someone_not_eligible_is_an_error_with_the_reasons(sotp, loaded):
    status, out = sotp("estimate", "--employee", "E000002", "--price", "27.00", "--db", loaded, "--json")
    assert status == 2
    assert out == {"error": "employee E000002 is not an Eligible Employee: consultants are not Eligible Employees"}


@pytest.mark.parametrize("price", ["0", "40.01", "abc"])
def test_an_impossible_price_is_an_error(sotp, loaded, price):
    status, out = sotp("estimate", "--employee", "E000001", "--price", price, "--db", loaded, "--json")
    assert status == 2 and set(out) == {"error"}


def test_an_unknown_employee_is_an_error(sotp, loaded):
    assert sotp("eligibility", "--employee", "E999999", "--db", loaded, "--json") == (
        2, {"error": "no employee 'E999999' in the database"})


def test_a_named_database_that_does_not_exist_is_refused_and_nothing_is_created(sotp, tmp_path):
    path = tmp_path / "typo" / "x.db"
    status, out = sotp("eligibility", "--employee", "E000001", "--db", str(path), "--json")
    assert status == 2
    assert out["error"] == (
        f"no database at {path}; nothing was created. Check the path, or create it: "
        f"`sotp demo-data --db {path}` writes a synthetic population, "
        f"`sotp import employees FILE.csv --db {path}` loads real records")
    assert not (tmp_path / "typo").exists()


def test_an_empty_database_says_no_employees_imported(sotp, db, db_path):
    status, out = sotp("eligibility", "--employee", "E000001", "--db", str(db_path), "--json")
    assert status == 2
    assert out["error"].startswith("no employees imported: load them with `sotp import employees FILE.csv`")


def test_errors_without_json_go_to_stderr(loaded, capsys):
    from bot.cli import main

    assert main(["estimate", "--employee", "E000001", "--price", "41", "--db", loaded]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sotp: error: an assumed Average Closing Price of $41.00 is above $40.00")


def test_estimate_text_is_for_people(sotp, loaded):
    status, text = sotp("estimate", "--employee", "E000001", "--price", "27.00", "--db", loaded)
    assert status == 0
    assert "$22,376.86" in text and "$20,000.00" in text and "$39,878.49" in text
    assert "First Contingent Payment" in text


def test_a_refused_import_is_an_error_with_its_lines(sotp, write_csv, db_path):
    path = write_csv("e.csv", EMPLOYEES_HEADER, "E1,A,a@example.com,,Narnia,60,employee,active")
    status, out = sotp("import", "employees", str(path), "--db", str(db_path), "--json")
    assert status == 2
    assert "line 2: country 'Narnia' is not a country the Notice names" in out["error"]


def test_calendar_default(sotp):
    assert sotp("calendar", "--json") == (0, {
        "election_deadline": "2003-11-13T00:00:00-05:00",
        "averaging_start": "2003-11-17",
        "averaging_end": "2003-12-09",
        "available_trading_days": 15,
        "terminated": False,
        "jpm_payment_date": "2003-12-12",
        "vesting_dates": ["2005-12-09", "2006-12-09"],
        "expiry_extension_days": 4,
    })


def test_calendar_of_the_real_program(sotp):
    # The real Averaging Period: 2003-11-14 to 2003-12-08, paid 2003-12-11 (domain.md s1);
    # extension: 12-05, 12-06, 12-07 = 3 days.
    status, out = sotp("calendar", "--json", "--averaging-start", "2003-11-14")
    assert status == 0
    assert (out["averaging_start"], out["averaging_end"], out["jpm_payment_date"]) == (
        "2003-11-14", "2003-12-08", "2003-12-11")
    assert out["vesting_dates"] == ["2005-12-08", "2006-12-08"]
    assert out["expiry_extension_days"] == 3


def test_calendar_refuses_a_deadline_past_november_28(sotp):
    status, out = sotp("calendar", "--json", "--deadline", "2003-11-29")
    assert status == 2 and "November 28, 2003" in out["error"]


REAL_CLOSES = ("2003-11-14,25.50", "2003-11-17,25.15", "2003-11-18,25.15", "2003-11-19,25.35",
               "2003-11-20,25.10", "2003-11-21,25.11", "2003-11-24,25.73", "2003-11-25,25.40",
               "2003-11-26,25.45", "2003-12-01,25.84", "2003-12-02,25.66", "2003-12-03,25.67",
               "2003-12-04,26.20", "2003-12-05,25.98", "2003-12-08,26.24")


def test_acp_of_the_real_averaging_period_closes(sotp, write_csv):
    # Sum of the 15 closes = 383.53; 383.53 / 15 = 25.568666... -> rounded UP to 25.5687.
    path = write_csv("closes.csv", "date,close", *REAL_CLOSES)
    assert sotp("acp", str(path), "--json") == (0, {"average_closing_price": "25.5687", "days": 15})


def test_acp_of_a_file_without_header_and_an_exact_mean(sotp, write_csv):
    # (25.00 + 26.00) / 2 = 25.5 exactly: nothing to round up.
    path = write_csv("closes.csv", "2003-11-14,25.00", "2003-11-17,26.00", trailing="\n\n")
    assert sotp("acp", str(path), "--json") == (0, {"average_closing_price": "25.5000", "days": 2})


def test_acp_reports_bad_rows_with_their_lines(sotp, write_csv):
    path = write_csv("closes.csv", "date,close", "2003-11-14,25.50", "2003-11-17,n/a", "2003-11-14,25.60")
    status, out = sotp("acp", str(path), "--json")
    assert status == 2
    assert "line 3: close 'n/a' is not a positive price" in out["error"]
    assert "line 4: 2003-11-14 already appears on line 2" in out["error"]


def test_interest_at_a_constant_rate(sotp):
    # 24 monthly periods from 2003-12-12 to 2005-12-09 (728 days) at 1%, compounded monthly,
    # actual/365: 10,000 x (product of (1 + 0.01 x days/365)) - 10,000 = 201.37 (issue 3's example).
    assert sotp("interest", "--principal", "10000.00", "--from", "2003-12-12", "--to", "2005-12-09",
                "--rate", "0.01", "--json") == (0, {"interest": "201.37", "final_balance": "10201.37", "periods": 24})


def test_interest_with_the_monthly_series_runs_every_month_at_its_rate(sotp):
    status, out = sotp("interest", "--principal", "10000.00", "--from", "2003-12-12", "--to", "2005-12-09", "--json")
    assert status == 0 and out["periods"] == 24
    # Rates rose from 0.91% to 3.97% over the period: more than the 1% constant gives.
    assert float(out["interest"]) > 201.37


def test_interest_refuses_a_percentage_for_a_fraction(sotp):
    status, out = sotp("interest", "--principal", "10000", "--from", "2003-12-12", "--to", "2005-12-09",
                       "--rate", "1", "--json")
    assert status == 2 and "as a fraction" in out["error"]


def test_rulings_and_rates_import_from_the_command_line(sotp, write_csv, db_path):
    status, out = sotp("import", "rulings", str(write_csv("r.csv", "country,status", "Japan,favorable")),
                       "--db", str(db_path), "--json")
    assert (status, out["rows"]) == (0, 1)
    status, out = sotp("import", "rates", str(write_csv("t.csv", "country,top_marginal_rate", "India,0.33")),
                       "--db", str(db_path), "--json")
    assert (status, out["rows"]) == (0, 1)


def test_demo_data_then_calibration_json_has_exactly_the_contract_keys(sotp, tmp_path):
    db = str(tmp_path / "demo.db")
    status, out = sotp("demo-data", "--employees", "300", "--seed", "5", "--db", db, "--json")
    assert status == 0 and out["employees"] == 300
    status, out = sotp("bench", "calibration", "--db", db, "--json")
    assert status == 0
    assert set(out) == {"employees", "eligible_employees", "eligible_options", "totals"}
    assert set(out["totals"]) == {"22.00", "27.00", "32.00", "28.625"}
    assert out["employees"] == 300 and 0 < out["eligible_employees"] < 300
    assert all(v.count(".") == 1 and len(v.split(".")[1]) == 2 for v in out["totals"].values())
