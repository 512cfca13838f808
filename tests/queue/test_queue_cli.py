"""`sotp queue` and `sotp audit` run through bot.cli.main with --db in tmp_path."""

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.audit import AuditEvent, AuditLog
from bot.cli import main
from bot.queue import Queue
from bot.store import open_db

# Monday 2003-11-03 09:04:05 PST; Friday 2003-10-24 13:00 PDT (before clocks fell back on 10-26).
MONDAY = datetime(2003, 11, 3, 17, 4, 5, tzinfo=timezone.utc)
OCTOBER = datetime(2003, 10, 24, 20, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_deployment_config(monkeypatch):
    monkeypatch.delenv("SOTP_CONFIG", raising=False)
    monkeypatch.delenv("SOTP_DB", raising=False)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "sotp.db")


@pytest.fixture
def seeded(path):
    """Two tickets: Jane's by email (with a two-line text) and an unknown Slack user's."""
    db = open_db(path)
    queue = Queue(db, AuditLog(db))
    queue.open_or_append(requester_employee_id="E1001", requester_address="jane@microsoft.com", channel="email",
                         category="missing-options", text="My 2000-04-12 grant is not listed.\nPlease check.",
                         now=MONDAY)
    queue.open_or_append(requester_employee_id=None, requester_address="U0UNKNOWN", channel="slack",
                         category="other", text="I want to talk to a person", now=OCTOBER)
    db.close()
    return path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_prints_aligned_columns_oldest_first(capsys, seeded):
    status, out, _ = run(capsys, "queue", "list", "--db", seeded, "--now", "2003-11-03T10:04:05-08:00")
    header, first, second = out.splitlines()
    assert status == 0
    assert header.split() == ["ID", "STATUS", "CATEGORY", "AGE", "REQUESTER", "TEXT"]
    # October's ticket is older. Ages: 2003-10-24 20:00 to 2003-11-03 18:04:05 UTC = 9 d 22 h; Monday's = 1 h.
    assert first.startswith("CC-000002") and "U0UNKNOWN" in first and first.endswith("I want to talk to a person")
    assert second.endswith("My 2000-04-12 grant is not listed.")  # the first line only
    for column in ("STATUS", "CATEGORY", "AGE", "REQUESTER", "TEXT"):
        start = header.index(column)
        assert first[start - 2:start] == second[start - 2:start] == "  ", column
        assert first[start] != " " and second[start] != " ", column
    assert "9d 22h" in first and " 1h " in second


def test_list_filters_by_status_and_prints_json(capsys, seeded):
    status, out, _ = run(capsys, "queue", "list", "--status", "open", "--json", "--db", seeded)
    tickets = json.loads(out)["tickets"]
    assert status == 0
    assert [(t["id"], t["status"], t["created_at"]) for t in tickets] == [
        ("CC-000002", "open", "2003-10-24T20:00:00+00:00"), ("CC-000001", "open", "2003-11-03T17:04:05+00:00")]


def test_an_empty_list_says_so(capsys, path):
    open_db(path).close()
    assert run(capsys, "queue", "list", "--status", "claimed", "--db", path) == (0, "no claimed tickets\n", "")


def test_show_prints_the_thread_in_pacific_time_with_the_requesters_channel(capsys, seeded):
    status, out, _ = run(capsys, "queue", "show", "cc-1", "--db", seeded)
    assert status == 0
    assert out.splitlines()[:4] == [
        "CC-000001  open  missing-options",
        "Requester:   E1001 via email (jane@microsoft.com)",
        "Assignee:    -",
        "Opened:      Mon 2003-11-03 09:04 PST",  # 17:04:05 UTC - 8 h
    ]
    assert "  Mon 2003-11-03 09:04 PST  employee E1001\n    My 2000-04-12 grant is not listed.\n    Please check.\n" in out


def test_show_uses_daylight_time_before_the_october_change(capsys, seeded):
    _, out, _ = run(capsys, "queue", "show", "CC-000002", "--db", seeded)
    assert "Opened:      Fri 2003-10-24 13:00 PDT" in out  # 20:00 UTC - 7 h
    assert "Requester:   U0UNKNOWN via slack\n" in out


def test_show_json_has_the_ticket_and_its_thread(capsys, seeded):
    _, out, _ = run(capsys, "queue", "show", "CC-000001", "--json", "--db", seeded)
    shown = json.loads(out)
    assert shown["ticket"]["requester_address"] == "jane@microsoft.com"
    assert [(m["author_kind"], m["author"]) for m in shown["messages"]] == [("employee", "E1001")]
    assert shown["outbox"] == []


def test_a_missing_ticket_exits_2_with_a_clear_message(capsys, seeded):
    status, out, err = run(capsys, "queue", "show", "CC-000099", "--db", seeded)
    assert (status, out, err) == (2, "", "sotp: error: no ticket CC-000099\n")


def test_a_missing_ticket_with_json_prints_the_error_as_json(capsys, seeded):
    status, out, _ = run(capsys, "queue", "claim", "CC-000099", "--as", "alice", "--json", "--db", seeded)
    assert (status, json.loads(out)) == (2, {"error": "no ticket CC-000099"})


def test_claim_then_reassign(capsys, seeded):
    assert run(capsys, "queue", "claim", "CC-000001", "--as", "alice", "--db", seeded)[:2] == (
        0, "CC-000001 claimed by alice\n")
    assert run(capsys, "queue", "claim", "CC-000001", "--as", "bob", "--db", seeded)[:2] == (
        0, "CC-000001 re-assigned from alice to bob\n")


