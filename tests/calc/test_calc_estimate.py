"""A person's estimate: grant payments, Total Payment, the $23-$31 table, schedule and notes (Q6, Q7, s2, s3)."""

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest

from bot.calc.calendar import program_calendar
from bot.calc.errors import InvalidPrice, NotEligible, PriceOutOfRange, ProgramTerminated, SeriesMissing
from bot.calc.estimate import (
    ESTIMATED_SCHEDULE_NOTE,
    ILLUSTRATIVE_NOTE,
    PRE_TAX_NOTE,
    US_DOLLARS_NOTE,
    CalcContext,
    estimate,
    total_payment,
)
from bot.calc.pricing import PricingGrid
from bot.calc.records import SeriesKey
from bot.calc.schedule import ACCELERATION_NOTE, INTEREST_NOTE, RateTable
from calc_builders import make_employee, make_grant, points

SERIES_A = SeriesKey(D("35.00"), date(2010, 7, 3), False)
SERIES_B = SeriesKey(D("45.00"), date(2010, 2, 14), True)     # a Multi-Year Grant Series
# A: 0.10 at $20 to 2.10 at $40, so price = 0.10 x (ACP - 19); B: 0.05 x (ACP - 19).
GRID_POINTS = (points(SERIES_A, ("20.00", "0.10"), ("40.00", "2.10"))
               + points(SERIES_B, ("20.00", "0.05"), ("40.00", "1.05")))
GRID = PricingGrid(GRID_POINTS)

GRANT_A = make_grant(grant_number="0100", grant_date=date(2000, 7, 3), exercise_price=D("35.00"),
                     expiration_date=date(2010, 7, 3), granted=120000, exercised=20000)   # 100,000 outstanding
GRANT_B = make_grant(grant_number="0042", grant_date=date(2000, 2, 14), exercise_price=D("45.00"),
                     expiration_date=date(2010, 2, 14), multi_year_grant=True, granted=30001)
BELOW_33 = make_grant(grant_number="0200", exercise_price=D("28.00"), granted=5000)       # no Series: ignored
NAVISION = make_grant(grant_number="0300", plan="navision", exercise_price=D("50.00"), granted=700)
GRANTS = [GRANT_A, GRANT_B, BELOW_33, NAVISION]
LEVEL_68 = make_employee(level=68)


@pytest.fixture
def ctx(default_calendar) -> CalcContext:
    return CalcContext(grid=GRID, calendar=default_calendar, rates=RateTable({"Australia": D("0.47")}),
                       rulings={}, assumed_interest_rate=D("0.01"))


def test_grant_payments_and_total_at_27(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), ctx)
    # Listed by grant date: B (2000-02-14) before A (2000-07-03).
    # B: 0.05 + (1.05 - 0.05) x 7/20 = 0.40 x 30,001 = 12,000.40
    # A: 0.10 + (2.10 - 0.10) x 7/20 = 0.80 x 100,000 = 80,000.00
    assert [(g.grant.grant_number, g.options, g.price_per_option, g.payment) for g in result.grants] == [
        ("0042", 30001, D("0.40"), D("12000.40")),
        ("0100", 100000, D("0.80"), D("80000.00")),
    ]
    assert result.total_payment == D("92000.40")
    assert result.average_closing_price == D("27.00") and not result.illustrative
    assert result.eligibility.eligible_options == 130001


def test_the_table_gives_the_total_at_23_to_31(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), ctx)
    # Total(p) = 100,000 x 0.10 x (p - 19) + 30,001 x 0.05 x (p - 19) = 11,500.05 x (p - 19)
    assert [(str(p), str(t)) for p, t in result.table] == [
        ("23.00", "46000.20"), ("24.00", "57500.25"), ("25.00", "69000.30"),
        ("26.00", "80500.35"), ("27.00", "92000.40"), ("28.00", "103500.45"),
        ("29.00", "115000.50"), ("30.00", "126500.55"), ("31.00", "138000.60"),
    ]


def test_the_schedule_of_a_level_68_us_employee(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), ctx)
    # 0.3333 x 92,000.40 = 30,663.73332 -> 30,663.73; remainder 61,336.67 -> 30,668.34 + 30,668.33
    assert [(i.kind, i.amount) for i in result.schedule] == [
        ("initial", D("30663.73")), ("first_contingent", D("30668.34")), ("second_contingent", D("30668.33"))]


