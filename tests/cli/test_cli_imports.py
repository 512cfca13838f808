"""`sotp import`: a dry run says what would change, a large removal asks first, and a big import does not
hold up anyone else's writes."""

from __future__ import annotations

import csv
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import REPO, process_env

from bot import store

EMPLOYEES = """employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,asmith@example.com,U0ALICE,United States,62,employee,active
E2,Bob Jones,bjones@example.com,,United Kingdom,60,employee,active
E3,Carla Diaz,cdiaz@example.com,,Spain,65,employee,active
"""
HEADER = ("employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,"
          "expiration_date,multi_year_grant")
GRANTS = [
    "E1,0001,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0",
    "E1,0002,2002-02-01,NSO,2001,25.00,500,0,0,2012-02-01,0",
    "E2,0101,2000-04-24,NSO,1991,45.00,2000,0,0,2010-04-24,0",
    "E3,0201,1999-07-03,NSO,1991,40.00,800,0,0,2009-07-03,0",
]


@pytest.fixture
def loaded(sotp, tmp_path) -> Path:
    """Three Eligible Employees: Alice (one Eligible Option grant of two), Bob and Carla."""
    path = tmp_path / "sotp.db"
    (tmp_path / "employees.csv").write_text(EMPLOYEES)
    (tmp_path / "grants.csv").write_text("\n".join([HEADER, *GRANTS]) + "\n")
    assert sotp("import", "employees", str(tmp_path / "employees.csv"), "--db", str(path))[0] == 0
    assert sotp("import", "grants", str(tmp_path / "grants.csv"), "--db", str(path))[0] == 0
    return path


def _grants_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "new-grants.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _stored(path: Path) -> list[tuple]:
    db = store.open_db(path)
    rows = db.conn.execute("SELECT employee_id, grant_number, exercise_price FROM grants ORDER BY 1, 2").fetchall()
    db.close()
    return rows


def test_a_dry_run_shows_what_would_change_and_changes_nothing(sotp, loaded, tmp_path):
    # Alice's $33 grant becomes $30 (no longer an Eligible Option), Carla's grant goes, Bob gets a second one.
    new = _grants_file(tmp_path, "E1,0001,2000-04-24,NSO,1991,30.00,1000,0,0,2010-04-24,0", GRANTS[1], GRANTS[2],
                       "E2,0102,2001-01-02,NSO,1991,50.0000,10,0,0,2011-01-02,0")
    before = _stored(loaded)
    status, out, err = sotp("import", "grants", str(new), "--dry-run", "--db", str(loaded))
    assert (status, err) == (0, "")
    assert out == (
        f"Dry run: nothing was written. Importing {new} into {loaded} would change:\n"
        "4 grants stored now, 4 grants in the file: 1 added, 1 changed, 1 removed, 2 unchanged.\n"
        "2 employees would no longer be Eligible Employees: E1, E3.\n")
    assert _stored(loaded) == before


def test_a_dry_run_in_json_lists_who_would_become_eligible(sotp_json, loaded, tmp_path):
    people = tmp_path / "people.csv"
    # Bob becomes a consultant (not an Eligible Employee); a new employee arrives without grants.
    people.write_text(EMPLOYEES.replace("60,employee,active", "60,consultant,active")
                      + "E4,Dan Wu,dwu@example.com,,Canada,61,employee,active\n")
    status, out = sotp_json("import", "employees", str(people), "--dry-run", "--db", str(loaded))
    assert status == 0
    assert out == {"kind": "employees", "file": str(people), "dry_run": True, "before": 3, "after": 4,
                   "added": 1, "changed": 1, "removed": 0, "unchanged": 2, "became_eligible": [],
                   "no_longer_eligible": ["E2"], "notes": []}


def test_the_same_prices_written_differently_are_unchanged(sotp, loaded, tmp_path):
    new = _grants_file(tmp_path, *(g.replace("33.00", "33.0000") for g in GRANTS))
    status, out, _ = sotp("import", "grants", str(new), "--dry-run", "--db", str(loaded))
    assert "4 grants stored now, 4 grants in the file: 0 added, 0 changed, 0 removed, 4 unchanged." in out
    assert "No employee's eligibility would change." in out


