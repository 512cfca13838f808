"""The Pricing Grid, the Average Closing Price and the assumed ACP (Notice Q6, Q7, s2)."""

from datetime import date
from decimal import Decimal as D

import pytest

from bot.calc.errors import CalcError, InvalidPrice, PriceOutOfRange, SeriesMissing
from bot.calc.money import cents, parse_price
from bot.calc.pricing import PricingGrid, average_closing_price, validate_assumed_acp
from bot.calc.records import GridPoint, SeriesKey
from calc_builders import points

S35 = SeriesKey(D("35.00"), date(2010, 7, 3), False)
GRID = PricingGrid(points(S35, ("20.00", "0.20"), ("25.00", "0.50"), ("30.00", "1.10")))


# --- Interpolation ----------------------------------------------------------------------------

def test_a_grid_point_gives_its_own_price():
    assert GRID.price(S35, D("25.00")) == D("0.50")


def test_between_two_points_the_price_is_on_the_straight_line():
    # 0.50 + (1.10 - 0.50) x (27.50 - 25.00) / (30.00 - 25.00) = 0.50 + 0.60 x 0.5 = 0.80
    assert GRID.price(S35, D("27.50")) == D("0.80")
    # 0.20 + (0.50 - 0.20) x (21.00 - 20.00) / 5 = 0.20 + 0.06 = 0.26
    assert GRID.price(S35, D("21.00")) == D("0.26")


def test_the_interpolated_price_is_not_rounded():
    s = SeriesKey(D("40.00"), date(2010, 7, 3), False)
    grid = PricingGrid(points(s, ("20.00", "0.10"), ("23.00", "0.20")))
    price = grid.price(s, D("21.00"))   # 0.10 + 0.10 x 1/3 = 0.1333...
    assert str(price).startswith("0.13333333333333333333")
    # 3,000 options x 0.1333... = 399.99999... -> 400.00; a price rounded to 0.1333 would give 399.90.
    assert cents(price * 3000) == D("400.00")


def test_the_end_points_of_a_series_are_inside_its_range():
    assert GRID.price(S35, D("20.00")) == D("0.20")
    assert GRID.price(S35, D("30.00")) == D("1.10")


@pytest.mark.parametrize("acp", ["19.99", "30.01"])
def test_an_acp_outside_the_series_points_is_an_error(acp):
    with pytest.raises(PriceOutOfRange) as info:
        GRID.price(S35, D(acp))
    assert info.value.low == D("20.00") and info.value.high == D("30.00")
    assert str(info.value) == (
        f"the Pricing Grid has no price at an Average Closing Price of ${acp} for the Series exercise "
        "price $35.00, expiring 2010-07-03, not Multi-Year Grant: its points cover $20.00 to $30.00")


def test_a_missing_series_is_an_error_naming_it():
    missing = SeriesKey(D("42.906"), date(2006, 7, 5), True)
    with pytest.raises(SeriesMissing) as info:
        GRID.price(missing, D("27.00"))
    assert info.value.series == missing
    assert str(info.value) == ("the Pricing Grid has no Series for exercise price $42.906, "
                               "expiring 2006-07-05, Multi-Year Grant")


def test_exercise_prices_compare_by_value():
    grid = PricingGrid(points(SeriesKey(D("33.0000"), date(2010, 7, 3), False), ("20", "0.5"), ("30", "1.5")))
    assert grid.price(SeriesKey(D("33.00"), date(2010, 7, 3), False), D("25")) == D("1.0")


def test_multi_year_grant_is_part_of_the_series():
    myg = SeriesKey(D("35.00"), date(2010, 7, 3), True)
    assert myg not in GRID.series()
    with pytest.raises(SeriesMissing):
        GRID.price(myg, D("25.00"))


def test_two_prices_for_one_point_are_refused():
    with pytest.raises(CalcError, match="two prices"):
        PricingGrid([GridPoint(S35, D("25.00"), D("0.50")), GridPoint(S35, D("25.0"), D("0.51"))])


