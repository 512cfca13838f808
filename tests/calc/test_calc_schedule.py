"""Payout schedules of every payment group and level (Notice Q1, Q11, s3; Tool Step 3)."""

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from bot import countries
from bot.calc.calendar import program_calendar
from bot.calc.errors import CalcError
from bot.calc.schedule import ACCELERATION_NOTE, INTEREST_NOTE, LEVEL_68_NOTE, RateTable, payout_schedule

RATES = RateTable({"Australia": D("0.47"), "Canada": D("0.29"), "Denmark": D("0.59"), "India": D("0.30"),
                   "Spain": D("0.45"), "Venezuela": D("0.34"), "Germany": D("0.485"), "Japan": D("0.50"),
                   "Netherlands": D("0.52"), "Singapore": D("0.22")})


@pytest.fixture
def schedule(default_calendar):
    """payout_schedule(TP, country, level, ruling) -> ([(kind, amount), ...], notes) on the default calendar."""
    def run(total: str, country: str, level: int, ruling: str = "pending", rates: RateTable = RATES):
        parts, notes = payout_schedule(D(total), countries.get(country), level, default_calendar, rates, ruling)
        return [(p.kind, p.amount) for p in parts], notes
    return run


def amounts(parts):
    return [str(amount) for _, amount in parts]


# --- $20,000.00 boundary -------------------------------------------------------------------------

@pytest.mark.parametrize("country", ["United States", "Australia", "Germany", "Finland"])
def test_twenty_thousand_or_less_is_paid_in_full_upfront(schedule, country):
    parts, notes = schedule("20000.00", country, 80, ruling="unfavorable")
    assert parts == [("initial", D("20000.00"))]
    assert notes == ()


def test_one_cent_more_leaves_a_one_cent_contingent_payment(schedule):
    # 33.33% of 20,000.01 = 6,666.670333 -> 6,666.67 < 20,000.00, so Initial = 20,000.00; remainder 0.01.
    parts, notes = schedule("20000.01", "United States", 67)
    assert parts == [("initial", D("20000.00")), ("first_contingent", D("0.01"))]
    assert notes == (INTEREST_NOTE,)


def test_one_cent_split_in_two_halves_goes_to_the_first(schedule):
    # Level 68: remainder 0.01 -> first = half (0.005) rounded half-up = 0.01, second = 0.00 (left out).
    parts, _ = schedule("20000.01", "United States", 68)
    assert parts == [("initial", D("20000.00")), ("first_contingent", D("0.01"))]


# --- General schedule -----------------------------------------------------------------------------

def test_general_level_67_pays_a_third_now_and_the_remainder_in_one_contingent_payment(schedule):
    # 0.3333 x 100,000.00 = 33,330.00 > 20,000; remainder 66,670.00.
    parts, notes = schedule("100000.00", "United States", 67)
    assert parts == [("initial", D("33330.00")), ("first_contingent", D("66670.00"))]
    assert notes == (INTEREST_NOTE,)


def test_general_level_68_splits_the_remainder_with_the_odd_cent_first(schedule):
    # 0.3333 x 100,000.01 = 33,330.003333 -> 33,330.00; remainder 66,670.01;
    # half = 33,335.005 -> 33,335.01 (half-up); the rest 33,335.00.
    parts, notes = schedule("100000.01", "United States", 68)
    assert parts == [("initial", D("33330.00")), ("first_contingent", D("33335.01")),
                     ("second_contingent", D("33335.00"))]
    assert notes == (INTEREST_NOTE,)


def test_general_initial_payment_is_at_least_twenty_thousand(schedule):
    # 0.3333 x 60,000.00 = 19,998.00 < 20,000.00 -> Initial 20,000.00; remainder 40,000.00 in halves.
    parts, _ = schedule("60000.00", "United States", 70)
    assert amounts(parts) == ["20000.00", "20000.00", "20000.00"]


def test_a_third_of_the_total_is_rounded_half_up_to_cents(schedule):
    # 0.3333 x 75,050.00 = 25,014.165 -> 25,014.17 (banker's rounding would give 25,014.16);
    # remainder 50,035.83 -> halves 25,017.915 -> 25,017.92 and 25,017.91.
    parts, _ = schedule("75050.00", "United Kingdom", 68)
    assert amounts(parts) == ["25014.17", "25017.92", "25017.91"]