def test_reply_says_what_was_queued_for_whom_and_how(capsys, seeded, path):
    status, out, _ = run(capsys, "queue", "reply", "CC-000001", "--as", "alice", "We found the grant.", "--db", seeded)
    assert status == 0
    assert out == ("CC-000001: reply queued (outbox #1) for E1001 via email (jane@microsoft.com)\n"
                   "CC-000001 is claimed by alice\n")
    [item] = Queue(open_db(path)).outbox("CC-000001")
    assert (item.channel, item.recipient, item.payload["text"]) == ("email", "jane@microsoft.com", "We found the grant.")


def test_resolve_with_a_note_and_then_claim_is_refused(capsys, seeded):
    assert run(capsys, "queue", "resolve", "CC-000001", "--as", "alice", "--note", "grant added", "--db", seeded)[:2] == (
        0, "CC-000001 resolved by alice: grant added\n")
    assert run(capsys, "queue", "claim", "CC-000001", "--as", "bob", "--db", seeded) == (
        2, "", "sotp: error: CC-000001 is resolved; it cannot be claimed\n")


def test_replying_to_a_resolved_ticket_exits_2(capsys, seeded):
    run(capsys, "queue", "resolve", "CC-000001", "--as", "alice", "--db", seeded)
    status, _, err = run(capsys, "queue", "reply", "CC-000001", "--as", "bob", "Hello?", "--db", seeded)
    assert (status, err) == (2, "sotp: error: CC-000001 is resolved; it cannot be replied to\n")


def test_overdue_uses_the_configured_business_hours_by_default(capsys, seeded):
    # At Monday 2003-11-03 10:04:05 PST: Monday's ticket has waited 1 business hour; October's ticket
    # (Fri 10-24 13:00 PDT) has waited Fri 5 h + Mon-Fri 10-27..31 60 h + Mon 11-03 4.068 h = 69.07 h.
    status, out, _ = run(capsys, "queue", "overdue", "--json", "--db", seeded, "--now", "2003-11-03T10:04:05-08:00")
    report = json.loads(out)
    assert (status, report["business_hours"]) == (0, 8)
    assert [(t["id"], t["business_hours_waiting"]) for t in report["tickets"]] == [("CC-000002", 69.07)]


def test_overdue_hours_can_be_given(capsys, seeded):
    _, out, _ = run(capsys, "queue", "overdue", "--hours", "0.5", "--db", seeded, "--now", "2003-11-03T10:04:05-08:00")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["CC-000002", "CC-000001"]


def test_overdue_reads_the_hours_from_the_config_file(capsys, seeded, tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text("[queue]\noverdue_business_hours = 100\n")
    status, out, _ = run(capsys, "queue", "overdue", "--config", str(cfg), "--db", seeded,
                         "--now", "2003-11-03T10:04:05-08:00")
    assert (status, out) == (0, "no tickets over 100 business hours without a staff reply\n")


def test_a_time_without_a_zone_is_refused(capsys, seeded):
    with pytest.raises(SystemExit) as exit_info:
        main(["queue", "overdue", "--db", seeded, "--now", "2003-11-03T10:00"])
    assert exit_info.value.code == 2
    assert "give the time zone too" in capsys.readouterr().err


# -- audit export ---------------------------------------------------------------------------------------

@pytest.fixture
def trail(path):
    db = open_db(path)
    log = AuditLog(db)
    for at, text in ((MONDAY - timedelta(days=1), "Sunday's question"), (MONDAY, "Am I eligible?")):
        log.record(AuditEvent(at, "in", "message", "slack", "U01JANE", "E1001", "eligibility", ("q3",), None, text))
    db.close()
    return path


def test_audit_export_csv_to_a_file(capsys, trail, tmp_path):
    target = tmp_path / "audit.csv"
    status, out, err = run(capsys, "audit", "export", "--since", "2003-11-03", "--format", "csv",
                           "--output", str(target), "--db", trail)
    with target.open(encoding="utf-8", newline="") as written:
        rows = list(csv.reader(written))
    assert (status, out) == (0, "")
    assert rows == [
        ["at", "direction", "kind", "channel", "address", "employee_id", "intent", "sections", "ticket", "text"],
        ["2003-11-03T17:04:05+00:00", "in", "message", "slack", "U01JANE", "E1001", "eligibility", "q3", "",
         "Am I eligible?"],
    ]
    assert err == f"sotp audit export: 1 event since 2003-11-03 (UTC) to {target}\n"


def test_audit_export_jsonl_to_stdout(capsys, trail):
    status, out, _ = run(capsys, "audit", "export", "--since", "2003-11-02", "--format", "jsonl", "--db", trail)
    assert status == 0
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["Sunday's question", "Am I eligible?"]


def test_audit_export_needs_a_real_date(capsys, trail):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "export", "--db", trail, "--since", "yesterday", "--format", "csv"])
    assert exit_info.value.code == 2
    assert "expected a date YYYY-MM-DD" in capsys.readouterr().err


def test_audit_export_to_an_unwritable_place_exits_2(capsys, trail, tmp_path):
    status, _, err = run(capsys, "audit", "export", "--since", "2003-11-03", "--format", "csv",
                         "--output", str(tmp_path / "no" / "such" / "dir" / "audit.csv"), "--db", trail)
    assert status == 2 and err.startswith("sotp: error: cannot write ")
