from datetime import date
from decimal import Decimal

from bot.formatting import deadline_sentence, dollars, long_date


def test_the_deadline_sentence_gives_eastern_and_pacific_time_as_the_tool_does():
    assert deadline_sentence(date(2003, 11, 12)) == (
        "Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003")


def test_an_extended_deadline_is_worded_the_same_way():
    assert deadline_sentence(date(2003, 11, 19)).endswith("on Wednesday, November 19, 2003")


def test_dollars_have_separators_and_cents_rounded_half_up():
    assert dollars(Decimal("1234567.005")) == "$1,234,567.01"
    assert dollars(Decimal("20000")) == "$20,000.00"


def test_long_dates_have_no_leading_zero():
    assert long_date(date(2005, 12, 9)) == "December 9, 2005"
