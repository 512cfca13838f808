"""What the reminders say: neutral, the deadline three ways, what is on record, the Notice's own words."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import countries
from bot.calc.records import Employee
from bot.elections import ElectionRecord, election_status
from bot.reminders import plan, texts
from bot.reminders.plan import Recipient
from reminders_world import at

# Urgency and advice, written out here on their own (not read from reminders.toml), so a phrase
# dropped from the data file's list is still caught.
URGENCY = ("don't miss", "do not miss", "miss out", "last chance", "final chance", "act now", "act fast",
           "act today", "hurry", "running out", "too late", "don't wait", "do not wait", "don't delay",
           "urgent", "immediately", "asap", "days left", "hours left", "only a few", "now or never",
           "once-in-a-lifetime", "one-time opportunity", "limited time", "final reminder", "take advantage",
           "we recommend", "you should elect", "you should transfer", "!", "deadline is approaching",
           "before it's too late", "lose out", "opportunity of a lifetime", "right away", "time is short")
T = texts.default_texts()
V1 = plan.first_version(at("2003-10-20T00:00-05:00"))
V2 = plan.extended(V1, date(2003, 11, 19), at("2003-11-12T10:00-05:00"), "command")
PT = "-08:00"


def record(action: str, method: str, submitted: str, form: str | None = None) -> ElectionRecord:
    return ElectionRecord("E1", action, method, datetime.fromisoformat(submitted + PT),
                          datetime.fromisoformat(form + PT) if form else None)


STANDINGS = {
    "none": [],
    "participating": [record("participate", "fax", "2003-11-03T09:04:00")],
    "withdrawn": [record("withdraw", "mail", "2003-11-04T13:30:00")],
    "pending_participate": [record("participate", "online", "2003-11-03T09:04:00")],
    "pending_withdraw": [record("withdraw", "online", "2003-11-03T09:04:00")],
    "complete_two_step": [record("participate", "online", "2003-11-03T09:04:00", "2003-11-05T08:00:00")],
    "late_form": [record("participate", "online", "2003-11-03T09:04:00", "2003-11-13T08:00:00")],
}


def recipient(standing: str, country: str = "Germany", status: str = "active", zone: str = "Europe/Berlin",
              deadline: date = date(2003, 11, 12)) -> Recipient:
    c = countries.get(country)
    employee = Employee("E1", "Anna Schmidt", "anna@example.com", "U0ANNA", country, 62, "employee", status)
    return Recipient(employee, c, ZoneInfo(zone), election_status(STANDINGS[standing], two_step=c.two_step,
                                                                  deadline=deadline), True)


def every_message() -> list[texts.Message]:
    out = []
    for kind, channel, standing, country, status, version in itertools.product(
            ("14d", "7d", "3d", "1d", "6h", "extension"), ("email", "slack"), STANDINGS,
            ("Germany", "United States"), ("active", "leave"), (V1, V2)):
        if kind == "extension" and version is V1:
            continue
        person = recipient(standing, country, status, deadline=version.deadline)
        out.append(texts.reminder(T, kind, person, version, channel))
    for standing, country, when in itertools.product(STANDINGS, ("Germany", "United States"),
                                                     (at("2003-11-05T09:00-05:00"), at("2003-11-14T09:00-05:00"))):
        out.append(texts.confirmation(T, recipient(standing, country), V1, when))
    return out


def test_no_text_the_planner_can_write_has_urgency_or_advice():
    messages = every_message()
    assert len(messages) > 500
    for message in messages:
        folded = f"{message.subject}\n{message.text}".casefold().replace("\u2019", "'")
        assert [p for p in URGENCY if p in folded] == [], message.text


def test_a_text_with_an_urgency_phrase_stops_the_texts_from_loading(tmp_path: Path):
    source = texts.data_path("reminders.toml").read_text(encoding="utf-8")
    bad = tmp_path / "reminders.toml"
    bad.write_text(source.replace('lead = "A reminder of the Election Deadline',
                                  'lead = "Act now: a reminder of the Election Deadline', 1), encoding="utf-8")
    with pytest.raises(texts.UnneutralText, match="reminders.toml timed.lead: 'act now'"):
        texts.load(bad)


def test_a_reminder_states_the_deadline_in_new_york_and_pacific_time_and_in_the_employees_zone():
    text = texts.reminder(T, "7d", recipient("none"), V1, "email").text
    assert ("Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003."
            in text)
    assert "In your time zone (Europe/Berlin, CET): Thursday, November 13, 2003 at 6:00 AM." in text


def test_a_reminder_in_india_shows_the_half_hour_zone():
    text = texts.reminder(T, "7d", recipient("none", "India", zone="Asia/Kolkata"), V1, "slack").text
    assert "In your time zone (Asia/Kolkata, IST): Thursday, November 13, 2003 at 10:30 AM." in text


def test_with_no_election_on_record_doing_nothing_keeps_the_options_on_their_current_terms():
    text = texts.reminder(T, "3d", recipient("none", "United States", zone="America/Los_Angeles"), V1, "email").text
    assert "What is on record for you: no election on record: your options stay on their current terms." in text
    assert ("The Notice (Q19):\n\n> Participation in the Stock Option Transfer Program is completely voluntary. "
            "If you elect not to participate, your existing Eligible Options will remain outstanding on their "
            "current terms and conditions.") in text


def test_a_withdrawal_on_record_is_told_doing_nothing_keeps_the_options_on_their_current_terms():
    for channel in ("email", "slack"):
        text = texts.reminder(T, "3d", recipient("withdrawn", "United States"), V1, channel).text
        assert "If you do nothing, your options stay on their current terms (Q19)" in text


def test_with_an_election_to_participate_on_record_the_reminder_says_it_stands():
    text = texts.reminder(T, "3d", recipient("participating", "United States"), V1, "email").text
    assert ("What is on record for you: participate, received November 3, 2003 at 9:04 AM U.S. Pacific Time "
            "(by fax to Mellon Investor Services).") in text
    assert "If you do nothing, the election to participate on record stands." in text
    assert "If you do nothing, your options stay on their current terms" not in text


def test_a_withdrawal_on_record_is_stated_with_when_it_was_received():
    text = texts.reminder(T, "1d", recipient("withdrawn", "United States"), V1, "slack").text
    assert ("What is on record for you: withdrawn, received November 4, 2003 at 1:30 PM U.S. Pacific Time "
            "(by mail to Mellon Investor Services).") in text


def test_every_reminder_says_the_last_proper_election_before_the_deadline_governs_and_how_to_elect():
    for message in every_message():
        if message.kind == "confirmation":
            continue
        assert "The last election properly submitted before the Election Deadline governs" in message.text
        assert "https://stock under the Option Transfer tab" in message.text
        assert "does not take elections or withdrawals" in message.text
        assert "None of Microsoft, its Board of Directors, or JPMorgan makes any recommendation" in message.text
        assert "(425) 706-8853" in message.text and "compchng@microsoft.com" in message.text


@pytest.mark.parametrize("channel", ["email", "slack"])
def test_a_two_step_online_election_without_the_signed_form_is_told_plainly_it_is_not_complete(channel):
    text = texts.reminder(T, "3d", recipient("pending_participate"), V1, channel).text
    assert ("Your election is not complete until Mellon Investor Services RECEIVES your signed form by the "
            "Election Deadline") in text
    assert "> (2) print and return a signed copy of your form" in text
    assert ('by facsimile to (201) 329-8456 or by mail to "Mellon Investor Services LLC, Attn: Reorganization '
            'Dept., P.O. Box 3301, South Hackensack, NJ 07606, USA."') in text
    assert ("> In order for your election to be valid, Mellon Investor Services must RECEIVE your signed Election "
            "Form by the Election Deadline.") in text


def test_a_two_step_withdrawal_without_the_signed_form_quotes_section_6_and_the_fax_number():
    text = texts.reminder(T, "3d", recipient("pending_withdraw", "Russia", zone="Europe/Moscow"), V1, "email").text
    assert "Your withdrawal is not complete until Mellon Investor Services RECEIVES your signed form" in text
    assert ("> In order for your election to withdraw to be valid, Mellon Investor Services must RECEIVE your "
            "signed Withdrawal Form by the Election Deadline.") in text
    assert "via facsimile at (201) 329-8456" in text and "P.O. Box 3301, South Hackensack, NJ 07606, USA." in text


def test_an_employee_on_leave_gets_the_paper_form_instructions():
    text = texts.reminder(T, "7d", recipient("none", "United States", status="leave"), V1, "email").text
    assert "The records show you on leave of absence, so this reminder comes by email only." in text
    assert ("> Regardless of the country in which you are employed, if you are an Eligible Employee who is on "
            "leave of absence, you will be sent a paper election packet") in text
    assert "> Forms may be requested by contacting Microsoft Stock Services at (425) 706-8853" in text


def test_the_extension_announcement_names_the_new_and_the_old_deadline():
    message = texts.reminder(T, "extension", recipient("none", deadline=V2.deadline), V2, "email")
    assert message.subject == ("Stock Option Transfer Program: the Election Deadline is extended to "
                               "Wednesday, November 19, 2003")
    assert "The Election Deadline of the Stock Option Transfer Program has been extended." in message.text
    assert "(9:00 PM U.S. Pacific Time) on Wednesday, November 19, 2003." in message.text
    assert "The Election Deadline was extended from Wednesday, November 12, 2003." in message.text


def test_the_slack_reminder_says_how_to_turn_slack_reminders_off_and_the_email_that_it_cannot_be():
    person = recipient("none", "United States")
    assert "send `/sotp reminders off`" in texts.reminder(T, "7d", person, V1, "slack").text
    assert "cannot be turned off" in texts.reminder(T, "7d", person, V1, "email").text


def test_a_confirmation_of_a_completed_two_step_election_says_complete_and_recorded():
    message = texts.confirmation(T, recipient("complete_two_step", "France", zone="Europe/Paris"), V1,
                                 at("2003-11-05T09:00-05:00"))
    assert message.subject == "Stock Option Transfer Program: your election is complete and recorded"
    assert "Mellon Investor Services received your signed form on November 5, 2003 at 8:00 AM U.S. Pacific Time." \
        in message.text
    assert "Your submitted election is complete and has been recorded." in message.text
    assert "You can change it until the Election Deadline:" in message.text


def test_a_confirmation_after_the_deadline_says_no_change_is_accepted():
    message = texts.confirmation(T, recipient("participating", "United States"), V1, at("2003-11-14T09:00-05:00"))
    assert message.subject == "Stock Option Transfer Program: your election on record"
    assert "The Election Deadline has passed:" in message.text
    assert "> After this deadline, no elections to participate or to withdraw will be accepted." in message.text
    assert "You can change it until" not in message.text


def test_every_quote_is_the_corpus_text_verbatim():
    from knowledge.corpus import default_corpus

    paragraphs = [p for section in default_corpus().values() for p in section.paragraphs]
    for key, quote in T.quotes.items():
        assert any(quote in p for p in paragraphs), key


def test_money_in_the_results_email_is_formatted_from_decimals():
    from bot.calc.estimate import Estimate
    from bot.calc.schedule import Installment

    person = recipient("participating", "United States")
    estimate = Estimate("E1", Decimal("25.5720"), False, (), Decimal("54321.09"),
                        (Installment("initial", date(2003, 11, 12), date(2003, 12, 31), Decimal("20000.00"), None),
                         Installment("first_contingent", date(2005, 12, 9), date(2005, 12, 31),
                                     Decimal("34321.09"), Decimal("612.34"))),
                        (), ("Amounts are pre-tax.",), None)  # type: ignore[arg-type]
    text = texts.results(T, person, estimate).text
    assert "the final Average Closing Price is $25.5720" in text
    assert "$54,321.09 (pre-tax, U.S. dollars)" in text
    assert "First Contingent Payment  December 9, 2005" in text and "$34,321.09" in text and "$612.34" in text
    assert datetime.now(timezone.utc).year > 2003   # the figures are the employee's, not the clock's
