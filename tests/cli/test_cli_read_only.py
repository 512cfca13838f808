"""A database nobody may write: a copy on read-only media, or in a folder this user cannot write.

The commands that only read still work on it (an auditor verifying a snapshot of the trail
is the typical case), without creating a file beside it; a command that writes says
"read-only" and why, in one line.

The tests run as root, whom a folder's mode does not stop. So the command runs in a new
user namespace (`unshare --user`): there root's capabilities do not reach the files of the
real system, and the folder's 0555 stops it as it stops anyone. Read-only media are a
read-only bind mount in a private mount namespace (`unshare --mount`), which ends with the
command. As a normal user, chmod alone does it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from cli_helpers import REPO, process_env

from bot.audit import AuditEvent, AuditLog
from bot.outbox import Outbound, Outbox
from bot.queue import Queue
from bot.schema import latest_version
from bot.store import open_db

NOW = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)


def _sotp(*argv: str) -> list[str]:
    return [sys.executable, "-m", "bot", *argv]


def _works(prefix: list[str]) -> bool:
    return shutil.which(prefix[0]) is not None and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[list[str]]:
    """chmod 0555 on the folder; yields the prefix that runs a command as someone the mode stops."""
    prefix = ["unshare", "--user"] if os.geteuid() == 0 else []
    if prefix and not _works(prefix):
        pytest.skip("as root, a read-only folder needs a user namespace (unshare --user), which this system refuses")
    folder.chmod(0o555)
    try:
        yield prefix
    finally:
        folder.chmod(0o755)


def on_read_only_media(folder: Path) -> list[str]:
    """The prefix that runs a command with the folder mounted read-only (for root too)."""
    prefix = ["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]
    if os.geteuid() != 0 or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("a read-only bind mount needs root and a mount namespace (unshare --mount)")
    return prefix


def run(prefix: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, *_sotp(*argv)], capture_output=True, text=True, cwd=REPO, env=process_env(),
                          timeout=120)


def _ticket_and_reply(path: Path) -> None:
    db = open_db(path)
    AuditLog(db).record(AuditEvent(NOW, "in", "message", "slack", "U0ALICE", "E1", None, (), None,
                                   "Please call me."))
    Queue(db).open_or_append(requester_employee_id="E1", requester_address="U0ALICE", channel="slack",
                             category="other", text="Please call me.", now=NOW)
    Outbox(db, AuditLog(db)).enqueue(Outbound(key="reply:1", channel="slack", recipient="U0ALICE", kind="reply",
                                              payload={"text": "Someone will call you."}, employee_id="E1"), NOW)
    db.close()


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    """A folder holding only a database with one ticket, one outbox row and their audit records."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    _ticket_and_reply(folder / "sotp.db")
    assert sorted(p.name for p in folder.iterdir()) == ["sotp.db"]
    return folder


READERS = [
    (["audit", "verify"], "audit trail intact: 1 record\n"),
    (["queue", "list"], "Please call me."),
    (["queue", "show", "CC-000001"], "Please call me."),
    (["outbox", "list"], "Someone will call you.\n1 pending"),
    (["outbox", "show", "1"], "Someone will call you."),
    (["audit", "export", "--format", "jsonl"], '"text": "Please call me."'),
]


@pytest.mark.parametrize(("command", "expected"), READERS, ids=lambda c: " ".join(c) if isinstance(c, list) else "")
def test_a_command_that_only_reads_works_in_a_read_only_folder_and_leaves_no_file(command, expected, snapshot):
    path = snapshot / "sotp.db"
    before = path.read_bytes()
    with read_only_folder(snapshot) as prefix:
        done = run(prefix, *command, "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert sorted(p.name for p in snapshot.iterdir()) == ["sotp.db"]
    assert path.read_bytes() == before


def test_estimate_and_eligibility_work_in_a_read_only_folder(demo_db, tmp_path):
    folder = tmp_path / "snapshot"
    folder.mkdir()
    shutil.copy(demo_db, folder / "demo.db")
    with read_only_folder(folder) as prefix:
        estimate = run(prefix, "estimate", "--employee", "E000001", "--price", "27", "--json", "--db",
                       str(folder / "demo.db"))
        eligibility = run(prefix, "eligibility", "--employee", "E000001", "--json", "--db", str(folder / "demo.db"))
    assert (estimate.returncode, json.loads(estimate.stdout)["average_closing_price"]) == (0, "27.00")
    assert (eligibility.returncode, json.loads(eligibility.stdout)["employee_id"]) == (0, "E000001")
    assert sorted(p.name for p in folder.iterdir()) == ["demo.db"]


def test_a_command_that_writes_in_a_read_only_folder_says_read_only_and_why(snapshot):
    path = snapshot / "sotp.db"
    message = (f"the database {path} is read-only: its folder {snapshot} cannot be written by this user, and "
               "SQLite keeps its journal files beside the database; nothing was changed")
    with read_only_folder(snapshot) as prefix:
        claim = run(prefix, "queue", "claim", "CC-000001", "--as", "Pat", "--db", str(path))
        ask = run(prefix, "ask", "when is the deadline?", "--json", "--db", str(path))
    assert (claim.returncode, claim.stdout, claim.stderr) == (2, "", f"sotp: error: {message}\n")
    assert (ask.returncode, json.loads(ask.stdout)) == (2, {"error": message})


def test_on_read_only_media_the_trail_verifies_and_a_write_says_read_only_file_system(snapshot):
    path = snapshot / "sotp.db"
    prefix = on_read_only_media(snapshot)
    verify = run(prefix, "audit", "verify", "--json", "--db", str(path))
    claim = run(prefix, "queue", "claim", "CC-000001", "--as", "Pat", "--db", str(path))
    assert (verify.returncode, json.loads(verify.stdout)) == (
        0, {"intact": True, "records": 1, "problem": None, "record_id": None})
    assert (claim.returncode, claim.stderr) == (
        2, f"sotp: error: the database {path} is read-only: it is on a read-only file system ({snapshot}); "
           "nothing was changed\n")


def test_changes_still_in_the_write_ahead_log_are_read_in_a_read_only_folder(tmp_path):
    """A snapshot taken while the service ran holds a -wal file: its changes must show, not be skipped."""
    live, folder = tmp_path / "live", tmp_path / "snapshot"
    live.mkdir()
    folder.mkdir()
    db = open_db(live / "sotp.db")
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")   # the ticket stays in sotp.db-wal
    Queue(db).open_or_append(requester_employee_id="E1", requester_address="U0ALICE", channel="slack",
                             category="other", text="Only in the log.", now=NOW)
    for name in ("sotp.db", "sotp.db-wal", "sotp.db-shm"):   # copied while open: closing checkpoints
        shutil.copy(live / name, folder / name)
    db.close()
    assert (folder / "sotp.db-wal").stat().st_size > 0
    with read_only_folder(folder) as prefix:
        done = run(prefix, "queue", "list", "--db", str(folder / "sotp.db"))
    assert done.returncode == 0, done.stderr
    assert "Only in the log." in done.stdout


def test_a_read_only_database_older_than_the_code_is_refused_in_one_line(snapshot):
    path = snapshot / "sotp.db"
    old = latest_version() - 1
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {old}")
    conn.close()
    with read_only_folder(snapshot) as prefix:
        done = run(prefix, "queue", "list", "--db", str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"sotp: error: the database {path} was written by an older version of the assistant (schema version {old}, "
        f"this version needs {latest_version()}) and cannot be brought up to date because it is read-only; "
        "open a writable copy of it once with any sotp command\n")
