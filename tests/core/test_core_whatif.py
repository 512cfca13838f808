"""The inverse questions through the conversation core: understood, solved, answered only privately.

This module's world adds Rosa (United States, Level 62, general schedule) with 20,000 options of
the $33.00 Series: from $20 to $30 her Total Payment is 20,000 x (0.50 + 0.20 (p - 20)), so it is
$20,000.00 at $22.5000 and $20,000.40 at $22.5001, the first price where it is $20,000.01 or more.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from worlds import build_world

EMPLOYEES = """employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,Alice.Smith@example.com,U0ALICE,United States,62,employee,active
E2,Diego Ruiz,druiz@example.com,U0DIEGO,Spain,69,employee,active
E4,Jan Peeters,jpeeters@example.com,U0JAN,Belgium,60,employee,active
E6,Rosa Vidal,rvidal@example.com,U0ROSA,United States,62,employee,active
E7,Omar Haddad,ohaddad@example.com,U0OMAR,United States,68,employee,active
"""
GRANTS = """employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,expiration_date,multi_year_grant
E1,0001,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E1,0002,1999-07-03,NSO,1991,45.00,2000,0,0,2007-07-03,0
E2,0101,2000-04-24,NSO,1991,33.00,20000,0,0,2010-04-24,0
E4,0301,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E6,0601,2000-04-24,NSO,1991,33.00,20000,0,0,2010-04-24,0
E7,0701,2000-04-24,NSO,1991,33.00,20000,0,0,2010-04-24,0
"""
GRID = """exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option
33.00,2010-04-24,0,0.00,0.0000
33.00,2010-04-24,0,20.00,0.5000
33.00,2010-04-24,0,30.00,2.5000
33.00,2010-04-24,0,40.00,6.0000
45.00,2007-07-03,0,0.00,0.0000
45.00,2007-07-03,0,20.00,0.1000
45.00,2007-07-03,0,30.00,0.6000
45.00,2007-07-03,0,40.00,2.0000
"""
Q11_AT_OR_BELOW = ("If the amount of the Total Payment is $20,000 or less, for any Employee Level: Initial Payment: "
                   "100%; First Contingent Payment Plus Interest Equivalent: N/A; Second Contingent Payment Plus "
                   "Interest Equivalent: N/A.")
Q11_ABOVE_54_67 = ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
                   "Deadline is Levels 54-67: Initial Payment: Greater of 33.33% or $20,000;")
Q11_ABOVE_68 = ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
                "Deadline is Levels 68+:")
QUESTION = "at which average closing price does my total payment go over $20,000, so it's not all paid in December?"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path, employees=EMPLOYEES, grants=GRANTS, grid=GRID)


def _plain(text: str) -> str:
    """The reply without the quote bars and line breaks channels add."""
    return " ".join(re.sub(r"[│>]", " ", text).split())


def test_an_inverse_question_is_answered_with_the_exact_break_even_price(ask):
    reply = ask(QUESTION, address="U0ROSA").primary
    assert (reply.intent, reply.sub_intent, reply.privacy) == ("estimate", "whatif", "private")
    assert _plain(reply.text).startswith(
        "The lowest assumed Average Closing Price at which your estimated Total Payment reaches $20,000.01 is "
        "$22.5001 (to $0.0001): there it is $20,000.40; at $22.5000 it is $20,000.00.")


def test_around_20000_the_line_is_stated_in_the_notices_own_q11_words(ask):
    reply = ask(QUESTION, address="U0ROSA").primary
    text = _plain(reply.text)
    assert Q11_AT_OR_BELOW in text and Q11_ABOVE_54_67 in text
    assert ("For you, that line falls at an assumed Average Closing Price of $22.5001: at $22.5000 your estimated "
            "Total Payment is $20,000.00 ($20,000 or less); at $22.5001 it is $20,000.40 ($20,000.01 or more).") in text
    assert reply.sections[0] == "q11"


def test_at_level_68_the_q11_row_quoted_is_the_level_68_one(ask):
    text = _plain(ask(QUESTION, address="U0OMAR").primary.text)
    assert Q11_ABOVE_68 in text and Q11_ABOVE_54_67 not in text


def test_outside_the_general_schedule_the_20000_line_is_not_quoted(ask):
    text = _plain(ask(QUESTION, address="U0DIEGO").primary.text)
    assert "$22.5001" in text and "$20,000 or less" not in text


def test_in_a_shared_channel_only_a_pointer_is_public(ask):
    response = ask(QUESTION, address="U0ROSA", shared=True)
    public = [r for r in response.replies if r.privacy == "public"]
    private = [r for r in response.replies if r.privacy == "private"]
    assert [r.text for r in public] == ["I've sent my answer to you privately (it concerns your own records)."]
    assert "$22.5001" in private[0].text
    assert response.private_to == "U0ROSA"


def test_the_reply_carries_the_estimate_caveats(ask):
    text = _plain(ask("what average gives me $5,000?").primary.text)
    assert "Amounts are pre-tax." in text
    assert "may not reflect your actual Total Payment, which will only be determined following completion" in text
    # Alice: 3,700 + 630 (p - 30) from $30 to $40.
    assert "reaches $5,000.00 is $32.0635" in text
    assert "$20,000 or less" not in text


def test_a_per_dollar_question_gets_the_slope_of_the_grid_segment(ask):
    text = _plain(ask("how many dollars more do I get per dollar of the average at $25?", address="U0ROSA").primary.text)
    assert ("Around $25.00, each $1.00 of Average Closing Price changes your estimated Total Payment by about "
            "$4,000.00 (the Pricing Grid's straight line from $20.00 to $30.00).") in text


def test_an_inverse_question_without_an_amount_asks_for_one(ask):
    reply = ask("what acp would I need to hit my target?").primary
    assert reply.sub_intent == "whatif"
    assert reply.text.startswith("Which Total Payment should I solve for? Name an amount")


def test_an_asker_without_records_gets_the_estimate_answer_for_unknown_askers(ask):
    reply = ask(QUESTION, address="U0NOBODY").primary
    assert reply.text.startswith("Your own figures depend on your Eligible Options, so I can only show them to you "
                                 "privately")
    assert "$22.5001" not in reply.text


def test_someone_not_eligible_gets_the_estimates_not_eligible_answer(ask):
    reply = ask(QUESTION, address="U0JAN").primary
    assert reply.text.startswith("I can't estimate a Total Payment for you: according to the records I have, you are "
                                 "not an Eligible Employee.")
    assert reply.privacy == "private"


def test_by_email_the_answer_goes_only_to_the_address_on_record(ask):
    response = ask(QUESTION, channel="email", address="rvidal@example.com")
    assert response.private_to == "rvidal@example.com"
    assert response.primary.privacy == "private" and "$22.5001" in response.primary.text
