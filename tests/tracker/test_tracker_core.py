"""The conversation core answers where the Averaging Period stands, and takes "track on" / "track off"."""

from __future__ import annotations

from datetime import datetime

from bot import store
from bot.calc.calendar import NEW_YORK
from bot.preferences import Preferences

from tracker_world import DAYS, after_close

CAVEAT = ("> The actual Total Payment can only be determined after the Averaging Period, when the Average "
          "Closing Price is known.")


def test_during_the_period_the_average_so_far_is_answered_for_everyone(ask, clock, with_closes):
    with_closes(9)
    clock.now = after_close(DAYS[8])
    response = ask("where does the average stand so far?", channel="slack", address="C0GENERAL", shared=True)
    [reply] = response.replies
    assert (reply.intent, reply.sub_intent, reply.privacy) == ("estimate", "tracker", "public")
    assert ("Running average of the 9 closes so far (November 14, 2003 to November 26, 2003): $25.1300, the mean "
            "rounded up to the next 1/10,000 of a dollar as the Average Closing Price is.") in reply.parts
    assert "Available Trading Days counted: 9 of 15; remaining: 6." in reply.parts
    assert "Total Payment at the running average" not in reply.text
    assert CAVEAT in reply.parts


def test_my_payment_at_todays_average_is_private_and_quotes_the_notice(ask, clock, with_closes):
    with_closes(9)
    clock.now = after_close(DAYS[8])
    reply = ask("what is my payment at today's average?").replies[-1]
    assert (reply.sub_intent, reply.privacy) == ("tracker", "private")
    assert ("Your Total Payment at the running average of $25.1300: $2,239.00 (pre-tax, U.S. dollars), of which "
            "$2,239.00 is the Initial Payment.") in reply.parts
    assert CAVEAT in reply.parts


def test_before_the_period_the_answer_says_when_it_starts(ask, clock):
    clock.now = datetime(2003, 11, 10, 9, 0, tzinfo=NEW_YORK)
    reply = ask("where does the average stand so far?").replies[-1]
    assert ("The Averaging Period has not started: it starts on Friday, November 14, 2003, and its first close "
            "is known after 4:00 PM New York time that day.") in reply.parts


def test_after_the_period_the_answer_is_the_average_closing_price(ask, clock, with_closes):
    with_closes(15)
    clock.now = datetime(2003, 12, 10, 9, 0, tzinfo=NEW_YORK)
    reply = ask("what was the final average closing price?").replies[-1]
    assert ("The Averaging Period ended on Monday, December 8, 2003. The Average Closing Price of its 15 closes: "
            "$25.4154.") in reply.parts
    assert CAVEAT not in reply.parts


def test_a_question_about_the_period_itself_still_goes_to_the_notice(ask, clock, with_closes):
    with_closes(9)
    clock.now = after_close(DAYS[8])
    reply = ask("what is the averaging period").replies[-1]
    assert reply.intent == "faq"


def test_track_on_and_off_are_stored_for_the_employee_who_wrote(ask, db_path):
    reply = ask("track on", channel="email", address="alice.smith@example.com").replies[-1]
    assert reply.text.startswith("Daily Averaging Period updates are on")
    assert "by email to the address on your record" in reply.text
    db = store.open_db(db_path)
    assert (Preferences(db).get("E1", "tracking"), Preferences(db).get("E1", "tracking_slack")) == (True, False)
    ask("Track off.", channel="email", address="alice.smith@example.com")
    assert Preferences(db).get("E1", "tracking") is False
    db.close()


def test_track_on_from_someone_without_a_record_changes_nothing(ask, db_path):
    reply = ask("track on", channel="email", address="someone@gmail.example").replies[-1]
    assert reply.text.startswith("I can't match you to an employee record")
    db = store.open_db(db_path)
    assert Preferences(db).opted("tracking", True) == set()
    db.close()
