"""The demo population: deterministic, valid under the import rules, covering every case."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from bot import countries, demo, figures, store
from bot.figures import eligibility_for
from bot.imports import import_file

N = 400   # the showcase (about 120 people) plus random people; the 57,500 default belongs to the bench


@pytest.fixture(scope="module")
def population():
    return demo.generate(N, 11)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    summary = demo.build_at(path, N, 11)
    db = store.open_db(path)
    yield db, summary
    db.close()


def test_the_same_seed_gives_the_same_rows(population):
    assert demo.generate(N, 11) == population


def test_another_seed_gives_other_rows(population):
    assert demo.generate(N, 12) != population


def test_employee_ids_and_slack_ids_look_real(population):
    employees, _ = population
    assert [e[0] for e in employees[:3]] == ["E000001", "E000002", "E000003"]
    slack = [e[3] for e in employees if e[3]]
    assert len(slack) == 300 and len(set(slack)) == 300
    assert all(re.fullmatch(r"U0[A-Z0-9]{7}", s) for s in slack)
    emails = [e[2] for e in employees]
    assert len({e.lower() for e in emails}) == len(emails)


def test_levels_run_from_54_to_80(population):
    employees, _ = population
    assert all(54 <= e[5] <= 80 for e in employees)


def test_the_rows_pass_the_import_rules(population, tmp_path, db):
    """Written out as CSV, the demo population imports cleanly: it obeys every rule a real file must."""
    employees, grants = population
    for name, columns, rows in (("employees.csv", store.EMPLOYEE_COLUMNS, employees),
                                ("grants.csv", store.GRANT_COLUMNS, grants)):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
    assert import_file(db, "employees", tmp_path / "employees.csv").rows == N
    assert import_file(db, "grants", tmp_path / "grants.csv").rows == len(grants)


def test_every_kind_of_grant_and_person_is_present(population):
    employees, grants = population
    kinds = Counter((g[3], g[4]) for g in grants)
    assert {("ISO", "1991"), ("NSO", "1991"), ("NSO", "2001"), ("SAR", "sar1997"), ("NSO", "visio"),
            ("NSO", "navision"), ("NSO", "director")} <= set(kinds)
    assert any(g[10] == 1 for g in grants)                     # Multi-Year Grant Options
    assert any(g[6] == g[7] + g[8] for g in grants)            # nothing outstanding
    assert {"2004-02-28", "2004-02-29"} <= {g[9] for g in grants}
    assert {"leave", "terminated"} <= {e[7] for e in employees}
    assert {"advisor", "consultant", "director"} <= {e[6] for e in employees}
    assert any(float(g[5]) < 33 for g in grants)


def test_every_country_special_group_and_two_step_country_has_an_eligible_employee(demo_db):
    db, _ = demo_db
    eligible_by_country: dict[str, list[int]] = {}
    for employee in store.employees(db):
        if eligibility_for(db, employee.employee_id).eligible:
            eligible_by_country.setdefault(employee.country, []).append(employee.level)
    for country in countries.all_countries():
        if country.excluded:
            assert country.name not in eligible_by_country
            continue
        assert country.name in eligible_by_country, country.name
        if country.payment_group in ("immediate", "tax_rate", "ruling"):
            levels = eligible_by_country[country.name]
            assert min(levels) <= 67 < max(levels), country.name


def test_building_reports_what_it_wrote(demo_db):
    db, summary = demo_db
    assert summary.employees == store.count(db, "employees") == N
    assert summary.grants == store.count(db, "grants")


def test_eligible_employees_of_the_demo_population_are_eligible_peoples(demo_db):
    db, _ = demo_db
    people = [e for e, _ in figures.eligible_people(db)]
    assert len(people) > 100
    assert figures.eligible_employees(db) == people
