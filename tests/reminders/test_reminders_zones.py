"""The employee's own time zone (the optional `time_zone` column of employees.csv) over the country's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import countries, store
from bot.imports import ImportRefused, import_file
from bot.reminders.zones import country_zones, zone_for, zone_or_none

HEADER = "employee_id,name,email,slack_user_id,country,level,worker_type,status"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "employees.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_country_the_notice_names_has_a_valid_default_zone():
    names = {c.name for c in countries.all_countries()}
    assert set(country_zones()) == names
    assert all(zone_or_none(zone) is not None for zone in country_zones().values())


def test_the_employees_import_keeps_a_time_zone_column(tmp_path):
    db = store.open_db(tmp_path / "sotp.db")
    import_file(db, "employees", write(tmp_path, f"{HEADER},time_zone\n"
                                                 "E1,Pat Lee,pat@example.com,,United States,62,employee,active,America/New_York\n"
                                                 "E2,Ana Ruiz,ana@example.com,,Spain,60,employee,active,\n"))
    assert store.time_zones(db) == {"E1": "America/New_York"}


def test_an_employees_file_without_the_column_still_imports(tmp_path):
    db = store.open_db(tmp_path / "sotp.db")
    result = import_file(db, "employees", write(tmp_path, f"{HEADER}\nE1,Pat Lee,pat@example.com,,United States,62,employee,active\n"))
    assert result.rows == 1 and store.time_zones(db) == {}


def test_an_unknown_time_zone_refuses_the_file_with_its_line(tmp_path):
    db = store.open_db(tmp_path / "sotp.db")
    with pytest.raises(ImportRefused, match="line 2: time_zone 'Mars/Base' is not an IANA time zone"):
        import_file(db, "employees", write(tmp_path, f"{HEADER},time_zone\n"
                                                     "E1,Pat Lee,pat@example.com,,United States,62,employee,active,Mars/Base\n"))
    assert store.count(db, "employees") == 0


def test_an_employees_own_zone_wins_over_the_deployments_and_the_shipped_table():
    assert zone_for("United States", "America/Chicago", {"United States": "America/New_York"}).key == "America/Chicago"
    assert zone_for("United States", None, {"United States": "America/New_York"}).key == "America/New_York"
    assert zone_for("United States", None, {}).key == "America/Los_Angeles"
    assert zone_for("India", "", {}).key == "Asia/Kolkata"


def test_a_planned_reminder_shows_the_deadline_in_the_employees_own_zone(world):
    from reminders_world import at

    eid = world.cases["japan"]
    world.db.conn.execute("UPDATE employees SET time_zone = 'Asia/Tokyo' WHERE employee_id = ?", (eid,))
    other = world.cases["participating"]
    world.db.conn.execute("UPDATE employees SET time_zone = 'America/New_York' WHERE employee_id = ?", (other,))
    report = world.planner().run(at("2003-11-06T09:00-05:00"), dry_run=True, employee=other)
    assert "In your time zone (America/New_York, EST): Thursday, November 13, 2003 at 12:00 AM." \
        in report.messages[0].text
    report = world.planner().run(at("2003-11-06T09:00-05:00"), dry_run=True, employee=eid)
    assert "In your time zone (Asia/Tokyo, JST): Thursday, November 13, 2003 at 2:00 PM." in report.messages[0].text
