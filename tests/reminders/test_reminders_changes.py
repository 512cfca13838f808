"""After changes: an extension re-plans and announces once; changed election records are confirmed once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from bot import store
from bot.config import ConfigError
from bot.reminders import deadlines
from bot.reminders.plan import ExtensionRefused
from bot.reminders.store import ReminderStore
from reminders_world import World, at


def tick(world: World, start: str, end: str, step: timedelta = timedelta(minutes=30), **settings) -> None:
    planner = world.planner(**settings)
    now, stop = at(start), at(end)
    while now <= stop:
        planner.run(now)
        now += step


def kinds_by_employee(world: World, channel: str = "email") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, ch, _, eid, _, payload, _ in world.rows(kind="reminder"):
        if ch == channel:
            data = json.loads(payload)
            out.setdefault(eid, []).append(f"{data['reminder']}@v{data['deadline_version']}")
    return out


def test_an_extension_announces_once_to_everyone_without_a_completed_election_and_replans(world):
    tick(world, "2003-10-15T00:00-05:00", "2003-11-12T09:30-05:00")
    deadlines.extend(world.db, world.settings, date(2003, 11, 19), at("2003-11-12T10:00-05:00"))
    tick(world, "2003-11-12T10:00-05:00", "2003-11-21T00:00-05:00")
    got = kinds_by_employee(world)
    v1 = ["14d@v1", "7d@v1", "3d@v1", "1d@v1"]
    v2 = ["7d@v2", "3d@v2", "1d@v2", "6h@v2"]
    completed = {world.cases["participating"], world.cases["withdrawn"], world.cases["complete_two_step"]}
    for eid in world.eligible:
        expected = v1 + ([] if eid in completed else ["extension@v2"]) + v2
        assert got[eid] == expected, eid
    assert world.cases["pending_participate"] not in completed   # an online election without its form


def test_after_an_extension_the_old_deadline_sends_nothing_more(world):
    tick(world, "2003-11-12T09:00-05:00", "2003-11-12T09:00-05:00")
    deadlines.extend(world.db, world.settings, date(2003, 11, 19), at("2003-11-12T10:00-05:00"))
    tick(world, "2003-11-12T10:00-05:00", "2003-11-12T23:30-05:00")
    got = kinds_by_employee(world)
    assert all("6h@v1" not in kinds for kinds in got.values())


def test_an_extension_in_the_configuration_file_makes_the_same_new_version(world):
    tick(world, "2003-11-06T09:00-05:00", "2003-11-06T09:00-05:00")
    world.settings = world.settings.with_overrides(election_deadline=date(2003, 11, 21))
    report = world.planner().run(at("2003-11-07T09:00-05:00"))
    assert (report.version.version, report.version.source, report.version.deadline) == (2, "config", date(2003, 11, 21))
    assert set(report.counts) == {"extension"}
    assert world.planner().run(at("2003-11-07T09:05-05:00")).enqueued == 0


def test_a_configured_deadline_beyond_november_28_stops_the_pass_with_the_setting_named(world):
    world.settings = world.settings.with_overrides(election_deadline=date(2003, 12, 1))
    with pytest.raises(ConfigError, match="program.election_deadline: 2003-12-01 is after 2003-11-28"):
        world.planner().run(at("2003-11-07T09:00-05:00"))
    assert ReminderStore(world.db).versions() == []


def test_an_extension_recorded_twice_by_racing_planners_is_one_version(world):
    world.settings = world.settings.with_overrides(election_deadline=date(2003, 11, 19))
    first, added = deadlines.resolve(world.db, world.settings, at("2003-11-07T09:00-05:00"))
    again, added_again = deadlines.resolve(world.db, world.settings, at("2003-11-07T09:01-05:00"))
    assert (first.version, added, again.version, added_again) == (2, True, 2, False)
    assert [v.version for v in ReminderStore(world.db).versions()] == [1, 2]


def test_an_extension_after_the_announcement_cutoff_is_refused_and_nothing_is_recorded(world):
    with pytest.raises(ExtensionRefused, match="can no longer be extended"):
        deadlines.extend(world.db, world.settings, date(2003, 11, 19), at("2003-11-14T10:00-05:00"))
    assert [v.version for v in ReminderStore(world.db).versions()] == [1]


# --- confirmations ---------------------------------------------------------------------------

def confirmations(world: World) -> Counter[str]:
    return Counter(eid for _, _, _, eid, _, _, _ in world.rows(kind="confirmation"))


def reimport(world: World, rows: list[tuple[str, str, str, str, str | None]]) -> None:
    store.replace_rows(world.db, "elections", [
        (eid, action, method, datetime.fromisoformat(s).astimezone(timezone.utc).isoformat(),
         datetime.fromisoformat(r).astimezone(timezone.utc).isoformat() if r else None)
        for eid, action, method, s, r in rows], store.ELECTION_COLUMNS)


def test_every_eligible_employee_with_an_election_record_gets_one_confirmation(world):
    tick(world, "2003-11-05T09:00-05:00", "2003-11-05T12:00-05:00")
    expected = {world.cases[c] for c in ("pending_participate", "complete_two_step", "pending_withdraw",
                                         "participating", "withdrawn")}
    assert confirmations(world) == {eid: 1 for eid in expected}
    assert all(channel == "email" for _, channel, *_ in world.rows(kind="confirmation"))


def test_a_two_step_election_becoming_complete_gets_one_complete_and_recorded_confirmation(world):
    tick(world, "2003-11-05T09:00-05:00", "2003-11-05T09:00-05:00")
    eid = world.cases["pending_participate"]
    reimport(world, [(eid, "participate", "online", "2003-11-03T09:04:00-08:00", "2003-11-06T08:30:00-08:00")])
    tick(world, "2003-11-06T09:00-05:00", "2003-11-06T12:00-05:00")
    rows = [json.loads(r[5]) for r in world.rows(kind="confirmation", employee_id=eid)]
    assert [r["subject"] for r in rows] == ["Stock Option Transfer Program: your election on record",
                                            "Stock Option Transfer Program: your election is complete and recorded"]
    assert "Your submitted election is complete and has been recorded." in rows[1]["text"]


def test_a_record_that_changes_back_is_confirmed_again(world):
    eid = world.cases["participating"]
    first = [(eid, "participate", "online", "2003-10-28T14:15:00-08:00", None)]
    second = first + [(eid, "withdraw", "online", "2003-11-04T10:00:00-08:00", None)]
    for rows, when in ((first, "2003-11-05T09:00-05:00"), (second, "2003-11-06T09:00-05:00"),
                       (first, "2003-11-07T09:00-05:00"), (first, "2003-11-08T09:00-05:00")):
        reimport(world, rows)
        world.planner().run(at(when))
    keys = [r[0] for r in world.rows(kind="confirmation", employee_id=eid)]
    assert [k.split(":")[2] for k in keys] == ["1", "2", "3"]


def test_an_unchanged_reimport_sends_no_confirmation(world):
    tick(world, "2003-11-05T09:00-05:00", "2003-11-05T09:00-05:00")
    before = len(world.rows(kind="confirmation"))
    rows = world.db.conn.execute(f"SELECT {', '.join(store.ELECTION_COLUMNS)} FROM elections").fetchall()
    store.replace_rows(world.db, "elections", rows, store.ELECTION_COLUMNS)
    report = world.planner().run(at("2003-11-05T10:00-05:00"))
    assert "confirmations" not in report.skipped and len(world.rows(kind="confirmation")) == before
