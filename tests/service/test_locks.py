"""A database held by another writer: retried with backoff, then a clean error; nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.audit import AuditLog
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[2]
HOLD = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
""")


def sotp(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, cwd=ROOT, env=env, timeout=60)


def test_a_lock_held_for_ten_seconds_and_more_ends_sotp_ask_with_one_clean_line_and_exit_2(db_path):
    # The holder keeps the lock until sotp ask has given up (about 6.5 s of retries), however slow the machine.
    open_db(db_path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        done = sotp("ask", "--db", str(db_path), "--json", "when is the deadline?")
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert f"the database {db_path} is busy (another program is writing to it)" in error
    assert b"Traceback" not in done.stderr
    assert list(AuditLog(open_db(db_path)).all()) == []


def test_invalid_utf8_in_the_question_argument_is_answered(db_path):
    open_db(db_path).close()
    question = b"when is the deadline \xff\xfe?".decode("utf-8", "surrogateescape")
    done = sotp("ask", "--db", str(db_path), "--json", question)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sections"][0] == "q21"
    [message] = [e for e in AuditLog(open_db(db_path)).all() if e.direction == "in"]
    assert message.text == "when is the deadline \ufffd\ufffd?"


def _probe_rows(db) -> int:
    return int(db.conn.execute("SELECT count(*) FROM kv_probe").fetchone()[0])


def test_write_if_free_commits_when_no_one_holds_the_write_lock(tmp_path):
    from bot.db import write_if_free

    db = open_db(tmp_path / "sotp.db")
    db.conn.execute("CREATE TABLE kv_probe (k TEXT)")
    with write_if_free(db) as free:
        assert free is True
        db.conn.execute("INSERT INTO kv_probe VALUES ('sent')")
    assert not db.conn.in_transaction and _probe_rows(db) == 1
    assert db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0   # never a checkpoint in its COMMIT
    db.close()


def test_write_if_free_begins_nothing_and_does_not_wait_while_another_process_holds_the_lock(tmp_path):
    from bot.db import write_if_free

    db = open_db(tmp_path / "sotp.db")
    db.conn.execute("CREATE TABLE kv_probe (k TEXT)")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "sotp.db"), "60"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with write_if_free(db) as free:
            assert free is False and not db.conn.in_transaction
        assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.busy_timeout_ms
    finally:
        holder.kill()
        holder.wait()
    assert _probe_rows(db) == 0
    db.close()


def test_write_if_free_gives_way_to_another_thread_of_this_process_that_is_writing(tmp_path):
    import threading

    from bot.db import Connections, write_if_free, write_transaction

    connections = Connections(tmp_path / "sotp.db")
    connections.db().conn.execute("CREATE TABLE kv_probe (k TEXT)")
    inside, leave = threading.Event(), threading.Event()

    def writer() -> None:
        with write_transaction(connections.db()):
            inside.set()
            leave.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(30)
        with write_if_free(connections.db()) as free:
            assert free is False
    finally:
        leave.set()
        thread.join()
    with write_if_free(connections.db()) as free:
        assert free is True
    connections.close()
