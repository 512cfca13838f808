"""Every database mistake is one line and exit status 2, nothing is created or changed, and no traceback
ever reaches the person at the terminal."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from cli_helpers import run_process

import bot.db
from bot.audit import AuditEvent, AuditLog
from bot.db import write_transaction
from bot.queue import Queue
from bot.store import open_db

NOW = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)

# Every command that reads or writes the database, with the arguments it needs.
DATABASE_COMMANDS = [
    ["eligibility", "--employee", "E000001"],
    ["estimate", "--employee", "E000001", "--price", "27"],
    ["ask", "when is the deadline?"],
    ["chat"],
    ["run"],
    ["serve"],
    ["remind", "--as-of", "2003-11-11T09:00-05:00", "--dry-run"],
    ["deadline", "show"],
    ["results", "--acp", "25.5720", "--dry-run"],
    ["send-test-mail", "When is the deadline?"],
    ["queue", "list"],
    ["queue", "show", "CC-000001"],
    ["queue", "claim", "CC-000001", "--as", "Pat"],
    ["queue", "reply", "CC-000001", "--as", "Pat", "Done."],
    ["queue", "resolve", "CC-000001", "--as", "Pat"],
    ["queue", "overdue"],
    ["outbox", "list"],
    ["outbox", "show", "1"],
    ["outbox", "retry", "1"],
    ["audit", "export"],
    ["audit", "verify"],
    ["bench", "calc", "--estimates", "1"],
    ["bench", "calibration"],
]


def _expected_missing(path: Path, env_note: str = "") -> str:
    return (f"no database at {path}{env_note}; nothing was created. Check the path, or create it: "
            f"`sotp demo-data --db {path}` writes a synthetic population, "
            f"`sotp import employees FILE.csv --db {path}` loads real records")


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_a_mistyped_database_is_refused_and_nothing_is_created(command, sotp, tmp_path):
    path = tmp_path / "typo" / "x.db"
    status, out, err = sotp(*command, "--db", str(path))
    assert (status, out) == (2, "")
    assert err == f"sotp: error: {_expected_missing(path)}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_missing_database_named_by_sotp_db_says_so(sotp_json, tmp_path, monkeypatch):
    path = tmp_path / "prod.db"
    monkeypatch.setenv("SOTP_DB", str(path))
    assert sotp_json("queue", "list") == (2, {"error": _expected_missing(path, " (named by $SOTP_DB)")})
    assert not path.exists()


def test_an_import_of_a_missing_file_creates_no_database(sotp, tmp_path):
    path = tmp_path / "var" / "prod.db"
    status, _, err = sotp("import", "grants", str(tmp_path / "grants.csv"), "--db", str(path))
    assert status == 2
    assert err.startswith(f"sotp: error: {tmp_path / 'grants.csv'}: 1 problem; nothing was imported")
    assert not (tmp_path / "var").exists()


def test_demo_data_creates_the_database_it_is_given(sotp_json, tmp_path):
    path = tmp_path / "new" / "demo.db"
    status, out = sotp_json("demo-data", "--employees", "20", "--db", str(path))
    assert (status, out["employees"]) == (0, 20)
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_default_demo_database_is_still_built_on_first_use(tmp_path):
    """In a fresh folder, with no --db: var/sotp.db appears, built as the demo population."""
    done = run_process("calendar", "--json", cwd=tmp_path)   # reads no database: builds nothing
    assert done.returncode == 0 and not (tmp_path / "var").exists()
    done = run_process("queue", "list", cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert b"building the demo database" in done.stderr
    assert done.stdout == b"no tickets\n"
    assert (tmp_path / "var" / "sotp.db").exists()


# -- corrupt, read-only, locked ---------------------------------------------------------------------------

def test_a_file_that_is_not_a_database_is_one_line_and_is_left_as_it_was(sotp, sotp_json, tmp_path):
    path = tmp_path / "notes.db"
    content = b"Meeting notes, not a database.\n" * 200
    path.write_bytes(content)
    message = f"{path} is not a usable SQLite database (corrupt or another kind of file); nothing was changed"
    assert sotp("queue", "list", "--db", str(path)) == (2, "", f"sotp: error: {message}\n")
    assert sotp_json("ask", "hello", "--db", str(path)) == (2, {"error": message})
    assert path.read_bytes() == content


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written by this user: chmod for a normal user; root needs the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o600)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("as root, a read-only file needs chattr +i, which this file system refuses")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def one_ticket(tmp_path) -> Path:
    path = tmp_path / "sotp.db"
    db = open_db(path)
    Queue(db).open_or_append(requester_employee_id="E1", requester_address="U0ALICE", channel="slack",
                             category="other", text="Please call me.", now=NOW)
    db.close()
    return path


def test_a_read_only_database_is_one_line_and_nothing_changes(sotp, sotp_json, one_ticket):
    before = one_ticket.read_bytes()
    message = f"the database {one_ticket} is read-only for this user; nothing was changed"
    with read_only(one_ticket):
        assert sotp("queue", "claim", "CC-000001", "--as", "Pat", "--db", str(one_ticket)) == (
            2, "", f"sotp: error: {message}\n")
        assert sotp_json("ask", "when is the deadline?", "--db", str(one_ticket)) == (2, {"error": message})
        status, out, _ = sotp("queue", "list", "--db", str(one_ticket))   # reading still works
        assert status == 0 and "Please call me." in out
    assert one_ticket.read_bytes() == before


def test_a_locked_database_is_one_line_after_retrying(sotp_json, one_ticket, monkeypatch):
    monkeypatch.setattr(bot.db, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(one_ticket, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status, out = sotp_json("queue", "claim", "CC-000001", "--as", "Pat", "--db", str(one_ticket))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (status, out) == (2, {"error": f"the database {one_ticket} is busy (another program is writing to "
                                          "it); nothing was changed: try again in a moment"})
    db = open_db(one_ticket)
    assert Queue(db).get("CC-000001").status == "open"
    db.close()


# -- broken pipes -----------------------------------------------------------------------------------------

@pytest.fixture
def busy_trail(tmp_path) -> Path:
    """Enough tickets and audit records that their listing overflows a pipe's buffer."""
    path = tmp_path / "sotp.db"
    db = open_db(path)
    queue, log = Queue(db), AuditLog(db)
    with write_transaction(db):
        for i in range(1500):
            queue.open_or_append(requester_employee_id=f"E{i:06d}", requester_address=f"U{i:08d}",
                                 channel="slack", category="other", text=f"Question number {i} " + "x" * 80,
                                 now=NOW + timedelta(seconds=i))
            log.record(AuditEvent(NOW, "in", "message", "slack", f"U{i:08d}", None, None, (), None, "y" * 200))
    db.close()
    return path


@pytest.mark.parametrize("command", ["queue list", "audit export", "audit export --format jsonl"])
def test_a_reader_that_stops_early_ends_the_command_quietly(command, busy_trail):
    done = run_process(f"set -o pipefail; {os.sys.executable} -m bot {command} --db {busy_trail} | head -1",
                       shell=True)
    assert b"Traceback" not in done.stderr and b"Error" not in done.stderr, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert done.returncode in (0, 141)   # 141 = 128 + SIGPIPE, as for any tool cut off by head


def test_json_errors_are_json_even_for_a_missing_ticket(sotp_json, one_ticket):
    status, out = sotp_json("queue", "show", "CC-000099", "--db", str(one_ticket))
    assert status == 2 and json.dumps(out) == '{"error": "no ticket CC-000099"}'
