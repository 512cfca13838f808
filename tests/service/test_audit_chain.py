"""The audit trail is append-only for real: REPLACE refused, edits and removals named by verify()."""

from __future__ import annotations

import csv
import io
import sqlite3
import stat
from datetime import datetime, timezone

import pytest

from bot.audit import AuditEvent, AuditLog
from bot.db import connect
from bot.store import open_db

AT = datetime(2003, 11, 3, 17, 4, 5, tzinfo=timezone.utc)


def event(text: str = "Am I eligible?") -> AuditEvent:
    return AuditEvent(AT, "in", "message", "email", "jane@microsoft.com", "E1001", "faq", ("q3",), None, text)


def three(db) -> AuditLog:
    log = AuditLog(db)
    for text in ("first", "second", "third"):
        log.record(event(text))
    return log


def drop_protection(db) -> None:
    for name in ("audit_no_update", "audit_no_delete", "audit_in_order", "audit_advance_head"):
        db.conn.execute(f"DROP TRIGGER {name}")


def test_an_intact_trail_verifies(db):
    result = three(db).verify()
    assert (result.ok, result.records, result.problem, result.record_id) == (True, 3, None, None)


def test_insert_or_replace_of_an_existing_record_is_refused(db):
    three(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("INSERT OR REPLACE INTO audit (id, at, direction, kind, channel, address, sections, text, "
                        "prev_hash, hash) VALUES (2, '2003-11-01T00:00:00.000000Z', 'in', 'message', 'email', 'x', "
                        "'[]', 'back-dated', '', '')")
    assert [e.text for e in AuditLog(db).all()] == ["first", "second", "third"]


def test_a_record_inserted_below_the_last_id_is_refused(db):
    log = three(db)
    with pytest.raises(sqlite3.IntegrityError, match="added after the last one"):
        db.conn.execute("INSERT INTO audit (id, at, direction, kind, channel, address, sections, text, prev_hash, "
                        "hash) VALUES (0, '2003-11-01T00:00:00.000000Z', 'in', 'message', 'email', 'x', '[]', 'x', "
                        "'', '')")
    assert log.verify().ok


def test_a_hand_edited_record_is_named_by_verify(db):
    log = three(db)
    drop_protection(db)
    db.conn.execute("UPDATE audit SET text = 'edited' WHERE id = 2")
    result = log.verify()
    assert (result.ok, result.record_id, result.problem) == (False, 2, "record 2 was changed after it was written")


def test_a_removed_record_is_named_by_verify(db):
    log = three(db)
    drop_protection(db)
    db.conn.execute("DELETE FROM audit WHERE id = 2")
    result = log.verify()
    assert (result.ok, result.record_id) == (False, 3)
    assert result.problem == "the record(s) before record 3 were removed, or record 3 was inserted out of order"


def test_removing_the_last_records_is_caught_by_the_head_record(db):
    log = three(db)
    drop_protection(db)
    db.conn.execute("DELETE FROM audit WHERE id = 3")
    assert log.verify().problem == "records after record 2 were removed (the trail ended at record 3)"


def test_removed_triggers_are_reported_even_with_the_chain_intact(db):
    log = three(db)
    db.conn.execute("DROP TRIGGER audit_no_delete")
    result = log.verify()
    assert not result.ok and result.problem.endswith("protection triggers were removed: audit_no_delete")


def test_a_dropped_audit_table_is_reported_and_not_silently_recreated(db_path):
    db = open_db(db_path)
    three(db)
    db.conn.execute("DROP TABLE audit")
    db.close()
    again = connect(db_path)
    assert again.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit'").fetchone() is None
    assert AuditLog(again).verify().problem == "the audit table is missing: it was dropped or renamed"


def test_csv_cells_that_would_run_as_formulas_are_prefixed_with_an_apostrophe(db):
    log = AuditLog(db)
    log.record(event('=HYPERLINK("http://evil.example","click")'))
    log.record(event("+1 555 0100"))
    log.record(event("@SUM(A1)"))
    log.record(event("-2+3"))
    out = io.StringIO()
    log.export(None, "csv", out)
    texts = [row["text"] for row in csv.DictReader(io.StringIO(out.getvalue()))]
    assert texts == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'+1 555 0100", "'@SUM(A1)", "'-2+3"]


def test_the_csv_export_shows_terminal_escapes_instead_of_passing_them_on(db):
    log = AuditLog(db)
    log.record(event("ok\x1b[2K\x1b[1Afake line"))
    out = io.StringIO()
    log.export(None, "csv", out)
    assert next(csv.DictReader(io.StringIO(out.getvalue())))["text"] == "ok\\x1b[2K\\x1b[1Afake line"


def test_a_new_database_is_readable_by_its_owner_only(db_path):
    open_db(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


# The first release's tables, as it created them (ticket-only outbox, audit without hashes).
FIRST_RELEASE = """
CREATE TABLE tickets (number INTEGER PRIMARY KEY AUTOINCREMENT, requester_employee_id TEXT,
    requester_address TEXT NOT NULL COLLATE NOCASE, channel TEXT NOT NULL, category TEXT NOT NULL, text TEXT NOT NULL,
    status TEXT NOT NULL, assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    last_staff_reply_at TEXT, resolved_at TEXT, resolution_note TEXT);
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_number INTEGER NOT NULL, channel TEXT NOT NULL,
    address TEXT NOT NULL COLLATE NOCASE, employee_id TEXT, text TEXT NOT NULL, created_at TEXT NOT NULL,
    delivered_at TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, direction TEXT NOT NULL,
    kind TEXT NOT NULL, channel TEXT NOT NULL, address TEXT NOT NULL, employee_id TEXT, intent TEXT,
    sections TEXT NOT NULL DEFAULT '[]', ticket TEXT, text TEXT NOT NULL);
INSERT INTO tickets VALUES (1, 'E1', 'cli:E1', 'cli', 'other', 'help', 'claimed', 'Pat',
    '2003-11-03T17:00:00.000000Z', '2003-11-03T17:00:00.000000Z', NULL, NULL, NULL);
INSERT INTO outbox VALUES (1, 1, 'cli', 'cli:E1', 'E1', 'We re-sent it.', '2003-11-03T18:00:00.000000Z', NULL);
INSERT INTO audit VALUES (1, '2003-11-03T17:00:00.000000Z', 'in', 'message', 'cli', 'cli:E1', 'E1', 'other', '[]',
    NULL, 'help');
INSERT INTO audit VALUES (2, '2003-11-03T17:00:00.000000Z', 'out', 'reply', 'cli', 'cli:E1', 'E1', 'other', '[]',
    'CC-000001', 'Opened CC-000001');
"""


def test_a_first_release_database_is_migrated_keeping_its_records(db_path):
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path)
    raw.executescript(FIRST_RELEASE)
    raw.close()
    db = open_db(db_path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] >= 7
    [row] = db.conn.execute("SELECT key, kind, status, payload FROM outbox").fetchall()
    assert row == ("staff:v1:1", "staff-reply", "pending", '{"ticket":"CC-000001","text":"We re-sent it."}')
    log = AuditLog(db)
    assert [e.text for e in log.all()] == ["help", "Opened CC-000001"]
    assert log.verify().ok and log.verify().records == 2


def test_opening_an_up_to_date_database_does_not_wait_for_the_write_lock(db_path):
    open_db(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        db = connect(db_path, busy_timeout_ms=50)
        assert db.conn.execute("SELECT count(*) FROM employees").fetchone() == (0,)
    finally:
        holder.execute("ROLLBACK")


def test_migrations_are_numbered_one_after_another():
    from bot.schema import _migrations

    # A gap or a step back would let a database skip a migration that lands later.
    assert [m.version for m in _migrations()] == list(range(1, len(_migrations()) + 1))
