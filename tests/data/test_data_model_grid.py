"""The model Pricing Grid: sane quotes, honest labels, and the amended terms of Notice s1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.calc import SeriesKey
from bot.calc.model_grid import ModelParameters, model_grid, model_grid_points, option_value, years_to_amended_expiry
from bot.figures import model_parameters

E = date(2003, 12, 9)   # the last day of the Averaging Period with the Notice's default calendar
APRIL_2000 = SeriesKey(Decimal("33.3125"), date(2007, 4, 23), False)
JULY_1999 = SeriesKey(Decimal("42.9063"), date(2006, 7, 5), False)
JULY_2000 = SeriesKey(Decimal("40.00"), date(2010, 7, 2), False)
JULY_2000_MYG = SeriesKey(Decimal("40.00"), date(2010, 7, 2), True)
SERIES = (APRIL_2000, JULY_1999, JULY_2000, JULY_2000_MYG)


@pytest.fixture(scope="module")
def points():
    return model_grid_points(SERIES, E, model_parameters())


def _curve(points, series):
    return [(p.average_closing_price, p.price_per_option) for p in points if p.series == series]


def test_the_shipped_parameters_load():
    params = model_parameters()
    assert params.acp_from == Decimal("0.00") and params.acp_to == Decimal("40.00")
    assert params.dividend_per_share == 0.16


def test_every_series_has_points_from_0_to_40_dollars_quoted_to_4_decimals(points):
    for series in SERIES:
        curve = _curve(points, series)
        assert curve[0] == (Decimal("0.00"), Decimal("0.0000"))
        assert curve[-1][0] == Decimal("40.00")
        assert len(curve) == 161                      # $0.00 to $40.00 every $0.25
        assert all(price.as_tuple().exponent == -4 for _, price in curve)


def test_prices_never_fall_as_the_acp_rises(points):
    for series in SERIES:
        prices = [price for _, price in _curve(points, series)]
        assert prices == sorted(prices)
        assert prices[-1] > prices[80]                 # and really rise: $40.00 above $20.00


def test_prices_lie_between_intrinsic_value_and_the_stock_price(points):
    for p in points:
        acp, strike = p.average_closing_price, p.series.exercise_price
        assert max(acp - strike, Decimal(0)) <= p.price_per_option <= acp


def test_a_multi_year_grant_is_worth_less_than_the_same_series_without(points):
    other = dict(_curve(points, JULY_2000))
    myg = dict(_curve(points, JULY_2000_MYG))
    assert all(myg[acp] <= other[acp] for acp in other)
    assert myg[Decimal("27.00")] < other[Decimal("27.00")]


def test_the_model_grid_is_marked_illustrative():
    assert model_grid([APRIL_2000], E, model_parameters()).illustrative is True


def test_time_runs_from_e_to_the_amended_expiration():
    # 2003-12-09 to the 36-month cap 2006-12-09: 365 + 366 (2004) + 365 = 1,096 days.
    assert years_to_amended_expiry(APRIL_2000, E) == 1096 / 365
    # Multi-Year Grant: E + 24 months = 2005-12-09, 366 + 365 = 731 days.
    assert years_to_amended_expiry(JULY_2000_MYG, E) == 731 / 365
    # 2006-07-05 extended by 4 days (12-05 to 12-09) = 2006-07-09: 1,096 - 153 days (07-09 to 12-09) = 943.
    assert years_to_amended_expiry(JULY_1999, E) == 943 / 365


def test_black_scholes_matches_the_textbook_example():
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%,
    # T=0.5, no dividend: d1 = 0.7693, d2 = 0.6278, c = 42 N(d1) - 40 e^-0.05 N(d2) = 4.76.
    params = ModelParameters(volatility=0.2, skew=0.0, volatility_floor=0.05, risk_free_rate=0.10,
                             dividend_per_share=0.0, acp_from=Decimal(0), acp_to=Decimal(40),
                             acp_step=Decimal(1), decimals=4)
    assert round(option_value(42.0, 40.0, 0.5, params), 2) == 4.76


def test_no_price_at_a_spot_of_zero():
    assert option_value(0.0, 33.0, 3.0, model_parameters()) == 0.0