def test_level_67_and_68_differ_only_in_the_split(schedule):
    level_67, _ = schedule("300000.00", "United States", 67)
    level_68, _ = schedule("300000.00", "United States", 68)
    # 0.3333 x 300,000 = 99,990.00; remainder 200,010.00 -> 100,005.00 + 100,005.00 at Level 68.
    assert amounts(level_67) == ["99990.00", "200010.00"]
    assert amounts(level_68) == ["99990.00", "100005.00", "100005.00"]


# --- 100% upfront countries -----------------------------------------------------------------------

@pytest.mark.parametrize("country", ["Czech Republic", "Finland", "Hungary", "Poland", "Trinidad & Tobago"])
def test_immediate_countries_pay_everything_upfront_at_every_level(schedule, country):
    for level in (60, 67, 68, 80):
        parts, notes = schedule("1000000.00", country, level)
        assert parts == [("initial", D("1000000.00"))] and notes == ()


# --- Top marginal tax rate countries ---------------------------------------------------------------

@pytest.mark.parametrize("country", ["Australia", "Canada", "Denmark", "India", "Spain", "Venezuela"])
def test_tax_rate_countries_pay_level_67_in_full_upfront(schedule, country):
    parts, notes = schedule("500000.00", country, 67)
    assert parts == [("initial", D("500000.00"))] and notes == ()


def test_australia_level_68_pays_the_top_rate_plus_18_percent_upfront(schedule):
    # (0.47 + 0.18) x 100,000.00 = 65,000.00; remainder 35,000.00 -> 17,500.00 + 17,500.00.
    parts, notes = schedule("100000.00", "Australia", 68)
    assert parts == [("initial", D("65000.00")), ("first_contingent", D("17500.00")),
                     ("second_contingent", D("17500.00"))]
    assert notes == (INTEREST_NOTE, LEVEL_68_NOTE)


def test_canada_level_68_rounds_the_initial_payment_and_splits_the_odd_cent(schedule):
    # (0.29 + 0.18) x 33,333.34 = 15,666.6698 -> 15,666.67; remainder 17,666.67
    # -> 8,833.335 -> 8,833.34 first, 8,833.33 second.
    parts, _ = schedule("33333.34", "Canada", 68)
    assert amounts(parts) == ["15666.67", "8833.34", "8833.33"]


def test_the_tax_rate_schedule_has_no_twenty_thousand_minimum(schedule):
    # Denmark (0.59 + 0.18) x 20,000.01 = 15,400.0077 -> 15,400.01 (less than 20,000.00);
    # remainder 4,600.00 -> 2,300.00 + 2,300.00.
    parts, _ = schedule("20000.01", "Denmark", 68)
    assert amounts(parts) == ["15400.01", "2300.00", "2300.00"]


def test_rate_plus_18_percent_is_capped_at_the_total(schedule):
    # (0.85 + 0.18) x TP = 1.03 x TP > TP -> Initial = TP; no Contingent Payment, so neither note.
    parts, notes = schedule("50000.00", "Spain", 75, rates=RateTable({"Spain": D("0.85")}))
    assert parts == [("initial", D("50000.00"))]
    assert notes == ()


def test_a_country_without_a_configured_rate_is_an_error_naming_it(schedule):
    with pytest.raises(CalcError, match="no top marginal income tax rate is configured for Venezuela"):
        schedule("50000.00", "Venezuela", 70, rates=RateTable({}))


# --- Tax ruling countries ------------------------------------------------------------------------

def test_a_favorable_ruling_gives_the_general_schedule(schedule):
    parts, notes = schedule("100000.00", "Germany", 68, ruling="favorable")
    assert amounts(parts) == ["33330.00", "33335.00", "33335.00"]
    assert notes == (INTEREST_NOTE,)


def test_a_pending_ruling_gives_the_general_schedule_that_may_be_accelerated(schedule):
    parts, notes = schedule("100000.00", "Japan", 68, ruling="pending")
    assert amounts(parts) == ["33330.00", "33335.00", "33335.00"]
    assert notes == (INTEREST_NOTE, ACCELERATION_NOTE)


def test_a_pending_ruling_shows_the_acceleration_note_even_when_all_is_paid_upfront(schedule):
    parts, notes = schedule("15000.00", "Singapore", 62, ruling="pending")
    assert parts == [("initial", D("15000.00"))]
    assert notes == (ACCELERATION_NOTE,)