def test_contingent_payments_carry_interest_at_the_assumed_rate(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), ctx)
    initial, first, second = result.schedule
    assert initial.interest is None
    # From the JPMorgan payment date 2003-12-12 to each vesting date at 1% (the periods of the
    # interest tests): 24 periods to 2005-12-09, 36 to 2006-12-09.
    to_2005 = [31, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 27]
    to_2006 = to_2005[:-1] + [30, 31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 27]
    assert sum(to_2005) == 728 and sum(to_2006) == 1093

    def by_hand(principal: str, period_days: list[int]) -> D:
        balance = Fraction(principal)
        for days in period_days:
            balance += balance * Fraction(1, 100) * days / 365
        half_up_cents = math.floor((balance - Fraction(principal)) * 100 + Fraction(1, 2))
        return D(half_up_cents) / 100

    assert first.interest == by_hand("30668.34", to_2005)
    assert second.interest == by_hand("30668.33", to_2006)
    assert first.interest == D("617.57")   # 30,668.34 x 0.020136980... = 617.567...


def test_notes_say_pre_tax_us_dollars_assumed_price_and_the_schedule_conditions(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), ctx)
    assert result.notes == (
        PRE_TAX_NOTE,
        US_DOLLARS_NOTE,
        "These figures are based on the assumed Average Closing Price of $27.00 and may not reflect your "
        "actual Total Payment, which will only be determined following completion of the Averaging Period.",
        ESTIMATED_SCHEDULE_NOTE,
        INTEREST_NOTE,
        "The interest shown with each Contingent Payment is an estimate at an assumed constant three-month "
        "U.S. Treasury bill yield of 1% a year, from JPMorgan's expected payment date (2003-12-12) to the "
        "vesting date. The Notice says: \"We will make all determinations about the applicable interest "
        "rate and the amount of any Contingent Interest Payment.\"",
        "The employed-through dates 2005-12-09 and 2006-12-09 of the Contingent Payments follow the "
        "Notice's Terms and Conditions (two and three years from the last day of the Averaging Period); "
        "the Employee Election Tool's pages showed 11/12/2005 and 11/12/2006.",
    )


def test_one_contingent_payment_gets_the_singular_date_note(ctx):
    result = estimate(make_employee(level=62), GRANTS, D("27.00"), ctx)
    assert result.notes[-1] == (
        "The employed-through date 2005-12-09 of the Contingent Payment follows the Notice's Terms and "
        "Conditions (two years from the last day of the Averaging Period); the Employee Election Tool's "
        "pages showed 11/12/2005 and 11/12/2006.")


def test_an_estimate_paid_all_upfront_has_no_interest_notes(ctx):
    # At $20.00: 100,000 x 0.10 + 30,001 x 0.05 = 10,000.00 + 1,500.05 = 11,500.05 <= 20,000.00
    result = estimate(LEVEL_68, GRANTS, D("20.00"), ctx)
    assert [(i.kind, i.amount) for i in result.schedule] == [("initial", D("11500.05"))]
    assert INTEREST_NOTE not in result.notes and len(result.notes) == 4


def test_a_pending_ruling_is_the_default(ctx):
    result = estimate(make_employee(country="Japan", level=60), GRANTS, D("23.00"), ctx)
    assert ACCELERATION_NOTE in result.notes


def test_a_configured_ruling_applies_whatever_the_case_of_its_country_name(ctx):
    # Germany, Level 68, unfavorable: (0.485 + 0.18) x 92,000.40 = 61,180.266 -> 61,180.27;
    # remainder 30,820.13 -> 15,410.065 -> 15,410.07 and 15,410.06.
    germany = replace(ctx, rulings={"germany": "Unfavorable"}, rates=RateTable({"Germany": D("0.485")}))
    result = estimate(make_employee(country="Germany", level=68), GRANTS, D("27.00"), germany)
    assert [str(i.amount) for i in result.schedule] == ["61180.27", "15410.07", "15410.06"]
    assert ACCELERATION_NOTE not in result.notes