def test_an_import_removing_more_than_half_needs_replace(sotp, loaded, tmp_path):
    one = _grants_file(tmp_path, GRANTS[0])
    status, out, err = sotp("import", "grants", str(one), "--db", str(loaded))
    assert (status, out) == (2, "")
    assert err == (f"sotp: error: {one} would remove 3 of the 4 stored grants (more than half); nothing was "
                   "imported. See the change with --dry-run; if it is meant, run the import again with --replace\n")
    assert len(_stored(loaded)) == 4
    status, out, _ = sotp("import", "grants", str(one), "--replace", "--db", str(loaded))
    assert status == 0
    assert out == (f"Imported 1 grant from {one} into {loaded}.\n"
                   "4 grants were stored before, 1 grant in the file: 0 added, 0 changed, 3 removed, 1 unchanged.\n"
                   "2 employees are no longer Eligible Employees: E2, E3.\n")
    assert _stored(loaded) == [("E1", "0001", "33.00")]


def test_removing_half_exactly_does_not_ask(sotp, loaded, tmp_path):
    status, out, _ = sotp("import", "grants", str(_grants_file(tmp_path, *GRANTS[:2])), "--db", str(loaded))
    assert status == 0 and out.startswith("Imported 2 grants from ")


def _answer_on_a_terminal(argv: list[str], answer: bytes) -> tuple[int, bytes]:
    """Run sotp with a pseudo-terminal as stdin and stderr, type the answer, return (status, screen)."""
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot", *argv], stdin=child_fd, stderr=child_fd,
                               stdout=subprocess.PIPE, cwd=REPO, env=process_env())
    os.close(child_fd)
    screen = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in screen and time.monotonic() < deadline:
        ready, _, _ = select.select([main_fd], [], [], 1.0)
        if ready:
            screen += os.read(main_fd, 4096)
    os.write(main_fd, answer)
    try:
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
        os.close(main_fd)
    return process.returncode, screen + out


def test_on_a_terminal_a_large_removal_is_confirmed_by_the_person(loaded, tmp_path):
    one = _grants_file(tmp_path, GRANTS[0])
    status, screen = _answer_on_a_terminal(["import", "grants", str(one), "--db", str(loaded)], b"n\n")
    assert status == 2 and b"This removes 3 of the 4 stored grants. Replace them? [y/N]" in screen
    assert len(_stored(loaded)) == 4
    status, screen = _answer_on_a_terminal(["import", "grants", str(one), "--db", str(loaded)], b"y\n")
    assert status == 0 and b"Imported 1 grant from" in screen
    assert len(_stored(loaded)) == 1


