"""`sotp remind`, `sotp deadline` and `sotp results` as an operator runs them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from bot.cli import main
from bot.figures import estimate_for
from bot.reminders import deadlines
from bot.reminders.store import ReminderStore
from reminders_world import World


@pytest.fixture
def sotp(capsys: pytest.CaptureFixture[str], world: World):
    def run(*argv: str) -> tuple[int, Any]:
        status = main([*argv, "--db", str(world.path)])
        out = capsys.readouterr().out
        try:
            return status, json.loads(out)
        except json.JSONDecodeError:
            return status, out
    return run


def test_a_dry_run_shows_counts_per_kind_and_channel_and_writes_nothing(sotp, world):
    status, out = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--dry-run", "--json")
    slack = world.db.conn.execute(
        "SELECT count(*) FROM employees WHERE slack_user_id IS NOT NULL AND status != 'leave' AND employee_id IN "
        f"({', '.join('?' * len(world.eligible))})", world.eligible).fetchone()[0] - 1   # one turned Slack off
    assert status == 0
    assert {k: out[k] for k in ("as_of", "deadline", "deadline_version", "counts", "enqueued")} == {
        "as_of": "2003-11-11T09:00:00-05:00", "deadline": "2003-11-12", "deadline_version": 1,
        "counts": {"3d": {"email": len(world.eligible), "slack": slack}, "confirmation": {"email": 5}},
        "enqueued": 0}
    assert out["superseded"] == {"14d": len(world.eligible), "7d": len(world.eligible)}
    assert world.rows() == [] and ReminderStore(world.db).versions() == []


def test_without_dry_run_it_enqueues_and_a_second_run_enqueues_nothing(sotp, world):
    _, first = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--json")
    _, second = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--json", "--force")
    assert first["enqueued"] == len(world.rows()) > 0
    assert (second["enqueued"], second["counts"]) == (0, {})


def test_employee_shows_that_employees_messages_in_full(sotp, world):
    eid = world.cases["pending_participate"]
    _, out = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--dry-run", "--json", "--employee", eid)
    assert [(m["kind"], m["channel"]) for m in out["messages"]] == [("3d", "email"), ("3d", "slack"),
                                                                   ("confirmation", "email")]
    assert out["messages"][0]["subject"] == ("Stock Option Transfer Program: reminder of the Election Deadline, "
                                             "Wednesday, November 12, 2003")
    assert "Mellon Investor Services has not received your signed Election Form." in out["messages"][0]["text"]


def test_an_unknown_employee_is_an_error(sotp):
    status, out = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--json", "--employee", "E999999")
    assert (status, out) == (2, {"error": "no employee 'E999999' in the database"})


def test_as_of_without_an_offset_is_refused(world, capsys):
    with pytest.raises(SystemExit):
        main(["remind", "--as-of", "2003-11-11T09:00", "--db", str(world.path)])
    assert "has no UTC offset" in capsys.readouterr().err


def test_the_text_output_names_the_deadline_and_the_counts(sotp):
    status, out = sotp("remind", "--as-of", "2003-11-11T09:00-05:00", "--dry-run")
    assert status == 0
    assert "Election Deadline: Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, " \
           "November 12, 2003 (deadline version 1, would be recorded by this pass)" in out
    assert "Reminders due: 14d, 7d, 3d" in out and "Next reminder: 1d at 2003-11-12T00:00:00-05:00" in out


def test_deadline_extend_records_a_new_version_and_show_lists_both(sotp):
    status, out = sotp("deadline", "extend", "--to", "2003-11-19", "--as-of", "2003-11-12T10:00-05:00", "--json")
    assert status == 0 and (out["version"], out["deadline"], out["previous"]) == (2, "2003-11-19", "2003-11-12")
    _, shown = sotp("deadline", "show", "--json")
    assert [v["deadline"] for v in shown["versions"]] == ["2003-11-12", "2003-11-19"]
    assert shown["current"]["deadline_at"] == "2003-11-20T00:00:00-05:00"


def test_deadline_extend_beyond_november_28_is_refused(sotp):
    status, out = sotp("deadline", "extend", "--to", "2003-12-01", "--as-of", "2003-11-12T10:00-05:00", "--json")
    assert status == 2 and "shall not be extended beyond November 28, 2003 (Section 7)" in out["error"]


def test_results_before_the_end_of_the_averaging_period_are_refused(sotp):
    status, out = sotp("results", "--acp", "25.5720", "--as-of", "2003-12-01T09:00-05:00", "--json")
    assert status == 2 and out["error"].startswith("the Averaging Period ends with the close on 2003-12-09")


def test_results_without_a_pricing_grid_are_refused_unless_illustrative_is_allowed(sotp):
    status, out = sotp("results", "--acp", "25.5720", "--as-of", "2003-12-16T09:00-05:00", "--json")
    assert status == 2 and out["error"].startswith("no Pricing Grid is imported")


def test_results_email_each_participant_once_with_their_own_total_payment(sotp, world):
    args = ("results", "--acp", "25.5720", "--as-of", "2003-12-16T09:00-05:00", "--json", "--allow-illustrative")
    status, out = sotp(*args)
    participants = {world.cases["participating"], world.cases["complete_two_step"]}
    assert status == 0 and (out["recorded"], out["emails"], out["enqueued"]) == (True, 2, 2)
    rows = world.rows(kind="notice")
    assert {r[3] for r in rows} == participants and {r[1] for r in rows} == {"email"}
    eid = world.cases["participating"]
    version = deadlines.current(world.db)
    expected = estimate_for(world.db, deadlines.effective_settings(world.settings, version), eid, Decimal("25.5720"))
    [payload] = [json.loads(r[5]) for r in rows if r[3] == eid]
    total = f"${expected.total_payment:,.2f}"
    assert f"Your Total Payment, as the SOTP Assistant calculates it from the records it holds: {total}" \
        in payload["text"]
    assert "> After the end of the Averaging Period, information about the amount of the Total Payment" \
        in payload["text"]
    _, again = sotp(*args)
    assert (again["recorded"], again["already_recorded"], again["enqueued"]) == (False, True, 0)


def test_a_different_final_price_is_refused_once_one_is_recorded(sotp):
    sotp("results", "--acp", "25.5720", "--as-of", "2003-12-16T09:00-05:00", "--allow-illustrative")
    status, out = sotp("results", "--acp", "25.6000", "--as-of", "2003-12-16T09:00-05:00", "--json",
                       "--allow-illustrative")
    assert status == 2 and "is final and is not replaced" in out["error"]


def test_a_deployment_file_may_set_time_zones_but_not_unknown_reminder_settings(world, tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text('[reminders]\ntime_zones = { "United States" = "America/New_York" }\n')
    assert main(["remind", "--as-of", "2003-11-11T09:00-05:00", "--dry-run", "--json", "--config", str(good),
                 "--db", str(world.path)]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.toml"
    bad.write_text("[reminders]\nintervall_seconds = 30\n")
    assert main(["remind", "--json", "--config", str(bad), "--db", str(world.path)]) == 2
    assert "unknown setting reminders.intervall_seconds" in json.loads(capsys.readouterr().out)["error"]


def test_the_wave_benchmark_runs_and_reports_time_and_peak_memory(capsys):
    assert main(["bench", "remind", "--employees", "150", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["eligible"], out["counts"]["7d"]["email"], out["superseded"]) == (150, 150, {"14d": 150})
    assert set(out) >= {"seconds", "cpu_seconds", "peak_mb", "load", "targets", "met"}


def test_the_audit_trail_of_a_wave_names_every_row_and_verifies(sotp, world):
    from bot.audit import AuditLog

    sotp("remind", "--as-of", "2003-11-06T09:00-05:00")
    records = [e for e in AuditLog(world.db).all() if e.kind == "reminder"]
    assert len(records) == len(world.eligible)
    eid = world.cases["participating"]
    [mine] = [e for e in records if e.employee_id == eid]
    assert mine.channel == "email+slack" and mine.intent == "reminder:7d"
    import hashlib

    payload = world.payload(f"reminder:v1:7d:{eid}:email")
    digest = hashlib.sha256(payload["text"].encode()).hexdigest()
    assert f"email to {mine.address}: outbox reminder:v1:7d:{eid}:email, text sha256 {digest}" in mine.text
    assert AuditLog(world.db).verify().ok
