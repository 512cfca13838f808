"""bot.calc.averaging: the running average and the days left, day by day, over the real 2003 calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot.calc.averaging import averaging_state, check_closes
from bot.calc.calendar import NEW_YORK, program_calendar

from tracker_world import CALENDAR, CLOSES, DAYS, RUNNING, after_close

ALL = [(d, Decimal(c)) for d, c in zip(DAYS, CLOSES)]


def test_the_real_2003_period_has_15_available_trading_days_from_november_14_to_december_8():
    assert (len(DAYS), DAYS[0], DAYS[-1]) == (15, date(2003, 11, 14), date(2003, 12, 8))
    assert date(2003, 11, 27) not in DAYS and date(2003, 11, 28) not in DAYS


def test_the_running_average_and_the_days_remaining_after_each_close():
    seen = []
    for i, day in enumerate(DAYS):
        state = averaging_state(ALL, CALENDAR, after_close(day))
        seen.append((f"{state.running_average:f}", state.counted, state.remaining, state.complete))
    assert seen == [(RUNNING[i], i + 1, 14 - i, i == 14) for i in range(15)]


def test_the_last_running_average_is_the_average_closing_price():
    state = averaging_state(ALL, CALENDAR, after_close(DAYS[-1]))
    assert (state.phase, state.final_average) == ("after", Decimal("25.4154"))


def test_a_close_is_not_counted_before_four_pm_new_york_time_on_its_day():
    at_3pm = datetime.combine(DAYS[3], time(15, 59), tzinfo=NEW_YORK)
    state = averaging_state(ALL, CALENDAR, at_3pm)
    assert (state.counted, f"{state.running_average:f}", state.next_day) == (3, "25.0100", DAYS[3])


def test_before_the_period_nothing_is_counted_and_the_phase_says_so():
    state = averaging_state(ALL, CALENDAR, datetime(2003, 11, 13, 12, 0, tzinfo=NEW_YORK))
    assert (state.phase, state.counted, state.remaining, state.running_average) == ("before", 0, 15, None)


def test_a_day_already_closed_without_its_close_is_reported_missing():
    state = averaging_state(ALL[:2] + ALL[3:5], CALENDAR, after_close(DAYS[4]))
    assert (state.missing, state.complete) == ((DAYS[2],), False)


def test_check_closes_names_each_kind_of_day_that_cannot_count():
    rows = [(date(2003, 11, 14), Decimal("25")), (date(2003, 11, 15), Decimal("25")),
            (date(2003, 11, 27), Decimal("25")), (date(2003, 11, 28), Decimal("25")),
            (date(2003, 11, 13), Decimal("25")), (date(2003, 12, 9), Decimal("25")),
            (date(2003, 11, 14), Decimal("26")), (date(2003, 11, 17), Decimal("25"))]
    kinds = [(i, p.kind) for i, p in check_closes(rows, CALENDAR)]
    assert kinds == [(1, "weekend"), (2, "holiday"), (3, "not_trading"), (4, "before_period"),
                     (5, "after_period"), (6, "duplicate")]


def test_check_closes_refuses_a_disrupted_day_and_the_count_goes_on_past_it():
    disrupted = (date(2003, 11, 18),)
    calendar = program_calendar(date(2003, 11, 12), date(2003, 11, 14), disrupted)
    assert calendar.trading_days[-1] == date(2003, 12, 9)
    [(index, problem)] = check_closes([(date(2003, 11, 18), Decimal("25"))], calendar, disrupted)
    assert (index, problem.kind) == (0, "disrupted")


def test_check_closes_refuses_a_gap_before_the_last_close():
    [(index, problem)] = check_closes([ALL[0], ALL[2]], CALENDAR)
    assert (index, problem.kind, problem.reason) == (
        1, "missing", "the closes before 2003-11-18 lack Available Trading Day(s) 2003-11-17")


def test_a_running_average_is_rounded_up_never_down():
    closes = [(DAYS[0], Decimal("25.00")), (DAYS[1], Decimal("25.00")), (DAYS[2], Decimal("25.01"))]
    state = averaging_state(closes, CALENDAR, after_close(DAYS[2]) + timedelta(hours=1))
    assert state.running_average == Decimal("25.0034")     # 75.01 / 3 = 25.00333...
