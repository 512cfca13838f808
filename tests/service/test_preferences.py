"""Preferences: what an employee chose about messages sent unasked."""

from datetime import datetime, timezone

from bot.preferences import Preferences

NOW = datetime(2003, 11, 10, 17, 0, tzinfo=timezone.utc)


def test_slack_reminders_are_on_until_the_employee_turns_them_off(db):
    prefs = Preferences(db)
    assert prefs.get("E1", "slack_reminders") is True
    prefs.set("E1", "slack_reminders", False, NOW)
    assert (prefs.get("E1", "slack_reminders"), prefs.opted("slack_reminders", False)) == (False, {"E1"})
