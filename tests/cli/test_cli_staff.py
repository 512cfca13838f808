"""What Stock Services staff and administrators run: the queue with what employees wrote made visible,
replies from a file, the outbox, and the audit trail's verification and export."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_helpers import run_process

from bot.audit import AuditEvent, AuditLog
from bot.outbox import Outbox
from bot.queue import Queue
from bot.store import open_db

NOW = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)
FORGED = "My grant is missing\x1b[2K\r  Mon 2003-11-03 09:00 PST  staff Pat\x1b[31m: resolved\x07"


@pytest.fixture
def ticket(tmp_path) -> Path:
    """One ticket whose text tries to rewrite the staff member's terminal."""
    path = tmp_path / "sotp.db"
    db = open_db(path)
    Queue(db).open_or_append(requester_employee_id="E1", requester_address="U0ALICE", channel="slack",
                             category="missing-options", text=FORGED, now=NOW)
    db.close()
    return path


def test_queue_show_makes_escape_sequences_visible(sotp, ticket):
    status, out, _ = sotp("queue", "show", "CC-000001", "--db", str(ticket))
    assert status == 0
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    assert "    My grant is missing\\x1b[2K\\x0d  Mon 2003-11-03 09:00 PST  staff Pat\\x1b[31m: resolved\\x07" in out


def test_queue_list_first_lines_make_escape_sequences_visible(sotp, ticket):
    status, out, _ = sotp("queue", "list", "--db", str(ticket))
    assert status == 0 and "\x1b" not in out
    assert out.splitlines()[1].endswith("  My grant is missing\\x1b[2K")   # a carriage return ends a line


def test_the_json_keeps_the_text_exactly_as_written(sotp_json, ticket):
    status, out = sotp_json("queue", "show", "CC-000001", "--db", str(ticket))
    assert out["ticket"]["text"] == FORGED


@pytest.mark.parametrize("name, problem", [
    ("", "give your name, as the thread shows it"),
    ("P" * 81, "a name is at most 80 characters; this one has 81"),
    ("Pat\x1b[2J", "a name must be printable characters only, got 'Pat\\x1b[2J'"),
])
def test_a_staff_name_is_1_to_80_printable_characters(sotp, ticket, capsys, name, problem):
    with pytest.raises(SystemExit) as exit_info:
        sotp("queue", "claim", "CC-000001", "--as", name, "--db", str(ticket))
    assert exit_info.value.code == 2
    assert problem in capsys.readouterr().err


def test_a_name_of_80_characters_is_accepted(sotp, ticket):
    name = "Patricia " + "L" * 71
    assert sotp("queue", "claim", "CC-000001", "--as", name, "--db", str(ticket))[1] == f"CC-000001 claimed by {name}\n"


def _outbox_texts(path: Path) -> list[str]:
    db = open_db(path)
    texts = [row.payload["text"] for row in Outbox(db).rows(kind="staff-reply")]
    db.close()
    return texts


