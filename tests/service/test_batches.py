"""Batch writes for planners: outbox rows and audit records in one statement each, same guarantees."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

import bot.db
from bot.audit import AuditEvent, AuditLog
from bot.db import checkpoints_apart, insert_rows, page_cache, path_of, write_transaction
from bot.outbox import Outbound, Outbox, OutboxError

NOW = datetime(2003, 11, 6, 14, 0, tzinfo=timezone.utc)


def row(key: str) -> Outbound:
    return Outbound(key, "email", "pat@example.com", "reminder", {"subject": "s", "text": key}, employee_id="E1")


def test_enqueue_many_returns_only_the_keys_new_to_the_outbox(db):
    outbox = Outbox(db)
    outbox.enqueue(row("reminder:v1:7d:E1:email"), NOW)
    added = outbox.enqueue_many([row("reminder:v1:7d:E1:email"), row("reminder:v1:7d:E2:email"),
                                 row("reminder:v1:7d:E2:email")], NOW)
    assert [r.key for r in added] == ["reminder:v1:7d:E2:email"]
    assert [r.key for r in outbox.rows()] == ["reminder:v1:7d:E1:email", "reminder:v1:7d:E2:email"]
    assert outbox.by_key("reminder:v1:7d:E2:email").payload == {"subject": "s", "text": "reminder:v1:7d:E2:email"}


def test_enqueue_many_refuses_an_unknown_kind_before_writing_anything(db):
    with pytest.raises(OutboxError, match="unknown outbox kind 'gossip'"):
        Outbox(db).enqueue_many([row("k1"), Outbound("k2", "email", "a@b.c", "gossip", {})], NOW)
    assert list(Outbox(db).rows()) == []


def test_record_many_chains_like_one_record_at_a_time(db):
    audit = AuditLog(db)
    events = [AuditEvent(NOW, "out", "reminder", "email", "pat@example.com", f"E{i}", "reminder:7d", (), None,
                         f"reminder {i}") for i in range(5)]
    audit.record(events[0])
    assert audit.record_many(events[1:]) == 5
    assert [e.text for e in audit.all()] == [f"reminder {i}" for i in range(5)]
    assert audit.verify().ok and audit.verify().records == 5


def test_insert_rows_in_chunks_inserts_what_executemany_does_in_order(db, monkeypatch):
    monkeypatch.setattr(bot.db, "ROWS_PER_INSERT", 3)
    rows = [(f"reminder:v1:7d:E{i}:email", i) for i in range(10)]
    db.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, n INTEGER)")
    assert insert_rows(db, "INSERT INTO t (k, n)", rows) == 10
    assert db.conn.execute("SELECT id, k, n FROM t ORDER BY id").fetchall() == [
        (i + 1, k, n) for i, (k, n) in enumerate(rows)]


def test_insert_rows_counts_only_the_rows_its_conflict_clause_did_not_skip(db, monkeypatch):
    monkeypatch.setattr(bot.db, "ROWS_PER_INSERT", 2)
    db.conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)")
    db.conn.execute("INSERT INTO t VALUES ('b', 0)")
    assert insert_rows(db, "INSERT INTO t (k, n)", [("a", 1), ("b", 2), ("c", 3)],
                       on_conflict="ON CONFLICT DO NOTHING") == 2
    assert db.conn.execute("SELECT k, n FROM t ORDER BY k").fetchall() == [("a", 1), ("b", 0), ("c", 3)]


def test_record_many_in_several_statements_fires_the_chain_triggers_for_every_record(db, monkeypatch):
    monkeypatch.setattr(bot.db, "ROWS_PER_INSERT", 4)
    audit = AuditLog(db)
    events = [AuditEvent(NOW, "out", "reminder", "email", "pat@example.com", f"E{i}", "reminder:7d", (), None,
                         f"reminder {i}") for i in range(10)]
    assert audit.record_many(events) == 10
    assert db.conn.execute("SELECT last_id, records FROM audit_head").fetchone() == (10, 10)
    assert audit.verify().ok and audit.verify().records == 10


def test_enqueue_many_finds_a_known_key_in_a_later_statement_and_adds_only_the_others(db, monkeypatch):
    monkeypatch.setattr(bot.db, "ROWS_PER_INSERT", 2)
    outbox = Outbox(db)
    outbox.enqueue(row("k4"), NOW)
    added = outbox.enqueue_many([row(f"k{i}") for i in range(1, 6)], NOW)
    assert [r.key for r in added] == ["k1", "k2", "k3", "k5"]
    assert [(r.id, r.key) for r in outbox.rows()] == [(1, "k4"), (2, "k1"), (3, "k2"), (4, "k3"), (5, "k5")]


def test_page_cache_is_raised_for_the_block_and_then_as_it_was(db):
    db.conn.execute("PRAGMA cache_size = -2000")
    with page_cache(db, 16384):
        assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == -16384
    assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000


def test_page_cache_never_lowers_a_larger_cache(db):
    db.conn.execute("PRAGMA cache_size = 10000")      # pages: 40,000 KiB of 4 KiB pages
    with page_cache(db, 16384):
        assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == 10000
    assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == 10000


def _big_commit(db) -> None:
    with write_transaction(db):
        db.conn.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        db.conn.executemany("INSERT INTO filler VALUES (?)", [(b"x" * 4000,) for _ in range(300)])


def test_a_commit_inside_checkpoints_apart_reaches_the_database_file_from_the_checkpoint_thread(db):
    _big_commit(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    path = path_of(db)
    with checkpoints_apart(db, every=60) as committed:
        assert db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        size = path.stat().st_size
        _big_commit(db)                     # 1.2 MB in the WAL: under the 1,000 pages of an automatic one
        assert path.stat().st_size == size
        committed()
        waited = 0.0
        while path.stat().st_size == size and waited < 10:
            time.sleep(0.02)
            waited += 0.02
        assert path.stat().st_size >= size + 300 * 4000


def test_checkpoints_apart_puts_the_automatic_checkpoint_back_and_stops_its_thread_after_an_error(db):
    db.conn.execute("PRAGMA wal_autocheckpoint = 500")
    with pytest.raises(RuntimeError, match="planner failed"):
        with checkpoints_apart(db):
            raise RuntimeError("planner failed")
    assert db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 500
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoints"]
