"""The program calendar (Notice Q6, Q21, s1, s2, s7)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calc.calendar import add_months, latest_averaging_start, program_calendar
from bot.calc.errors import CalendarError

d = date


def days(*pairs: tuple[int, int]) -> tuple[date, ...]:
    return tuple(date(2003, m, day) for m, day in pairs)


# --- The Notice's default calendar ----------------------------------------------------------

def test_election_deadline_is_midnight_new_york_at_the_end_of_november_12(default_calendar):
    deadline = default_calendar.election_deadline
    assert deadline.isoformat() == "2003-11-13T00:00:00-05:00"
    # "midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on November 12, 2003"
    pacific = deadline.astimezone(ZoneInfo("America/Los_Angeles"))
    assert pacific.isoformat() == "2003-11-12T21:00:00-08:00"
    assert default_calendar.deadline_date == d(2003, 11, 12)


def test_latest_start_is_the_first_business_day_after_the_second_calendar_day():
    # 11-12 + 2 calendar days = Friday 11-14; the first business day following it is Monday 11-17.
    assert latest_averaging_start(d(2003, 11, 12)) == d(2003, 11, 17)


def test_default_averaging_period_runs_november_17_to_december_9(default_calendar):
    cal = default_calendar
    assert cal.averaging_start == d(2003, 11, 17) and cal.start_is_latest_allowed
    # Nasdaq sessions from 11-17, skipping Thanksgiving 11-27 and 11-28 (excluded by the Notice):
    assert cal.trading_days == days(
        (11, 17), (11, 18), (11, 19), (11, 20), (11, 21),
        (11, 24), (11, 25), (11, 26),
        (12, 1), (12, 2), (12, 3), (12, 4), (12, 5),
        (12, 8), (12, 9))
    assert cal.available_trading_days == 15 and cal.averaging_end == d(2003, 12, 9)
    assert not cal.terminated


def test_default_payment_and_vesting_dates(default_calendar):
    cal = default_calendar
    # Third business day after Tuesday 12-09: 12-10, 12-11, 12-12.
    assert cal.jpm_payment_date == d(2003, 12, 12)
    # E + 2 years and E + 3 years (the Notice; the Tool's pages showed 11/12/2005 and 11/12/2006).
    assert cal.vesting_dates == (d(2005, 12, 9), d(2006, 12, 9))
    # 12-05 (incl.) to 12-09 (excl.): 5, 6, 7, 8 = 4 days.
    assert cal.expiry_extension_days == 4


def test_the_real_start_on_november_14_gives_the_real_dates():
    cal = program_calendar(d(2003, 11, 12), averaging_start=d(2003, 11, 14))
    # 11-14 is day 1, so day 15 is one trading day earlier than by default: Monday 12-08.
    assert cal.averaging_end == d(2003, 12, 8) and cal.available_trading_days == 15
    assert cal.trading_days[0] == d(2003, 11, 14) and cal.trading_days[-1] == d(2003, 12, 8)
    assert cal.jpm_payment_date == d(2003, 12, 11)       # 12-09, 12-10, 12-11
    assert cal.expiry_extension_days == 3                # 12-05, 12-06, 12-07
    assert cal.vesting_dates == (d(2005, 12, 8), d(2006, 12, 8))
    assert not cal.start_is_latest_allowed


def test_the_earliest_start_is_the_day_after_the_deadline():
    cal = program_calendar(d(2003, 11, 12), averaging_start=d(2003, 11, 13))
    # 11-13 .. 12-05 holds 15 trading days, so E = 12-05 and the extension is 0 days.
    assert cal.averaging_end == d(2003, 12, 5) and cal.expiry_extension_days == 0
    assert cal.jpm_payment_date == d(2003, 12, 10)


# --- Extensions and refused dates --------------------------------------------------------------

def test_an_extension_to_november_19_ends_the_period_on_december_15():
    cal = program_calendar(d(2003, 11, 19))
    assert cal.election_deadline.isoformat() == "2003-11-20T00:00:00-05:00"
    # 11-19 + 2 = Friday 11-21 -> Monday 11-24.
    assert cal.averaging_start == d(2003, 11, 24)
    # 11-24, 25, 26, 12-01..05, 12-08..12, 12-15 = 3 + 5 + 5 + 1 = 14 days: fewer than 15,
    # so the period ends on Monday 2003-12-15.
    assert cal.available_trading_days == 14 and cal.averaging_end == d(2003, 12, 15)
    assert cal.jpm_payment_date == d(2003, 12, 18)       # 12-16, 12-17, 12-18
    assert cal.expiry_extension_days == 10               # 12-05 .. 12-14
    assert not cal.terminated


def test_the_last_possible_deadline_november_28_is_accepted():
    cal = program_calendar(d(2003, 11, 28))
    # 11-28 + 2 = Sunday 11-30 -> Monday 12-01; 12-01..05, 08..12, 15 = 11 days.
    assert cal.averaging_start == d(2003, 12, 1) and cal.available_trading_days == 11


def test_a_deadline_past_november_28_is_refused():
    with pytest.raises(CalendarError, match="may not be extended beyond November 28, 2003"):
        program_calendar(d(2003, 11, 29))


def test_a_deadline_before_november_12_is_refused():
    with pytest.raises(CalendarError, match="before 2003-11-12"):
        program_calendar(d(2003, 11, 11))


def test_a_start_after_the_latest_allowed_is_refused():
    with pytest.raises(CalendarError, match="no later than"):
        program_calendar(d(2003, 11, 12), averaging_start=d(2003, 11, 18))


def test_a_start_on_the_deadline_date_is_refused():
    with pytest.raises(CalendarError, match="earliest start is 2003-11-13"):
        program_calendar(d(2003, 11, 12), averaging_start=d(2003, 11, 12))


def test_a_business_day_that_is_not_a_trading_day_can_be_the_latest_start():
    # 11-25 + 2 = Thanksgiving 11-27; the next business day is Friday 11-28 (banks open),
    # but 11-28 is not a trading day (s1), so the first Available Trading Day is 12-01.
    cal = program_calendar(d(2003, 11, 25))
    assert cal.averaging_start == d(2003, 11, 28)
    assert cal.trading_days[0] == d(2003, 12, 1)


# --- Market disruption and termination --------------------------------------------------------

def test_a_disrupted_day_is_skipped_and_the_count_goes_on():
    cal = program_calendar(d(2003, 11, 12), disrupted=[d(2003, 11, 20)])
    # Without 11-20 the 15th Available Trading Day moves from 12-09 to 12-10.
    assert d(2003, 11, 20) not in cal.trading_days
    assert cal.available_trading_days == 15 and cal.averaging_end == d(2003, 12, 10)
    assert cal.jpm_payment_date == d(2003, 12, 15)       # 12-11, 12-12, (weekend), 12-15


def test_six_available_days_do_not_terminate_the_program():
    # Deadline 11-28: 11 days 12-01..12-15; 5 disrupted leave 6.
    cal = program_calendar(d(2003, 11, 28), disrupted=days((12, 1), (12, 2), (12, 3), (12, 4), (12, 5)))
    assert cal.available_trading_days == 6 and not cal.terminated
    assert cal.averaging_end == d(2003, 12, 15)


def test_five_or_fewer_available_days_terminate_the_program():
    cal = program_calendar(d(2003, 11, 28),
                           disrupted=days((12, 1), (12, 2), (12, 3), (12, 4), (12, 5), (12, 8)))
    assert cal.trading_days == days((12, 9), (12, 10), (12, 11), (12, 12), (12, 15))
    assert cal.available_trading_days == 5 and cal.terminated


# --- Month arithmetic ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (d(2003, 12, 9), 24, d(2005, 12, 9)),
    (d(2004, 1, 31), 1, d(2004, 2, 29)),    # leap year: clamped to Feb 29
    (d(2003, 1, 31), 1, d(2003, 2, 28)),
    (d(2004, 1, 31), 2, d(2004, 3, 31)),    # computed from the start, not from Feb 29
    (d(2003, 8, 31), 6, d(2004, 2, 29)),
    (d(2003, 12, 15), 1, d(2004, 1, 15)),
])
def test_add_months_clamps_the_day_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_election_deadline_is_an_aware_datetime_one_day_after_the_date(default_calendar):
    assert default_calendar.election_deadline.utcoffset() == timedelta(hours=-5)