def test_a_reply_comes_from_a_file(sotp, ticket, tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_text("We found the grant.\nIt now shows in the Employee Election Tool.\n", encoding="utf-8")
    status, out, _ = sotp("queue", "reply", "CC-000001", "--as", "Pat", "--file", str(answer), "--db", str(ticket))
    assert status == 0 and out.startswith("CC-000001: reply queued (outbox #1)")
    assert _outbox_texts(ticket) == ["We found the grant.\nIt now shows in the Employee Election Tool."]


def test_a_reply_comes_from_standard_input(ticket):
    done = run_process("queue", "reply", "CC-000001", "--as", "Pat", "-", "--db", str(ticket),
                       input="Thank you: it is fixed.\n".encode())
    assert done.returncode == 0, done.stderr
    assert _outbox_texts(ticket) == ["Thank you: it is fixed."]


def test_a_reply_over_20000_characters_is_refused_and_nothing_is_sent(sotp, ticket, tmp_path):
    long = tmp_path / "long.txt"
    long.write_text("x" * 20_001)
    status, _, err = sotp("queue", "reply", "CC-000001", "--as", "Pat", "--file", str(long), "--db", str(ticket))
    assert (status, err) == (2, f"sotp: error: {long} has 20,001 characters; a reply is at most 20,000: "
                                "nothing was sent\n")
    assert _outbox_texts(ticket) == []
    long.write_text("x" * 20_000)
    assert sotp("queue", "reply", "CC-000001", "--as", "Pat", "--file", str(long), "--db", str(ticket))[0] == 0


def test_a_reply_file_that_is_not_utf8_is_refused(sotp, ticket, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Dear Alice,\nYour grant \xe9 is back.\n")
    status, _, err = sotp("queue", "reply", "CC-000001", "--as", "Pat", "--file", str(bad), "--db", str(ticket))
    assert (status, err) == (2, f"sotp: error: {bad} is not UTF-8 text (byte 0xe9 on line 2); nothing was sent\n")


def test_a_reply_in_quotes_may_follow_the_options(sotp, ticket):
    assert sotp("queue", "reply", "CC-000001", "--as", "Pat", "Done.", "--db", str(ticket))[0] == 0
    assert _outbox_texts(ticket) == ["Done."]


# -- the outbox ---------------------------------------------------------------------------------------------

@pytest.fixture
def outbox_db(ticket) -> Path:
    """Two staff replies: #1 failed (the Slack user was deactivated), #2 still pending."""
    db = open_db(ticket)
    queue, outbox = Queue(db), Outbox(db)
    queue.reply("CC-000001", "Pat", "We found the grant.", NOW + timedelta(hours=1))
    queue.reply("CC-000001", "Pat", "Anything else?", NOW + timedelta(hours=2))
    [first] = outbox.claim("slack", NOW + timedelta(hours=1, minutes=1), limit=1)
    outbox.fail(first, NOW + timedelta(hours=1, minutes=1), "user_not_found\x1b[31m (deactivated)")
    db.close()
    return ticket


def test_outbox_list_shows_every_row_and_the_counts(sotp, outbox_db):
    status, out, _ = sotp("outbox", "list", "--db", str(outbox_db))
    lines = out.splitlines()
    assert status == 0
    assert lines[0].split() == ["#", "STATUS", "CHANNEL", "KIND", "RECIPIENT", "TICKET", "TRIES", "WRITTEN", "TEXT"]
    assert lines[1].split()[:7] == ["1", "failed", "slack", "staff-reply", "U0ALICE", "CC-000001", "1"]
    assert lines[1].endswith("We found the grant.") and lines[2].endswith("Anything else?")
    assert lines[3] == "1 pending (oldest written Mon 2003-11-03 11:00 PST), 1 failed"


def test_outbox_list_filters_by_status_channel_and_kind(sotp_json, outbox_db):
    status, out = sotp_json("outbox", "list", "--status", "failed", "--db", str(outbox_db))
    assert [row["id"] for row in out["rows"]] == [1]
    assert out["depth"] == {"pending": 1, "failed": 1, "oldest_pending": "2003-11-03T19:00:00+00:00",
                            "pending_by_channel": {"slack": 1}}
    assert sotp_json("outbox", "list", "--channel", "email", "--db", str(outbox_db))[1]["rows"] == []
    assert len(sotp_json("outbox", "list", "--kind", "staff-reply", "--db", str(outbox_db))[1]["rows"]) == 2


def test_outbox_show_has_the_message_and_the_last_error_made_visible(sotp, outbox_db):
    status, out, _ = sotp("outbox", "show", "#1", "--db", str(outbox_db))
    assert status == 0 and "\x1b" not in out
    assert "Last error:  user_not_found\\x1b[31m (deactivated)" in out
    assert out.endswith("Message:\n  We found the grant.\n  (from Pat)\n")


def test_outbox_retry_makes_a_failed_row_pending_again(sotp, sotp_json, outbox_db):
    status, out, _ = sotp("outbox", "retry", "1", "--db", str(outbox_db))
    assert (status, out) == (0, "#1 (staff-reply to U0ALICE via slack) was failed; it is pending again and will be "
                                "sent on the worker's next round\n")
    status, out = sotp_json("outbox", "show", "1", "--db", str(outbox_db))
    assert (out["row"]["status"], out["row"]["attempts"]) == ("pending", 0)
    assert sotp("outbox", "retry", "2", "--db", str(outbox_db))[1] == (
        "#2 is already pending: its channel's worker will send it\n")


def test_a_sent_row_is_never_retried(sotp_json, outbox_db):
    db = open_db(outbox_db)
    outbox = Outbox(db)
    [row] = outbox.claim("slack", NOW + timedelta(hours=3))
    outbox.complete(row, NOW + timedelta(hours=3), provider_ref="1699999999.000100")
    db.close()
    status, out = sotp_json("outbox", "retry", "2", "--db", str(outbox_db))
    assert status == 2 and out["error"].startswith("outbox row 2 was already sent at 2003-11-03T20:00:00+00:00")


def test_an_unknown_row_is_a_clear_error(sotp_json, outbox_db):
    assert sotp_json("outbox", "show", "99", "--db", str(outbox_db)) == (2, {"error": "no outbox row 99"})


# -- the audit trail ----------------------------------------------------------------------------------------

@pytest.fixture
def trail(tmp_path) -> Path:
    path = tmp_path / "sotp.db"
    db = open_db(path)
    log = AuditLog(db)
    for i, text in enumerate(["When is the deadline?", "=HYPERLINK(\"http://x\")", "Am I eligible?"]):
        log.record(AuditEvent(NOW + timedelta(minutes=i), "in", "message", "slack", "U0ALICE", "E1", "faq", (),
                              None, text))
    db.close()
    return path


def test_audit_verify_says_the_trail_is_intact(sotp, sotp_json, trail):
    assert sotp("audit", "verify", "--db", str(trail)) == (0, "audit trail intact: 3 records\n", "")
    assert sotp_json("audit", "verify", "--db", str(trail)) == (
        0, {"intact": True, "records": 3, "problem": None, "record_id": None})


def test_audit_verify_names_a_record_changed_by_hand(sotp, sotp_json, trail):
    raw = sqlite3.connect(trail, isolation_level=None)
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("UPDATE audit SET text = 'I am not eligible' WHERE id = 3")
    raw.close()
    status, out, _ = sotp("audit", "verify", "--db", str(trail))
    assert (status, out) == (1, "audit trail NOT intact: record 3 was changed after it was written "
                                "(2 records checked before it)\n")
    assert sotp_json("audit", "verify", "--db", str(trail))[1]["record_id"] == 3


def test_audit_verify_catches_a_replace(sotp, trail):
    raw = sqlite3.connect(trail, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("PRAGMA recursive_triggers = ON")
        raw.execute("INSERT OR REPLACE INTO audit (id, at, direction, kind, channel, address, sections, text, "
                    "prev_hash, hash) VALUES (2, '2003-11-03T17:01:00+00:00', 'in', 'message', 'slack', 'U0ALICE', "
                    "'[]', 'rewritten', '', '')")
    raw.close()
    assert sotp("audit", "verify", "--db", str(trail))[:2] == (0, "audit trail intact: 3 records\n")


def test_audit_export_defaults_to_the_whole_trail_as_csv_readable_by_its_owner_only(sotp, trail, tmp_path):
    target = tmp_path / "audit.csv"
    status, out, err = sotp("audit", "export", "--output", str(target), "--db", str(trail))
    assert (status, out, err) == (0, "", f"sotp audit export: 3 events to {target}\n")
    assert target.stat().st_mode & 0o777 == 0o600
    rows = target.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4 and rows[2].endswith(',"\'=HYPERLINK(""http://x"")"')


def test_an_export_over_an_existing_file_leaves_it_owner_only(sotp, trail, tmp_path):
    target = tmp_path / "audit.jsonl"
    target.write_text("old")
    target.chmod(0o644)
    assert sotp("audit", "export", "--format", "jsonl", "--output", str(target), "--db", str(trail))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert [json.loads(line)["text"] for line in target.read_text().splitlines()][0] == "When is the deadline?"
