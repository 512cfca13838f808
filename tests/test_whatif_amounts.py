"""Reading the Total Payment an inverse question asks about (handlers/whatif.py)."""

from decimal import Decimal

import pytest

from handlers.whatif import asks_slope, find_amount


@pytest.mark.parametrize(("text", "value"), [
    ("what acp gets me to $20,000.01?", "20000.01"),
    ("what price gives me 20,000", "20000.00"),
    ("price for a 25k total", "25000.00"),
    ("how high for fifty thousand dollars", "50000.00"),
    ("twenty-five thousand: what average?", "25000.00"),
    ("what average gets me 15 grand", "15000.00"),
    ("at what price would I pass $20,000", "20000.01"),
    ("when does my total go over 30k", "30000.01"),
    ("what average for more than $12,500.50", "12500.51"),
])
def test_the_amount_is_read_in_dollars_and_cents(text: str, value: str) -> None:
    found = find_amount(text)
    assert found is not None and found.value == Decimal(value)


@pytest.mark.parametrize("text", [
    "what acp do I need?",
    "at $27 in December 2003",
    "I'm level 68 with 15 trading days left",
    "call (425) 706-8853",
    "estimate for E000123",
])
def test_prices_years_levels_and_phone_numbers_are_not_amounts(text: str) -> None:
    assert find_amount(text) is None


@pytest.mark.parametrize(("text", "slope"), [
    ("how much does each dollar of the average change my payment?", True),
    ("per $1 of acp, how much?", True),
    ("sensitivity of my payout", True),
    ("what average gives me $50,000?", False),
])
def test_a_per_dollar_question_is_recognised(text: str, slope: bool) -> None:
    assert asks_slope(text) is slope
