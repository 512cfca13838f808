"""The planner's rules as pure functions: what is due, what is superseded, which extensions the Notice allows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.calc.calendar import NEW_YORK
from bot.config import ConfigError, load_settings
from bot.reminders import plan
from bot.reminders.plan import Decision, ExtensionRefused
from bot.reminders.settings import ReminderSettings, offset_of
from reminders_world import at, with_reminders

SCHEDULE = ("14d", "7d", "3d", "1d", "6h")
V1 = plan.first_version(at("2003-10-20T00:00-05:00"))


def test_the_first_deadline_version_is_the_notices_from_the_start_of_the_election_period():
    assert (V1.version, V1.deadline, V1.source) == (1, date(2003, 11, 12), "notice")
    assert V1.effective_from == datetime(2003, 10, 15, 0, 0, tzinfo=NEW_YORK)
    assert V1.deadline_at == datetime(2003, 11, 13, 0, 0, tzinfo=NEW_YORK)


def test_reminder_kinds_are_due_at_their_offset_before_midnight_new_york_time():
    slots = {s.kind: s.due_at for s in plan.slots(V1, SCHEDULE)}
    assert slots == {"14d": datetime(2003, 10, 30, 0, 0, tzinfo=NEW_YORK),
                     "7d": datetime(2003, 11, 6, 0, 0, tzinfo=NEW_YORK),
                     "3d": datetime(2003, 11, 10, 0, 0, tzinfo=NEW_YORK),
                     "1d": datetime(2003, 11, 12, 0, 0, tzinfo=NEW_YORK),
                     "6h": datetime(2003, 11, 12, 18, 0, tzinfo=NEW_YORK)}


def test_nothing_is_due_at_or_after_the_deadline():
    slots = plan.slots(V1, SCHEDULE)
    assert [s.kind for s in plan.due(slots, V1, at("2003-11-12T23:59-05:00"))] == list(SCHEDULE)
    assert plan.due(slots, V1, at("2003-11-13T00:00-05:00")) == ()


def test_several_kinds_due_at_once_send_only_the_latest_and_supersede_the_earlier():
    assert plan.decide(["14d", "7d", "3d"], set(), announce=True) == Decision("3d", ("14d", "7d"))


def test_a_kind_already_recorded_is_not_sent_again():
    assert plan.decide(["14d", "7d"], {"14d", "7d"}, announce=True) == Decision(None, ())
    assert plan.decide(["14d", "7d"], {"14d"}, announce=True) == Decision("7d", ())


def test_an_extension_announcement_due_with_timed_reminders_is_the_one_sent():
    assert plan.decide(["extension", "7d", "3d"], set(), announce=True) == Decision("extension", ("7d", "3d"))
    assert plan.decide(["extension", "7d", "3d"], {"extension"}, announce=True) == Decision("3d", ("7d",))


def test_an_employee_with_a_completed_election_gets_no_extension_announcement():
    assert plan.decide(["extension"], set(), announce=False) == Decision(None, ())
    assert plan.decide(["extension", "3d"], set(), announce=False) == Decision("3d", ())


def test_an_extension_plans_only_the_reminders_still_ahead_of_it():
    v2 = plan.extended(V1, date(2003, 11, 19), at("2003-11-12T10:00-05:00"), "command")
    slots = [(s.kind, s.due_at) for s in plan.slots(v2, SCHEDULE)]
    assert slots == [("extension", at("2003-11-12T10:00-05:00")),
                     ("7d", datetime(2003, 11, 13, 0, 0, tzinfo=NEW_YORK)),
                     ("3d", datetime(2003, 11, 17, 0, 0, tzinfo=NEW_YORK)),
                     ("1d", datetime(2003, 11, 19, 0, 0, tzinfo=NEW_YORK)),
                     ("6h", datetime(2003, 11, 19, 18, 0, tzinfo=NEW_YORK))]
    assert (v2.version, v2.previous) == (2, date(2003, 11, 12))


def test_an_extension_beyond_november_28_2003_is_refused():
    with pytest.raises(ExtensionRefused, match="shall not be extended beyond November 28, 2003"):
        plan.extended(V1, date(2003, 11, 29), at("2003-11-10T10:00-05:00"), "command")


def test_an_extension_to_an_earlier_date_is_refused():
    with pytest.raises(ExtensionRefused, match="may be extended, not shortened"):
        plan.extended(V1, date(2003, 11, 12), at("2003-11-10T10:00-05:00"), "command")


def test_an_extension_is_allowed_until_nine_am_new_york_time_on_the_next_business_day():
    plan.check_extension(V1, date(2003, 11, 19), at("2003-11-13T09:00-05:00"))
    with pytest.raises(ExtensionRefused, match="no later than 9:00 a.m."):
        plan.check_extension(V1, date(2003, 11, 19), at("2003-11-13T09:01-05:00"))


def test_offsets_are_read_from_the_kinds_names():
    assert (offset_of("14d"), offset_of("6h"), offset_of("30m")) == (
        timedelta(days=14), timedelta(hours=6), timedelta(minutes=30))


def test_the_schedule_comes_from_the_reminders_settings_latest_offset_last():
    settings = with_reminders(load_settings(), schedule=["1d", "10d", "2h"])
    assert ReminderSettings.from_settings(settings).schedule == ("10d", "1d", "2h")


@pytest.mark.parametrize("schedule, message", [
    (["7d", "soon"], "reminders.schedule: 'soon' is not a reminder offset"),
    (["1d", "24h"], "reminders.schedule: two kinds name the same offset"),
    (["extension"], "reminders.schedule: `extension` is sent when the deadline is extended"),
    ([], "reminders.schedule: expected a list"),
])
def test_a_bad_schedule_is_refused_with_the_setting_named(schedule, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        ReminderSettings.from_settings(with_reminders(load_settings(), schedule=schedule))


def test_a_time_zone_override_for_an_unknown_zone_is_refused():
    with pytest.raises(ConfigError, match="reminders.time_zones: 'Mars/Base' \\(Germany\\) is not an IANA time zone"):
        ReminderSettings.from_settings(with_reminders(load_settings(), time_zones={"Germany": "Mars/Base"}))