def test_prices_at_one_acp_match_price_and_mark_out_of_range_series():
    other = SeriesKey(D("45.00"), date(2010, 7, 3), False)
    grid = PricingGrid(points(S35, ("20", "0.20"), ("30", "1.20")) + points(other, ("25", "0.10"), ("40", "0.40")))
    table = grid.prices_at(D("22.00"))
    assert table == {S35: D("0.40"), other: None}   # 0.20 + 1.00 x 2/10 = 0.40; 22 < 25 for the other


def test_one_holders_cents_rows_are_the_grids_rows_for_their_series_only():
    # A chart asks for its holder's Series at its own ACPs; a Series unpriced at one of them has no row.
    s40 = SeriesKey(D("40.00"), date(2010, 7, 3), False)
    grid = PricingGrid([*points(S35, ("20.00", "0.20"), ("25.00", "0.50"), ("30.00", "1.10")),
                        *points(s40, ("20.00", "0.10"), ("23.00", "0.20"))])
    acps = (D("21.00"), D("22.50"), D("23.00"))
    assert grid.cents_rows_for(acps, [S35, s40]) == grid.cents_rows(acps)
    assert grid.cents_rows_for(acps, [S35]) == {S35: grid.cents_rows(acps)[S35]}
    assert grid.cents_rows_for((D("21.00"), D("27.50")), [S35, s40]) == grid.cents_rows((D("21.00"), D("27.50")))
    assert list(grid.cents_rows_for((D("21.00"), D("27.50")), [S35, s40])) == [S35]


def test_the_model_grid_is_flagged_illustrative():
    assert PricingGrid([], illustrative=True).illustrative
    assert not GRID.illustrative


# --- Average Closing Price -----------------------------------------------------------------------

def test_average_closing_price_of_the_real_averaging_period_rounds_up():
    # Consolidated closes 11-14 .. 12-08 (11-28 excluded), from the research notes:
    closes = [D(c) for c in ("25.50 25.15 25.15 25.35 25.10 25.11 25.73 25.40 25.45 "
                             "25.84 25.66 25.67 26.20 25.98 26.24").split()]
    # Sum 383.53; 383.53 / 15 = 25.568666... -> up to 25.5687
    assert average_closing_price(closes) == D("25.5687")


def test_an_exact_mean_is_not_moved():
    # (25.0000 + 25.0002) / 2 = 25.0001 exactly
    assert average_closing_price([D("25.0000"), D("25.0002")]) == D("25.0001")


def test_any_excess_over_a_ten_thousandth_goes_up():
    # (1 + 1 + 1.0001) / 3 = 1.0000333... -> 1.0001 (nearest would be 1.0000)
    assert average_closing_price([D("1"), D("1"), D("1.0001")]) == D("1.0001")


def test_no_closes_is_an_error():
    with pytest.raises(CalcError, match="at least one"):
        average_closing_price([])


# --- The assumed ACP of an estimate --------------------------------------------------------------

@pytest.mark.parametrize("acp", ["40.00", "0.01", "27", "25.5720"])
def test_an_assumed_acp_up_to_40_is_accepted(acp):
    assert validate_assumed_acp(D(acp)) == D(acp)


@pytest.mark.parametrize("acp, message", [
    ("0", "must be more than \\$0.00"),
    ("-1", "must be more than \\$0.00"),
    ("40.01", "above \\$40.00"),
    ("27.00001", "1/10,000 of a dollar"),
])
def test_an_assumed_acp_outside_the_tools_range_is_refused(acp, message):
    with pytest.raises(InvalidPrice, match=message):
        validate_assumed_acp(D(acp))


def test_a_price_that_is_not_a_number_is_refused():
    with pytest.raises(InvalidPrice, match="'abc' is not a price"):
        validate_assumed_acp(parse_price("abc"))
    with pytest.raises(InvalidPrice):
        validate_assumed_acp(D("NaN"))