def test_one_row_is_counted_in_the_singular_and_a_new_database_is_private(sotp, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("country,top_marginal_rate\nSpain,0.45\n")
    status, out, _ = sotp("import", "rates", str(rates), "--db", str(tmp_path / "new.db"))
    assert status == 0
    assert out.splitlines()[:2] == [
        f"Imported 1 tax rate from {rates} into {tmp_path / 'new.db'}.",
        "0 tax rates were stored before, 1 tax rate in the file: 1 added, 0 changed, 0 removed, 0 unchanged."]
    assert (tmp_path / "new.db").stat().st_mode & 0o777 == 0o600   # created by the import: owner only


def test_a_replaced_table_keeps_its_indexes_and_leaves_no_staging_table(sotp, loaded, tmp_path):
    for _ in range(2):   # twice: the index names alternate, the indexes stay
        assert sotp("import", "grants", str(_grants_file(tmp_path, *GRANTS)), "--db", str(loaded))[0] == 0
    db = sqlite3.connect(loaded)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    indexed = {tuple(c[2] for c in db.execute(f"PRAGMA index_info('{name}')"))
               for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'grants'")}
    db.close()
    assert not {t for t in tables if t.endswith(("_staging", "_retired"))}
    assert {("employee_id",), ("employee_id", "grant_number")} <= indexed


def test_a_big_import_does_not_hold_up_another_connections_writes(tmp_path):
    """While 300,000 grants are imported in another process, a write with a 1 s busy timeout succeeds."""
    path = tmp_path / "sotp.db"
    db = store.open_db(path)
    people = [(f"E{i:06d}", f"Person {i}", f"p{i}@example.com", None, "United States", 60, "employee", "active")
              for i in range(30_000)]
    store.replace_rows(db, "employees", people, store.EMPLOYEE_COLUMNS)
    db.close()
    grants = tmp_path / "grants.csv"
    with grants.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER.split(","))
        for i in range(300_000):
            writer.writerow([f"E{i % 30_000:06d}", f"{i:08d}", "2000-04-24", "NSO", "1991", "33.00", "100", "0", "0",
                             "2010-04-24", "0"])
    importer = subprocess.Popen([sys.executable, "-m", "bot", "import", "grants", str(grants), "--db", str(path)],
                                cwd=REPO, env=process_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writer_db = sqlite3.connect(path, timeout=1.0, isolation_level=None)
    waits: list[float] = []
    during_staging = 0
    while importer.poll() is None:
        started = time.perf_counter()
        writer_db.execute("INSERT INTO meta (key, value) VALUES ('probe', ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(started),))
        waits.append(time.perf_counter() - started)
        staging = writer_db.execute("SELECT 1 FROM sqlite_master WHERE name = 'grants_staging'").fetchone()
        during_staging += staging is not None
        time.sleep(0.02)
    writer_db.close()
    _, err = importer.communicate()
    assert importer.returncode == 0, err
    assert during_staging > 0   # some writes happened while the import was writing its rows
    print(f"\n{len(waits)} writes during the import, {during_staging} while it wrote; "
          f"longest wait {max(waits) * 1000:.0f} ms")
    db = store.open_db(path)
    assert store.count(db, "grants") == 300_000
    db.close()


def test_an_import_killed_half_way_left_a_staging_table_that_the_next_import_replaces(sotp, loaded, tmp_path):
    db = sqlite3.connect(loaded, isolation_level=None)
    db.execute("CREATE TABLE grants_staging (employee_id TEXT, half_written TEXT)")
    db.execute("INSERT INTO grants_staging VALUES ('E9', 'left by a killed import')")
    db.close()
    assert len(_stored(loaded)) == 4   # the live table was never touched
    assert sotp("import", "grants", str(_grants_file(tmp_path, *GRANTS[:3])), "--db", str(loaded))[0] == 0
    assert [row[:2] for row in _stored(loaded)] == [("E1", "0001"), ("E1", "0002"), ("E2", "0101")]


def test_a_large_old_table_is_retired_in_chunks_and_its_rows_replaced(tmp_path, monkeypatch):
    """Above SMALL_TABLE_ROWS the old table loses its rows a batch at a time, then itself."""
    monkeypatch.setattr(store, "SMALL_TABLE_ROWS", 10)
    monkeypatch.setattr(store, "_BATCH_ROWS", 7)
    db = store.open_db(tmp_path / "sotp.db")
    people = [(f"E{i:03d}", f"P {i}", f"p{i}@example.com", None, "Spain", 60, "employee", "active") for i in range(50)]
    store.replace_rows(db, "employees", people, store.EMPLOYEE_COLUMNS, pause_seconds=0)
    store.replace_rows(db, "employees", people[:30], store.EMPLOYEE_COLUMNS, pause_seconds=0)
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    indexes = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    assert store.employee_ids(db) == [f"E{i:03d}" for i in range(30)]
    assert not {t for t in tables if t.startswith("employees_")}
    assert {"idx_employees_email", "idx_employees_slack"} <= indexes   # back to their names on the 2nd swap
    assert store.employee_by_email(db, "P7@EXAMPLE.COM").employee_id == "E007"
    db.close()


def test_the_person_documents_go_a_batch_at_a_time_before_the_swap_and_are_built_again_after_it(tmp_path,
                                                                                             monkeypatch):
    """Deleted inside the swap, 57,500 documents held the write lock 1.6 s."""
    monkeypatch.setattr(store, "_DOCS_BATCH", 2)
    db = store.open_db(tmp_path / "sotp.db")
    people = [(f"E{i:03d}", f"P {i}", f"p{i}@example.com", None, "Spain", 60, "employee", "active") for i in range(7)]
    grants = [(f"E{i:03d}", f"{i:04d}", "2000-04-24", "NSO", "1991", "45.00", 100, 0, 0, "2010-04-24", 0)
              for i in range(7)]
    store.replace_rows(db, "employees", people, store.EMPLOYEE_COLUMNS, pause_seconds=0)
    store.replace_rows(db, "grants", grants, store.GRANT_COLUMNS, pause_seconds=0)
    assert db.conn.execute("SELECT count(*) FROM person_docs").fetchone()[0] == 7
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    store.replace_rows(db, "grants", grants[:5], store.GRANT_COLUMNS, pause_seconds=0)
    db.conn.set_trace_callback(None)
    swap = next(n for n, s in enumerate(statements) if s.startswith("ALTER TABLE grants RENAME"))
    batches = [s for s in statements[:swap] if s.startswith("DELETE FROM person_docs WHERE employee_id IN")]
    assert len(batches) == 4          # 2 + 2 + 2 + 1 of the 7 documents
    docs = dict(db.conn.execute("SELECT employee_id, doc FROM person_docs").fetchall())
    assert sorted(docs) == [f"E{i:03d}" for i in range(7)]
    assert "0006" not in docs["E006"] and "0004" in docs["E004"]   # E006's grant is gone, E004's kept
    db.close()