def test_the_model_grid_makes_every_estimate_say_it_is_illustrative(ctx):
    result = estimate(LEVEL_68, GRANTS, D("27.00"), replace(ctx, grid=PricingGrid(GRID_POINTS, illustrative=True)))
    assert result.illustrative
    assert ILLUSTRATIVE_NOTE in result.notes
    assert "not from the pricing negotiated by Microsoft and JPMorgan" in ILLUSTRATIVE_NOTE


def test_the_total_is_the_sum_of_grant_payments_each_rounded_to_cents(ctx):
    # Two grants of 1 option of Series B at $20.10: 0.05 + 1.00 x 0.10/20 = 0.055 each -> 0.06 each
    # (half-up): Total 0.12, where rounding only the sum (0.110) would give 0.11.
    one = make_grant(grant_number="1", exercise_price=D("45.00"), expiration_date=date(2010, 2, 14),
                     multi_year_grant=True, granted=1)
    grants = [one, replace(one, grant_number="2")]
    result = estimate(LEVEL_68, grants, D("20.10"), ctx)
    assert [g.payment for g in result.grants] == [D("0.06"), D("0.06")]
    assert result.total_payment == D("0.12") == total_payment(grants, D("20.10"), GRID)


def test_total_payment_counts_eligible_grants_only(ctx):
    # BELOW_33 and NAVISION have no Series in the grid and are not Eligible Options: ignored.
    assert total_payment(GRANTS, D("27.00"), GRID) == D("92000.40")
    assert total_payment([BELOW_33, NAVISION], D("27.00"), GRID) == D("0.00")


# --- Errors ------------------------------------------------------------------------------------------

def test_someone_not_eligible_gets_the_reasons_instead_of_figures(ctx):
    with pytest.raises(NotEligible) as info:
        estimate(make_employee(worker_type="advisor", country="Pakistan"), GRANTS, D("27.00"), ctx)
    assert info.value.reasons == (
        "advisors are not Eligible Employees",
        "employees in Pakistan are not Eligible Employees (the Program excludes Belgium, Italy and Pakistan)")
    assert str(info.value).startswith("employee E1 is not an Eligible Employee: advisors are not")


def test_a_series_missing_from_the_grid_fails_the_whole_estimate(ctx):
    unknown = make_grant(grant_number="0500", exercise_price=D("36.29"), expiration_date=date(2011, 11, 1))
    with pytest.raises(SeriesMissing, match=r"exercise price \$36.29, expiring 2011-11-01"):
        estimate(LEVEL_68, [*GRANTS, unknown], D("27.00"), ctx)
    with pytest.raises(SeriesMissing):
        total_payment([*GRANTS, unknown], D("27.00"), GRID)


def test_the_table_needs_prices_from_23_to_31(ctx):
    narrow = PricingGrid(points(SERIES_A, ("25.00", "0.60"), ("30.00", "1.10")))
    with pytest.raises(PriceOutOfRange, match=r"\$23.00"):
        estimate(LEVEL_68, [GRANT_A], D("27.00"), replace(ctx, grid=narrow))


@pytest.mark.parametrize("acp", ["0", "-1", "40.01"])
def test_an_assumed_price_outside_the_tools_range_is_refused(ctx, acp):
    with pytest.raises(InvalidPrice):
        estimate(LEVEL_68, GRANTS, D(acp), ctx)


def test_a_price_of_40_is_the_top_of_the_calculator(ctx):
    # 100,000 x 2.10 + 30,001 x 1.05 = 210,000.00 + 31,501.05 = 241,501.05
    assert estimate(LEVEL_68, GRANTS, D("40.00"), ctx).total_payment == D("241501.05")


def test_a_terminated_program_gives_no_estimate(ctx):
    terminated = program_calendar(date(2003, 11, 28), disrupted=[date(2003, 12, d) for d in (1, 2, 3, 4, 5, 8)])
    with pytest.raises(ProgramTerminated) as info:
        estimate(LEVEL_68, GRANTS, D("27.00"), replace(ctx, calendar=terminated))
    assert info.value.available_trading_days == 5
    assert "five or fewer" in str(info.value)
