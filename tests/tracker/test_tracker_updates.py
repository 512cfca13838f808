"""The daily Averaging Period update: once per close, to the employees who asked, in neutral words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot import store, tracker_texts
from bot.outbox import Outbox
from bot.preferences import Preferences
from bot.reminders import tracking as updates

from tracker_world import DAYS, after_close

OPTED_AT = datetime(2003, 11, 13, tzinfo=timezone.utc)


def _opt(db, employee_id: str, on: bool = True, slack: bool = False) -> None:
    Preferences(db).set(employee_id, "tracking", on, OPTED_AT)
    Preferences(db).set(employee_id, "tracking_slack", slack, OPTED_AT)


def _rows(db) -> list[tuple[str, str, str]]:
    return [(r.key, r.channel, r.recipient) for r in Outbox(db).rows(kind="reminder")]


def test_each_close_is_sent_once_to_each_employee_who_asked_and_to_no_one_else(db_path, settings, with_closes):
    db = store.open_db(db_path)
    _opt(db, "E1")
    _opt(db, "E2")
    _opt(db, "E3", on=False)
    with_closes(3)
    now = after_close(DAYS[2])
    first = updates.plan(db, settings, now)
    again = updates.plan(db, settings, now + timedelta(minutes=1))
    assert (first.enqueued, again.enqueued) == (2, 0)
    with_closes(4)
    assert updates.plan(db, settings, after_close(DAYS[3])).enqueued == 2
    assert _rows(db) == [("tracking:2003-11-18:E1", "email", "Alice.Smith@example.com"),
                         ("tracking:2003-11-18:E2", "email", "druiz@example.com"),
                         ("tracking:2003-11-19:E1", "email", "Alice.Smith@example.com"),
                         ("tracking:2003-11-19:E2", "email", "druiz@example.com")]
    db.close()


def test_an_update_chosen_in_slack_is_a_direct_message(db_path, settings, with_closes):
    db = store.open_db(db_path)
    _opt(db, "E1", slack=True)
    with_closes(1)
    updates.plan(db, settings, after_close(DAYS[0]))
    [row] = Outbox(db).rows(kind="reminder")
    assert (row.channel, row.recipient, row.payload["mode"], row.payload["privacy"]) == ("slack", "U0ALICE", "dm",
                                                                                         "private")
    db.close()


def test_the_update_states_the_close_the_average_and_the_days_left_and_nothing_else(db_path, settings,
                                                                                     with_closes):
    db = store.open_db(db_path)
    _opt(db, "E1")
    with_closes(9)
    updates.plan(db, settings, after_close(DAYS[8]))
    [row] = Outbox(db).rows(kind="reminder")
    text = row.payload["text"]
    assert row.payload["subject"] == "Stock Option Transfer Program: Averaging Period close of November 26, 2003"
    assert text.split("\n\n")[:5] == [
        "Dear Alice,",
        "The closing price on Wednesday, November 26, 2003: $25.05.",
        "Running average of the 9 closes so far: $25.1300 (the mean, rounded up to the next 1/10,000 of a dollar).",
        "Available Trading Days counted: 9 of 15; remaining: 6.",
        "Your Total Payment at the running average of $25.1300: $2,239.00 (pre-tax, U.S. dollars), of which "
        "$2,239.00 is the Initial Payment.",
    ]
    forbidden = tracker_texts.forbidden_words(tracker_texts.default_texts())
    assert tracker_texts.find_unneutral(text, forbidden) is None
    for word in ("forecast", "expect", "likely", "good news", "great", "strong", "weak", "!"):
        assert word not in text.lower()
    db.close()


def test_no_update_while_an_earlier_close_is_missing(db_path, settings, with_closes):
    db = store.open_db(db_path)
    _opt(db, "E1")
    with_closes(3)
    report = updates.plan(db, settings, after_close(DAYS[3]))
    assert (report.enqueued, report.reason) == (0, "closes missing: 2003-11-19")
    db.close()


def test_the_last_close_says_it_was_the_last_and_gives_the_average_closing_price(db_path, settings, with_closes):
    db = store.open_db(db_path)
    _opt(db, "E1")
    with_closes(15)
    updates.plan(db, settings, after_close(DAYS[14]))
    [row] = Outbox(db).rows(kind="reminder")
    assert ("That was the last Available Trading Day of the Averaging Period: the Average Closing Price of its 15 "
            "closes is $25.4154.") in row.payload["text"]
    assert updates.plan(db, settings, after_close(DAYS[14]) + timedelta(days=8)).enqueued == 0
    db.close()


def test_a_text_that_forecasts_is_refused_when_the_texts_are_loaded(tmp_path):
    from bot.config import data_path

    import pytest

    bad = tmp_path / "tracking.toml"
    bad.write_text(data_path("tracking.toml").read_text().replace(
        'close = "The closing price on {day}: {close}."', 'close = "Good news: the close on {day} was {close}."'))
    with pytest.raises(tracker_texts.UnneutralText, match="update.close"):
        tracker_texts.load(bad)


def test_the_services_reminder_pass_plans_the_update_and_wakes_its_channel(db_path, settings, with_closes):
    import argparse

    from bot.db import Connections
    from bot.reminders import serve
    from bot.serve import ServeContext

    class Conversation:
        wakers: dict[str, object] = {}

    db = store.open_db(db_path)
    _opt(db, "E2")
    db.close()
    with_closes(2)
    woken: list[str] = []
    conversation = Conversation()
    conversation.wakers = {"email": lambda: woken.append("email")}
    ctx = ServeContext(settings, Connections(db_path), conversation, lambda: after_close(DAYS[1]),
                       argparse.Namespace(no_reminders=False), db_path.parent)
    [component] = serve.components(ctx)
    report = component.tick()
    assert (report.counts["tracking"], woken) == ({"email": 1}, ["email"])
    assert component.tick().counts.get("tracking") is None
