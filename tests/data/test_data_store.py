"""The store: WAL, indexes, and read helpers that find people the way channels look them up."""

from __future__ import annotations

from decimal import Decimal

from data_files import EMPLOYEES_HEADER, GRANTS_HEADER

from bot import figures, store
from bot.imports import import_file


def _load(db, write_csv):
    import_file(db, "employees", write_csv("e.csv", EMPLOYEES_HEADER,
                                           "E000001,Alice Smith,Alice.Smith@Example.com,U0ALICE01,US,62,employee,active",
                                           "E000002,Bob Jones,bjones@example.com,,UK,60,employee,active"))
    import_file(db, "grants", write_csv("g.csv", GRANTS_HEADER,
                                        "E000001,0002,2000-07-03,NSO,1991,40.00,100,0,0,2010-07-02,0",
                                        "E000001,0001,1999-07-06,NSO,1991,42.9063,200,0,0,2006-07-05,0"))


def test_the_database_is_in_wal_mode_with_the_lookup_indexes(db):
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {row[1] for row in db.conn.execute("SELECT * FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_employees_email", "idx_employees_slack", "idx_grants_employee"} <= indexes


def test_an_email_is_found_whatever_its_case(db, write_csv):
    _load(db, write_csv)
    assert store.employee_by_email(db, "alice.smith@example.COM").employee_id == "E000001"
    assert store.employee_by_email(db, "nobody@example.com") is None


def test_a_slack_id_finds_its_employee(db, write_csv):
    _load(db, write_csv)
    assert store.employee_by_slack_id(db, "U0ALICE01").name == "Alice Smith"
    assert store.employee_by_slack_id(db, "U0NOBODY1") is None


def test_an_employee_comes_with_grants_in_date_order(db, write_csv):
    _load(db, write_csv)
    employee, grants = store.employee_with_grants(db, "E000001")
    assert employee.country == "United States"
    assert [(g.grant_number, g.exercise_price) for g in grants] == [("0001", Decimal("42.9063")),
                                                                    ("0002", Decimal("40.00"))]
    assert store.employee_with_grants(db, "E000002")[1] == []
    assert store.employee_with_grants(db, "E000003") is None


def test_without_imported_rates_the_shipped_table_applies(db):
    rates = store.rates(db)
    assert rates["Canada"] == Decimal("0.29") and rates["Spain"] == Decimal("0.45")


def test_each_import_changes_the_version_stamp_of_its_kind(db, write_csv):
    before = store.version(db, "grants")
    _load(db, write_csv)
    assert store.version(db, "grants") != before


def test_eligible_employees_are_eligible_people_without_their_grants(db, write_csv):
    """Candidates by the SQL pre-filter that are no Eligible Option (a price just under $33, an early
    expiration) keep their holders out unless they hold another; terminated people stay out."""
    import_file(db, "employees", write_csv("e.csv", EMPLOYEES_HEADER,
                                           "E000001,Ann Lee,ann@example.com,,US,62,employee,active",
                                           "E000002,Bo Chan,bo@example.com,,US,62,employee,active",
                                           "E000003,Cy Diaz,cy@example.com,,US,62,employee,active",
                                           "E000004,Di Earl,di@example.com,,US,62,employee,terminated",
                                           "E000005,Ed Fox,ed@example.com,,US,62,employee,leave"))
    import_file(db, "grants", write_csv("g.csv", GRANTS_HEADER,
                                        "E000001,0001,1999-07-06,NSO,1991,32.9950,100,0,0,2006-07-05,0",
                                        "E000002,0001,1999-07-06,NSO,1991,40.00,100,0,0,2004-02-28,0",
                                        "E000002,0002,1999-07-06,NSO,1991,32.9950,100,0,0,2006-07-05,0",
                                        "E000003,0001,1999-07-06,NSO,1991,32.9950,100,0,0,2006-07-05,0",
                                        "E000003,0002,2000-07-03,NSO,1991,40.00,100,0,0,2004-02-29,0",
                                        "E000004,0001,2000-07-03,NSO,1991,40.00,100,0,0,2010-07-02,0",
                                        "E000005,0001,2000-07-03,NSO,2001,45.00,100,0,0,2010-07-02,0"))
    assert [e.employee_id for e in figures.eligible_employees(db)] == ["E000003", "E000005"]
    assert figures.eligible_employees(db) == [e for e, _ in figures.eligible_people(db)]


def test_the_one_value_read_gives_what_the_plain_reads_give(db, write_csv):
    """employee_with_grants reads a person as one JSON value: whatever the columns hold (text JSON must
    escape, a REAL or text where an INTEGER belongs), its records are those of the plain row reads."""
    _load(db, write_csv)
    insert = "INSERT INTO {} ({}) VALUES ({})".format
    db.conn.executemany(insert("employees", ", ".join(store.EMPLOYEE_COLUMNS), ", ".join("?" * 8)), [
        ("E000010", 'Zoë "Q" O\\Brien\n\t\u2028', "z@example.com", None, "United States", 62.0, "employee", "active"),
        ("E000011", "Ann Lee", "a@example.com", "", "United States", 62.5, "employee", "active"),
        ("E000012", "Bo Chan", "b@example.com", "U0BO", "United States", "63", "employee", "leave"),
    ])
    db.conn.executemany(insert("grants", ", ".join(store.GRANT_COLUMNS), ", ".join("?" * 11)), [
        ("E000010", "0002", "2000-07-03", "NSO", "1991", "40.00", 100, 0, 0, "2010-07-02", 1),
        ("E000010", "0010", "1999-07-06", "NSO", "1991", "42.9063", 200, 0, 0, "2006-07-05", 0),
        ("E000010", "0009", "1999-07-06", "ISO", "2001", "33.0000", 300, 1, 2, "2006-07-05", 0),
        ("E000011", "0001", "2000-07-03", "NSO", "1991", "40.00", 100.5, 0, 0, "2010-07-02", 0),
        ("E000012", "0001", "2000-07-03", "SAR", "sar1997", "35.5", 100, 0, 0, "2010-07-02", 0),
    ])
    for eid in ("E000001", "E000002", "E000010", "E000011", "E000012"):
        for _ in range(2):   # the second read comes from the records of the first
            employee, grants = store.employee_with_grants(db, eid)
            assert employee == store.employee(db, eid)
            assert grants == store.grants_for(db, eid)
            assert [type(v) for v in (employee.level, *(g.granted for g in grants))] == \
                [type(store.employee(db, eid).level), *(type(g.granted) for g in store.grants_for(db, eid))]
