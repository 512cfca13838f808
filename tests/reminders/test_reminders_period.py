"""The planner driven by a fake clock over the whole Election Period: each reminder due goes out once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from bot.calc.calendar import NEW_YORK
from reminders_world import World, at

KINDS = ("14d", "7d", "3d", "1d", "6h")
DEADLINE_AT = datetime(2003, 11, 13, 0, 0, tzinfo=NEW_YORK)


def tick_through(world: World, start: datetime, end: datetime, step: timedelta) -> list[int]:
    planner = world.planner()
    enqueued = []
    now = start
    while now <= end:
        enqueued.append(planner.run(now).enqueued)
        now += step
    return enqueued


def reminder_rows(world: World) -> list[tuple[str, str, str]]:
    """(employee, reminder kind, channel) of every reminder row in the outbox."""
    return [(eid, json.loads(payload)["reminder"], channel)
            for _, channel, _, eid, _, payload, _ in world.rows(kind="reminder")]


def test_every_eligible_employee_gets_each_reminder_exactly_once_by_email(world):
    tick_through(world, at("2003-10-15T00:00-05:00"), at("2003-11-14T00:00-05:00"), timedelta(minutes=30))
    emails = Counter((eid, kind) for eid, kind, channel in reminder_rows(world) if channel == "email")
    assert set(emails.values()) == {1}
    assert {eid for eid, _ in emails} == set(world.eligible)
    assert Counter(kind for _, kind in emails) == {kind: len(world.eligible) for kind in KINDS}


def test_each_reminder_is_enqueued_at_its_offset_before_the_deadline_and_none_after_it(world):
    tick_through(world, at("2003-10-15T00:00-05:00"), at("2003-11-20T00:00-05:00"), timedelta(minutes=30))
    offsets = {"14d": timedelta(days=14), "7d": timedelta(days=7), "3d": timedelta(days=3),
               "1d": timedelta(days=1), "6h": timedelta(hours=6)}
    created = {json.loads(payload)["reminder"]: datetime.fromisoformat(stamp)
               for _, _, _, _, _, payload, stamp in world.rows(kind="reminder")}
    assert {kind: DEADLINE_AT - when for kind, when in created.items()} == offsets
    assert all(datetime.fromisoformat(r[6]) < DEADLINE_AT for r in world.rows())


def test_slack_reminders_go_to_slack_users_unless_turned_off_or_on_leave(world):
    tick_through(world, at("2003-10-29T23:00-05:00"), at("2003-10-30T01:00-05:00"), timedelta(minutes=30))
    slack = {eid: recipient for _, channel, recipient, eid, _, _, _ in world.rows(kind="reminder")
             if channel == "slack"}
    expected = {eid for (eid,) in world.db.conn.execute(
        "SELECT employee_id FROM employees WHERE slack_user_id IS NOT NULL AND status != 'leave'")
        if eid in world.eligible} - {world.cases["slack_off"]}
    assert set(slack) == expected
    assert world.cases["slack_off"] not in slack and world.cases["leave"] not in slack
    user = world.db.conn.execute("SELECT slack_user_id FROM employees WHERE employee_id = ?",
                                 (world.cases["participating"],)).fetchone()[0]
    assert slack[world.cases["participating"]] == user
    [(_, _, _, _, _, payload, _)] = [r for r in world.rows(kind="reminder", channel="slack")
                                     if r[3] == world.cases["participating"]]
    assert json.loads(payload)["mode"] == "dm"


def test_an_employee_who_is_not_eligible_gets_nothing(world):
    tick_through(world, at("2003-10-15T00:00-05:00"), at("2003-11-14T00:00-05:00"), timedelta(hours=6))
    recipients = {r[3] for r in world.rows()}
    assert world.cases["terminated"] not in recipients
    assert recipients <= set(world.eligible)


def test_a_second_pass_at_the_same_moment_enqueues_nothing(world):
    planner = world.planner()
    first = planner.run(at("2003-11-06T09:00-05:00"))
    again = planner.run(at("2003-11-06T09:00-05:00"), force=True)
    assert first.enqueued > 0 and again.enqueued == 0
    assert again.counts == {}


def test_a_pass_every_minute_with_nothing_due_reads_and_skips(world):
    planner = world.planner()
    planner.run(at("2003-11-06T09:00-05:00"))
    report = planner.run(at("2003-11-06T09:01-05:00"))
    assert report.skipped == ["reminders", "confirmations", "results"] and report.eligible is None


def test_a_service_without_the_slack_app_plans_no_slack_reminders(world):
    from bot.reminders.run import Planner

    Planner(world.db, world.settings, slack=False).run(at("2003-10-30T01:00-05:00"))
    channels = {r[1] for r in world.rows(kind="reminder")}
    assert channels == {"email"}
