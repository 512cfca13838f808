"""The Contingent Interest Payment convention (Notice Q11, s3; issue 3)."""

from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calc.errors import CalcError
from bot.calc.interest import MonthlyRates, contingent_interest

d = date


def test_one_full_month_earns_balance_times_rate_times_days_over_365():
    # 10,000.00 x 0.01 x 31 / 365 = 8.4931... -> 8.49
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2004, 1, 12), D("0.01"))
    assert (result.interest, result.periods, result.final_balance) == (D("8.49"), 1, D("10008.49"))


def test_a_short_single_period_ends_at_the_vesting_date():
    # 12-12 to 12-20 = 8 days: 10,000.00 x 0.01 x 8 / 365 = 2.1917... -> 2.19
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2003, 12, 20), D("0.01"))
    assert (result.interest, result.periods) == (D("2.19"), 1)


def test_interest_is_added_to_the_balance_each_month():
    # Period 1 (31 days): 10,000 x 0.10 x 31/365 = 84.931506849...; balance 10,084.931506849...
    # Period 2 (31 days): 10,084.931506849 x 0.10 x 31/365 = 85.652842934...
    # Sum 170.584349... -> 170.58 (simple interest would give 169.86)
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2004, 2, 12), D("0.10"))
    assert (result.interest, result.periods) == (D("170.58"), 2)


def test_a_leap_year_still_divides_by_365():
    # 2004-02-01 to 2004-03-01 = 29 days: 10,000 x 0.0365 x 29 / 365 = 29.00 (with /366: 28.92)
    result = contingent_interest(D("10000.00"), d(2004, 2, 1), d(2004, 3, 1), D("0.0365"))
    assert result.interest == D("29.00")


def test_period_ends_are_computed_from_the_start_date_with_the_day_clamped():
    # Start 01-31: boundaries 02-29 (clamped) and 03-31 (from the start, not 02-29 + 1 month = 03-29).
    # Period 1: 29 days, 10,000 x 0.0365 x 29/365 = 29.00 -> 10,029.00
    # Period 2: 31 days, 10,029 x 0.0365 x 31/365 = 31.0899 -> interest 60.0899 -> 60.09
    result = contingent_interest(D("10000.00"), d(2004, 1, 31), d(2004, 3, 31), D("0.0365"))
    assert (result.interest, result.periods) == (D("60.09"), 2)


def test_each_period_uses_the_rate_of_the_month_it_starts_in():
    rates = MonthlyRates({(2003, 12): D("0.0365"), (2004, 1): D("0.073")})
    # Dec period: 10,000 x 0.0365 x 31/365 = 31.00 -> 10,031.00
    # Jan period: 10,031 x 0.073 x 31/365 = 62.1922 -> interest 93.1922 -> 93.19
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2004, 2, 12), rates)
    assert result.interest == D("93.19")


def test_a_month_without_a_rate_is_an_error_not_a_guess():
    rates = MonthlyRates({(2003, 12): D("0.0095")})
    with pytest.raises(CalcError, match="no 3-month Treasury rate for 2004-01"):
        contingent_interest(D("10000.00"), d(2003, 12, 12), d(2004, 2, 12), rates)


def test_the_issue_check_ten_thousand_at_one_percent_to_december_9_2005():
    # sotp interest --principal 10000.00 --from 2003-12-12 --to 2005-12-09 --rate 0.01 -> 201.37
    # Periods (start + k months from 2003-12-12; the last one ends at 2005-12-09), in days:
    period_days = [31, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,   # 2003-12-12 .. 2004-12-12 (leap Feb)
                   31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,       # .. 2005-11-12
                   27]                                               # 2005-11-12 .. 2005-12-09
    assert sum(period_days) == 728 == (d(2005, 12, 9) - d(2003, 12, 12)).days
    # By hand, exactly: 10,000 x prod(1 + 0.01 x days/365) - 10,000 = 201.3698... -> 201.37
    balance = Fraction(10000)
    for days in period_days:
        balance += balance * Fraction(1, 100) * days / 365
    assert round(float(balance - 10000), 4) == 201.3698
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2005, 12, 9), D("0.01"))
    assert (result.interest, result.final_balance, result.periods) == (D("201.37"), D("10201.37"), 24)


def test_no_time_means_no_interest():
    result = contingent_interest(D("10000.00"), d(2003, 12, 12), d(2003, 12, 12), D("0.01"))
    assert (result.interest, result.periods) == (D("0.00"), 0)


def test_an_end_before_the_start_is_refused():
    with pytest.raises(CalcError, match="before it starts"):
        contingent_interest(D("10000.00"), d(2003, 12, 12), d(2003, 12, 1), D("0.01"))


def test_an_exact_half_cent_of_interest_is_left_to_the_step_by_step_convention():
    # 182.50 x 0.01 x 1 / 365 = 0.005 exactly: on the rounding boundary, so the exact shortcut declines
    from bot.calc.interest import _exact_interest, interest_periods

    periods = interest_periods(d(2003, 12, 12), d(2003, 12, 13))
    assert _exact_interest(D("182.50"), D("0.01"), periods) is None
    assert contingent_interest(D("182.50"), d(2003, 12, 12), d(2003, 12, 13), D("0.01")).interest == D("0.01")



@settings(max_examples=500)
@given(principal_cents=st.integers(min_value=0, max_value=10**14),
       rate_bp=st.integers(min_value=0, max_value=2000),
       start=st.dates(min_value=d(2003, 11, 1), max_value=d(2004, 12, 31)),
       days=st.integers(min_value=0, max_value=1500))
def test_the_exact_single_rate_interest_is_always_the_step_by_step_one(principal_cents, rate_bp, start, days):
    from bot.calc.interest import interest_periods, iterated_interest

    principal, rate, end = D(principal_cents).scaleb(-2), D(rate_bp).scaleb(-4), start + timedelta(days=days)
    expected = iterated_interest(principal, interest_periods(start, end), rate)
    assert contingent_interest(principal, start, end, rate).interest == expected
