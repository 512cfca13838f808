"""Stock Services hours: 06:00-18:00 Pacific, Monday-Friday, not on U.S. holidays.

Each expected figure is worked out by hand from the calendar of November 2003
(Monday 3, 10, 17, 24; Veterans Day Tuesday 11; Thanksgiving Thursday 27).
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.business_hours import BusinessHours
from bot.config import load_settings

PT = ZoneInfo("America/Los_Angeles")
HOURS = BusinessHours()


def pt(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PT)


def test_friday_at_five_is_one_business_hour_old_at_monday_six():
    # Friday 17:00-18:00 = 1 h; Saturday and Sunday count nothing; Monday opens at 06:00.
    assert HOURS.hours_between(pt(2003, 11, 7, 17, 0), pt(2003, 11, 10, 6, 0)) == 1.0


def test_overnight_counts_nothing():
    # Tuesday 18:00 (closing) to Wednesday 06:00 (opening).
    assert HOURS.hours_between(pt(2003, 11, 4, 18, 0), pt(2003, 11, 5, 6, 0)) == 0.0


def test_time_inside_one_business_day_counts_in_full():
    # Monday 09:00 to 11:30 = 2.5 h.
    assert HOURS.hours_between(pt(2003, 11, 3, 9, 0), pt(2003, 11, 3, 11, 30)) == 2.5


def test_hours_before_opening_and_after_closing_do_not_count():
    # Monday 04:00 to 20:00 holds the whole 06:00-18:00 window: 12 h.
    assert HOURS.hours_between(pt(2003, 11, 3, 4, 0), pt(2003, 11, 3, 20, 0)) == 12.0


def test_veterans_day_counts_zero():
    # Monday 17:00-18:00 = 1 h; Tuesday 2003-11-11 Veterans Day = 0; Wednesday 06:00-07:00 = 1 h.
    assert HOURS.hours_between(pt(2003, 11, 10, 17, 0), pt(2003, 11, 12, 7, 0)) == 2.0


def test_thanksgiving_counts_zero_and_the_friday_after_counts():
    # Wednesday 12:00-18:00 = 6 h; Thursday 2003-11-27 = 0; Friday 06:00-12:00 = 6 h; total 12 h.
    assert HOURS.hours_between(pt(2003, 11, 26, 12, 0), pt(2003, 11, 28, 12, 0)) == 12.0


def test_a_weekend_counts_zero():
    assert HOURS.hours_between(pt(2003, 11, 8, 0, 0), pt(2003, 11, 10, 0, 0)) == 0.0


def test_a_week_without_holidays_has_sixty_business_hours():
    # Monday 2003-11-03 00:00 to Monday 2003-11-10 00:00: 5 days x 12 h.
    assert HOURS.hours_between(pt(2003, 11, 3, 0, 0), pt(2003, 11, 10, 0, 0)) == 60.0


def test_the_daylight_saving_weekend_is_measured_in_pacific_wall_clock_hours():
    # Friday 2003-10-24 17:00 PDT (UTC-7) = Saturday 00:00 UTC; clocks fall back on Sunday 10-26;
    # Monday 2003-10-27 06:00 PST (UTC-8) = 14:00 UTC. Business time: Friday 17:00-18:00 = 1 h.
    # A fixed UTC-7 offset would read 14:00 UTC as 07:00 on Monday and count 2 h.
    start = datetime(2003, 10, 25, 0, 0, tzinfo=timezone.utc)
    end = datetime(2003, 10, 27, 14, 0, tzinfo=timezone.utc)
    assert HOURS.hours_between(start, end) == 1.0


def test_utc_and_pacific_inputs_give_the_same_answer():
    # Monday 2003-11-03 09:00 PST = 17:00 UTC; 11:30 PST = 19:30 UTC.
    utc = HOURS.hours_between(datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc),
                              datetime(2003, 11, 3, 19, 30, tzinfo=timezone.utc))
    assert utc == HOURS.hours_between(pt(2003, 11, 3, 9, 0), pt(2003, 11, 3, 11, 30)) == 2.5


def test_an_end_before_the_start_is_zero():
    assert HOURS.hours_between(pt(2003, 11, 3, 12, 0), pt(2003, 11, 3, 9, 0)) == 0.0


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURS.hours_between(datetime(2003, 11, 3, 9, 0), pt(2003, 11, 3, 11, 0))


def test_the_business_day_comes_from_settings(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[queue]\nbusiness_day_start = "08:00"\nbusiness_day_end = "17:00"\n')
    hours = BusinessHours.from_settings(load_settings(cfg))
    # Monday 00:00 to Tuesday 00:00 holds one 08:00-17:00 day: 9 h.
    assert hours.hours_between(pt(2003, 11, 3, 0, 0), pt(2003, 11, 4, 0, 0)) == 9.0


def test_the_default_settings_give_six_to_six_pacific():
    assert BusinessHours.from_settings(load_settings()) == BusinessHours()
