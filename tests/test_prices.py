from decimal import Decimal

import pytest

from handlers.prices import find_price


@pytest.mark.parametrize("text, price", [
    ("what's my total at $26", "26"),
    ("estimate at 26.5 please", "26.5"),
    ("say the stock averages 26 bucks", "26"),
    ("my payout if ACP is 27.50", "27.50"),
    ("model it at $40", "40"),
    ("what if msft sits around 28.60 for the averaging", "28.60"),
])
def test_the_assumed_price_is_found_in_the_ways_employees_write_it(text, price):
    assert find_price(text) == Decimal(price)


@pytest.mark.parametrize("text", [
    "what do my options pay me in total?",
    "what would my 2006 installment be? I'm L70",
    "is the deadline nov 12?",
    "will my total be over 20k?",
    "I have 15 days to decide and 3 grants",
])
def test_years_levels_dates_amounts_and_counts_are_not_prices(text):
    assert find_price(text) is None


def test_a_price_beats_a_level_and_a_year_in_the_same_message():
    assert find_price("what would my 2005 piece be at 27? I'm a 70") == Decimal("27")


def test_a_price_above_the_tools_limit_is_still_reported_so_the_reply_can_explain():
    assert find_price("what do I get at $45?") == Decimal("45")


def test_a_price_with_cents_after_for_is_the_assumed_price():
    assert str(find_price("crunch my numbers for 28.5")) == "28.5"
