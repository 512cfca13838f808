from decimal import Decimal as D

import pytest

from bot.calc.errors import InvalidPrice
from bot.calc.money import cents, money_str, parse_price, round_up_4


@pytest.mark.parametrize("value, expected", [
    ("0.005", "0.01"),
    ("0.025", "0.03"),      # banker's rounding would give 0.02
    ("2.675", "2.68"),
    ("12345.6749", "12345.67"),
    ("-0.005", "-0.01"),    # half away from zero
])
def test_cents_round_half_up(value, expected):
    assert cents(D(value)) == D(expected)
    assert str(cents(D(value))) == expected


@pytest.mark.parametrize("value, expected", [
    ("25.56866666", "25.5687"),
    ("25.5687", "25.5687"),       # already on 1/10,000: stays
    ("25.56870001", "25.5688"),   # any excess goes UP, not to nearest
])
def test_round_up_4_goes_up_to_the_next_ten_thousandth(value, expected):
    assert round_up_4(D(value)) == D(expected)


@pytest.mark.parametrize("value, expected", [
    ("12345.6", "12345.60"),
    ("1E+4", "10000.00"),
    ("0.125", "0.13"),
    ("7", "7.00"),
])
def test_money_str_has_exactly_two_decimals(value, expected):
    assert money_str(D(value)) == expected


@pytest.mark.parametrize("text, expected", [
    ("$27.50", "27.50"),
    ("27.5", "27.5"),
    ("27", "27"),
    (" $ 27 ", "27"),
])
def test_parse_price_accepts_what_people_type(text, expected):
    assert parse_price(text) == D(expected)


@pytest.mark.parametrize("text", ["abc", "", "$", "NaN", "Infinity", "27,50 dollars"])
def test_parse_price_refuses_what_is_not_a_number(text):
    with pytest.raises(InvalidPrice, match="is not a price"):
        parse_price(text)
