"""Person documents (migration 19): each person's estimate input stored as one value, kept by triggers.

A read uses the document when there is one, so every kind of write must delete the documents it
makes wrong; each test below fails if the trigger it names is removed. Without a document the
value is built from the rows, so a missing one costs time, never a wrong answer.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from data_files import EMPLOYEES_HEADER, GRANTS_HEADER

from bot import demo, store
from bot.imports import import_file
from bot.schema import latest_version

PERSON_TRIGGERS = {
    "grants": {"person_docs_grant_inserted", "person_docs_grant_deleted", "person_docs_grant_updated"},
    "employees": {"person_docs_employee_inserted", "person_docs_employee_deleted", "person_docs_employee_updated"},
}


def _load(db, write_csv):
    import_file(db, "employees", write_csv("e.csv", EMPLOYEES_HEADER,
                                           "E000001,Alice Smith,alice@example.com,U0ALICE01,US,62,employee,active",
                                           "E000002,Bob Jones,bjones@example.com,,UK,60,employee,active",
                                           "E000003,Cy Wu,cy@example.com,,France,58,employee,active"))
    import_file(db, "grants", write_csv("g.csv", GRANTS_HEADER,
                                        "E000001,0002,2000-07-03,NSO,1991,40.00,100,0,0,2010-07-02,0",
                                        "E000001,0001,1999-07-06,NSO,1991,42.9063,200,0,0,2006-07-05,0",
                                        "E000002,0003,2000-07-03,NSO,2001,35.00,300,0,0,2010-07-02,1"))


def _docs(db) -> dict[str, str]:
    return dict(db.conn.execute("SELECT employee_id, doc FROM person_docs"))


def _built(db, eid: str) -> str | None:
    row = db.conn.execute(store._PERSON_SELECT, (eid,)).fetchone()
    return None if row is None else row[0]


def _plain(db, eid: str):
    employee = store.employee(db, eid)
    return None if employee is None else (employee, store.grants_for(db, eid))


def _reads_right(db, *eids: str) -> None:
    for eid in eids:
        for _ in range(2):   # the second read comes from the records of the first
            assert store.employee_with_grants(db, eid) == _plain(db, eid)


def test_imports_fill_each_persons_document_with_the_value_their_rows_give(db, write_csv):
    _load(db, write_csv)
    assert _docs(db) == {eid: _built(db, eid) for eid in ("E000001", "E000002", "E000003")}
    assert json.loads(_docs(db)["E000003"])[1] == []


def test_the_stored_document_is_what_is_read(db, write_csv):
    _load(db, write_csv)
    person, grants = json.loads(_docs(db)["E000001"])
    person[1] = "Name From The Document"
    db.conn.execute("UPDATE person_docs SET doc = ? WHERE employee_id = 'E000001'", (json.dumps([person, grants]),))
    employee, read = store.employee_with_grants(db, "E000001")
    assert employee.name == "Name From The Document"
    assert read == store.grants_for(db, "E000001")


def test_without_documents_people_read_as_their_rows(db, write_csv):
    _load(db, write_csv)
    db.conn.execute("DELETE FROM person_docs")
    _reads_right(db, "E000001", "E000002", "E000003")
    assert store.employee_with_grants(db, "E000009") is None
    assert _docs(db) == {}   # a read never writes


GRANT = ("INSERT INTO grants ({}) VALUES ({})"
         .format(", ".join(store.GRANT_COLUMNS), ", ".join("?" * len(store.GRANT_COLUMNS))))
EMPLOYEE = ("INSERT INTO employees ({}) VALUES ({})"
            .format(", ".join(store.EMPLOYEE_COLUMNS), ", ".join("?" * len(store.EMPLOYEE_COLUMNS))))

# Each write, the trigger that must delete the documents it changes, and the people whose reads change.
WRITES = {
    "a grant added": (
        "person_docs_grant_inserted", ("E000003",),
        [(GRANT, ("E000003", "0009", "2001-01-02", "NSO", "2001", "45.00", 50, 0, 0, "2011-01-01", 0))]),
    "a grant's figures changed": (
        "person_docs_grant_updated", ("E000001",),
        [("UPDATE grants SET exercised = 150, exercise_price = '41.00' "
          "WHERE employee_id = 'E000001' AND grant_number = '0001'", ())]),
    "a grant deleted": (
        "person_docs_grant_deleted", ("E000001",),
        [("DELETE FROM grants WHERE employee_id = 'E000001' AND grant_number = '0002'", ())]),
    "a grant moved to another employee": (
        "person_docs_grant_updated", ("E000001", "E000002"),
        [("UPDATE grants SET employee_id = 'E000002' WHERE employee_id = 'E000001' AND grant_number = '0002'", ())]),
    "an employee's level changed": (
        "person_docs_employee_updated", ("E000001",),
        [("UPDATE employees SET level = 64 WHERE employee_id = 'E000001'", ())]),
    "an employee's country changed": (
        "person_docs_employee_updated", ("E000002",),
        [("UPDATE employees SET country = 'France' WHERE employee_id = 'E000002'", ())]),
    "an employee's id changed": (
        "person_docs_employee_updated", ("E000001", "E000007"),
        [("UPDATE employees SET employee_id = 'E000007' WHERE employee_id = 'E000001'", ())]),
    "an employee deleted": (
        "person_docs_employee_deleted", ("E000002",),
        [("DELETE FROM employees WHERE employee_id = 'E000002'", ())]),
    "an employee added where a document was left": (
        "person_docs_employee_inserted", ("E000008",),
        [("INSERT INTO person_docs SELECT 'E000008', doc FROM person_docs WHERE employee_id = 'E000003'", ()),
         (EMPLOYEE, ("E000008", "Di Roe", "di@example.com", None, "United Kingdom", 61, "employee", "active"))]),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_each_write_deletes_the_documents_it_changes(db, write_csv, write):
    _trigger, people, statements = WRITES[write]
    _load(db, write_csv)
    for eid in people:
        store.employee_with_grants(db, eid)   # the records of the document, cached
    with db.atomic():
        for sql, parameters in statements:
            db.conn.execute(sql, parameters)
    docs = _docs(db)
    assert not set(people) & set(docs)
    assert all(docs[eid] == _built(db, eid) for eid in docs)   # the others are untouched and still right
    _reads_right(db, *people, "E000001", "E000002", "E000003")
    store.fill_person_docs(db)
    assert _docs(db) == {eid: _built(db, eid) for eid in store.employee_ids(db)}
    _reads_right(db, *people)


def test_an_update_of_a_column_outside_the_document_keeps_it_right(db, write_csv):
    _load(db, write_csv)
    db.conn.execute("UPDATE employees SET time_zone = 'Asia/Tokyo' WHERE employee_id = 'E000001'")
    store.fill_person_docs(db)
    assert _docs(db)["E000001"] == _built(db, "E000001")


def test_imports_keep_the_triggers_on_the_tables_they_swap_in(db, write_csv):
    _load(db, write_csv)
    _load(db, write_csv)   # a second import of each kind goes through the staging table
    triggers = set(db.conn.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE 'person_docs_%'"))
    assert triggers == {(table, name) for table, names in PERSON_TRIGGERS.items() for name in names}
    db.conn.execute("DELETE FROM grants WHERE employee_id = 'E000001' AND grant_number = '0001'")
    assert "E000001" not in _docs(db)
    _reads_right(db, "E000001")


def test_reimporting_grants_replaces_every_document(db, write_csv):
    _load(db, write_csv)
    import_file(db, "grants", write_csv("g2.csv", GRANTS_HEADER,
                                        "E000003,0001,1999-07-06,NSO,1991,42.9063,200,0,0,2006-07-05,0"))
    assert _docs(db) == {eid: _built(db, eid) for eid in ("E000001", "E000002", "E000003")}
    assert json.loads(_docs(db)["E000001"])[1] == []
    _reads_right(db, "E000001", "E000002", "E000003")


def test_the_documents_are_filled_in_short_transactions_too(db, monkeypatch):
    rows = [(f"E{i:06d}", f"P {i}", f"p{i}@example.com", None, "United States", 60, "employee", "active")
            for i in range(10)]
    db.conn.executemany(EMPLOYEE, rows)
    monkeypatch.setattr(store, "_FILL_BATCH_PEOPLE", 3)
    assert store.fill_person_docs(db, chunk_seconds=0.0, pause_seconds=0.0) == 10
    assert _docs(db) == {eid: _built(db, eid) for eid, *_ in rows}
    assert store.fill_person_docs(db, chunk_seconds=0.0, pause_seconds=0.0) == 0


def test_documents_of_values_json_prints_differently_read_as_their_rows(db, write_csv):
    """A REAL or text where an INTEGER belongs: the document holds what JSON printed, the records
    are those of the plain row reads (as without documents)."""
    _load(db, write_csv)
    db.conn.execute(EMPLOYEE, ("E000010", 'Zoë "Q" O\\Brien\n', "z@example.com", None, "United States", 62.0,
                               "employee", "active"))
    db.conn.execute(GRANT, ("E000010", "0001", "2000-07-03", "NSO", "1991", "40.00", 100.5, 0, 0, "2010-07-02", 0))
    store.fill_person_docs(db)
    assert "E000010" in _docs(db)
    _reads_right(db, "E000010")


def test_the_demo_build_fills_every_document(db):
    demo.build(db, 40, 7)
    assert _docs(db) == {eid: _built(db, eid) for eid in store.employee_ids(db)}


def test_the_migration_fills_the_documents_of_an_older_database(db_path, write_csv):
    db = store.open_db(db_path)
    _load(db, write_csv)
    for (name,) in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE 'person_docs_%'").fetchall():
        db.conn.execute(f"DROP TRIGGER {name}")
    db.conn.execute("DROP TABLE person_docs")
    db.conn.execute("PRAGMA user_version = 18")
    db.close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'person_docs'").fetchone() is None
    raw.close()
    db = store.open_db(db_path)
    try:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == latest_version() >= 19
        assert _docs(db) == {eid: _built(db, eid) for eid in ("E000001", "E000002", "E000003")}
        db.conn.execute("UPDATE employees SET level = 63 WHERE employee_id = 'E000003'")
        assert "E000003" not in _docs(db)
        _reads_right(db, "E000001", "E000002", "E000003")
    finally:
        db.close()