def test_an_unfavorable_ruling_gives_the_tax_rate_schedule(schedule):
    # Germany (0.485 + 0.18) x 100,000.00 = 66,500.00; remainder 33,500.00 -> 16,750.00 + 16,750.00.
    parts, notes = schedule("100000.00", "Germany", 68, ruling="unfavorable")
    assert amounts(parts) == ["66500.00", "16750.00", "16750.00"]
    assert notes == (INTEREST_NOTE, LEVEL_68_NOTE)


def test_an_unfavorable_ruling_pays_level_67_in_full(schedule):
    parts, notes = schedule("100000.00", "Netherlands", 67, ruling="unfavorable")
    assert parts == [("initial", D("100000.00"))] and notes == ()


def test_an_unknown_ruling_status_is_refused(schedule):
    with pytest.raises(CalcError, match="'maybe' for Germany"):
        schedule("100000.00", "Germany", 68, ruling="maybe")


def test_the_ruling_does_not_matter_outside_the_ruling_countries(schedule):
    assert schedule("100000.00", "United States", 68, ruling="unfavorable") == \
        schedule("100000.00", "United States", 68, ruling="favorable")


def test_excluded_countries_have_no_schedule(schedule):
    with pytest.raises(CalcError, match="Belgium are not Eligible Employees"):
        schedule("100000.00", "Belgium", 68)


# --- Dates and notes --------------------------------------------------------------------------------

def test_installment_dates_follow_the_notice(default_calendar):
    parts, _ = payout_schedule(D("100000.00"), countries.get("United States"), 68, default_calendar, RATES,
                               "pending")
    assert [(p.employed_through, p.expected_by) for p in parts] == [
        (date(2003, 11, 12), date(2003, 12, 31)),   # employed through the Election Deadline
        (date(2005, 12, 9), date(2005, 12, 31)),    # E + 2 years (the Tool showed 11/12/2005)
        (date(2006, 12, 9), date(2006, 12, 31)),    # E + 3 years (the Tool showed 11/12/2006)
    ]
    assert all(p.interest is None for p in parts)


def test_vesting_dates_move_with_the_averaging_period():
    real = program_calendar(date(2003, 11, 12), averaging_start=date(2003, 11, 14))
    parts, _ = payout_schedule(D("100000.00"), countries.get("United States"), 68, real, RATES, "pending")
    assert [p.employed_through for p in parts] == [date(2003, 11, 12), date(2005, 12, 8), date(2006, 12, 8)]


def test_an_extended_deadline_is_the_initial_payments_employed_through_date():
    extended = program_calendar(date(2003, 11, 19))
    parts, _ = payout_schedule(D("1000.00"), countries.get("Canada"), 62, extended, RATES, "pending")
    assert parts[0].employed_through == date(2003, 11, 19)


def test_notes_are_the_tools_conditional_texts_verbatim():
    assert INTEREST_NOTE.startswith("An accumulated interest equivalent amount will be calculated and "
                                    "distributed with any Contingent Payment you receive")
    assert ACCELERATION_NOTE.startswith("Your payment schedule may be accelerated in the event of "
                                        "unanticipated tax treatment")
    assert LEVEL_68_NOTE.startswith("As described in the Notice, because you are employed at Level 68 or "
                                    "above, a portion of your Total Payment will be in the form of "
                                    "Contingent Payment(s)")


SEED_NAME = "shared/seeds/003_301bafae8f02b91b.txt"


def _seed_text() -> str | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / SEED_NAME).is_file():
            return " ".join((parent / SEED_NAME).read_text(encoding="utf-8").split())
    return None


@pytest.mark.parametrize("note", [INTEREST_NOTE, ACCELERATION_NOTE, LEVEL_68_NOTE])
def test_each_note_appears_word_for_word_in_the_tool_pages(note):
    text = _seed_text()
    if text is None:
        pytest.skip(f"{SEED_NAME} is not next to this checkout")
    assert f"[{note}]" in text


def test_a_total_that_is_not_whole_cents_is_refused(schedule):
    with pytest.raises(CalcError, match="whole cents"):
        schedule("100.005", "United States", 60)


def test_a_total_of_zero_is_one_initial_payment_of_zero(schedule):
    assert schedule("0.00", "United States", 70) == ([("initial", D("0.00"))], ())
