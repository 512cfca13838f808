"""Expiration after transfer to JPMorgan (Notice s1): extended, capped at 36 months; MYG 24 months."""

from datetime import date
from decimal import Decimal as D

from bot.calc.amended import amended_expiration
from bot.calc.records import SeriesKey

REAL_END = date(2003, 12, 8)   # E of the real program: extension 12-05..12-07 = 3 days


def series(expires: date, myg: bool = False) -> SeriesKey:
    return SeriesKey(D("42.906"), expires, myg)


def test_an_option_expiring_before_the_cap_is_extended_by_the_days_from_december_5():
    # July 1999 grant, expiring 2006-07-05: + 3 days = 2006-07-08, earlier than E + 36 months (2006-12-08).
    assert amended_expiration(series(date(2006, 7, 5)), REAL_END) == date(2006, 7, 8)


def test_an_option_expiring_later_is_cut_to_36_months_from_the_last_day_of_the_averaging_period():
    # April 2000 grant expiring 2007-04-24: + 3 days = 2007-04-27, later than 2006-12-08.
    assert amended_expiration(series(date(2007, 4, 24)), REAL_END) == date(2006, 12, 8)


def test_when_both_dates_coincide_that_date_is_the_expiration():
    # 2006-12-05 + 3 days = 2006-12-08 = E + 36 months.
    assert amended_expiration(series(date(2006, 12, 5)), REAL_END) == date(2006, 12, 8)


def test_multi_year_grant_options_expire_24_months_from_the_last_day():
    assert amended_expiration(series(date(2010, 2, 14), myg=True), REAL_END) == date(2005, 12, 8)


def test_the_default_calendar_extends_by_four_days():
    # E = 2003-12-09: 12-05, 06, 07, 08 = 4 days; 2004-03-01 + 4 = 2004-03-05.
    assert amended_expiration(series(date(2004, 3, 1)), date(2003, 12, 9)) == date(2004, 3, 5)
    assert amended_expiration(series(date(2011, 7, 3)), date(2003, 12, 9)) == date(2006, 12, 9)
