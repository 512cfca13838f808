"""The break-even Average Closing Price and the slope (bot.calc.whatif), against a brute-force search.

The oracle is the Total Payment estimate() itself computes (total_payment), tried at every
$0.0001 of the range. Generated grids span a narrow range ($20.00-$20.50, 5,001 prices) so
that trying every price stays quick; they have rising, flat and falling segments, Series with
breakpoints of their own, and several grants per Series.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from bot.calc.errors import CalcError, InvalidPrice, NotEligible
from bot.calc.estimate import CalcContext, total_payment
from bot.calc.pricing import PricingGrid
from bot.calc.records import Grant, GridPoint, SeriesKey
from bot.calc.schedule import RateTable
from bot.calc.whatif import (
    InvalidAmount,
    break_even,
    parse_amount,
    slope,
    slope_of,
    solve,
)
from calc_builders import make_employee, make_grant, points

D = Decimal
TICK = D("0.0001")
S33 = SeriesKey(D("33.00"), date(2010, 4, 24), False)
S45 = SeriesKey(D("45.00"), date(2007, 7, 3), False)


def _ticks(low: str | Decimal, high: str | Decimal) -> range:
    return range(int(D(low) * 10000), int(D(high) * 10000) + 1)


def _brute(grants: list[Grant], amount: Decimal, grid: PricingGrid, low: str, high: str) -> Decimal | None:
    for tick in _ticks(low, high):
        price = D(tick).scaleb(-4)
        if total_payment(grants, price, grid) >= amount:
            return price
    return None


def _generated(rng: random.Random) -> tuple[PricingGrid, list[Grant], list[tuple[Decimal, Decimal]]]:
    """A grid of 1-3 Series over $19.95-$20.55 or less and grants on them; also (price, total) at every tick."""
    grid_points: list[GridPoint] = []
    grants: list[Grant] = []
    for s in range(rng.randint(1, 3)):
        series = SeriesKey(D(33 + s * 4), date(2008 + s, 1, 15), False)
        inside = sorted({D(rng.randrange(200_001, 205_000)).scaleb(-4) for _ in range(rng.randint(0, 6))})
        acps = [D("19.95") if rng.random() < 0.3 else D("20.00"), *[a for a in inside if 20 < a < D("20.5")],
                D("20.55") if rng.random() < 0.3 else D("20.50")]
        price = D(rng.randrange(0, 30_000)).scaleb(-4)
        for acp in acps:
            grid_points.append(GridPoint(series, acp, price))
            move = rng.choice(("up", "up", "up", "flat", "down"))
            step = D(rng.randrange(1, 5_000)).scaleb(-4)
            price = price + step if move == "up" else price if move == "flat" else max(D(0), price - step)
        for g in range(rng.randint(1, 3)):
            grants.append(make_grant(grant_number=f"{s}{g:03d}", exercise_price=series.exercise_price,
                                     expiration_date=series.expiration_date, granted=rng.randint(1, 40_000)))
    grid = PricingGrid(grid_points)
    low = max(grid.span(s)[0] for s in grid.series())
    high = min(grid.span(s)[1] for s in grid.series())
    totals = [(D(t).scaleb(-4), total_payment(grants, D(t).scaleb(-4), grid)) for t in _ticks(low, high)]
    return grid, grants, totals


def _holdings(grants: list[Grant]) -> list[tuple[SeriesKey, int]]:
    return [(g.series, g.outstanding) for g in grants]


def _oracle(totals: list[tuple[Decimal, Decimal]], amount: Decimal) -> Decimal | None:
    return next((price for price, total in totals if total >= amount), None)


def _amounts(rng: random.Random, totals: list[tuple[Decimal, Decimal]]) -> list[Decimal]:
    values = [total for _, total in totals]
    picks = [rng.choice(values) for _ in range(3)]
    return [*picks, *(p + D("0.01") for p in picks), min(values), max(values) + D("0.01"),
            max(max(values) - D("0.01"), D("0.01"))]


GENERATED = 200


def test_break_even_equals_the_brute_force_search_for_generated_employees() -> None:
    rng = random.Random(14)
    checked = 0
    for _ in range(GENERATED):
        grid, grants, totals = _generated(rng)
        for amount in _amounts(rng, totals):
            if amount <= 0:
                continue
            result = solve(_holdings(grants), amount, grid)
            assert result.price == _oracle(totals, amount), (amount, grid.series())
            checked += 1
    assert checked >= GENERATED * 8


def test_at_the_answer_the_total_reaches_the_amount_and_one_ten_thousandth_below_it_does_not() -> None:
    rng = random.Random(2003)
    for _ in range(40):
        grid, grants, totals = _generated(rng)
        amount = rng.choice(totals)[1] + D("0.01")
        result = solve(_holdings(grants), amount, grid)
        if result.reason != "reached":
            continue
        assert result.price is not None
        assert total_payment(grants, result.price, grid) >= amount
        assert total_payment(grants, result.price - TICK, grid) < amount
        assert result.total_at_price == total_payment(grants, result.price, grid)
        assert result.total_below == total_payment(grants, result.price - TICK, grid)


def test_the_brute_force_agrees_on_one_generated_grid_computed_price_by_price() -> None:
    rng = random.Random(7)
    grid, grants, totals = _generated(rng)
    amount = totals[len(totals) // 2][1]
    assert solve(_holdings(grants), amount, grid).price == _brute(grants, amount, grid, "20.00", "20.50")


def _grid(*pairs: tuple[str, str], series: SeriesKey = S33) -> PricingGrid:
    return PricingGrid(points(series, *pairs))


def test_on_a_flat_segment_the_answer_is_where_the_flat_part_begins() -> None:
    grid = _grid(("15.00", "1.0000"), ("20.00", "2.0000"), ("25.00", "2.0000"), ("40.00", "5.0000"))
    result = solve([(S33, 1000)], D("2000.00"), grid)
    assert (result.price, result.reason, result.total_below) == (D("20.0000"), "reached", D("1999.98"))


def test_an_amount_just_above_a_flat_segment_is_reached_only_after_it() -> None:
    grid = _grid(("15.00", "1.0000"), ("20.00", "2.0000"), ("25.00", "2.0000"), ("40.00", "5.0000"))
    result = solve([(S33, 1000)], D("2000.01"), grid)
    # 2.0000 + 0.2 x (p - 25) >= 2.00001 per option: p - 25 >= 0.00005, the next tick is $25.0001.
    assert (result.price, result.total_at_price, result.total_below) == (D("25.0001"), D("2000.02"), D("2000.00"))


def test_on_a_grid_that_falls_and_rises_again_the_smallest_price_is_on_the_first_rise() -> None:
    grid = _grid(("15.00", "1.0000"), ("20.00", "3.0000"), ("25.00", "1.0000"), ("40.00", "4.0000"))
    result = solve([(S33, 1000)], D("2500.00"), grid)
    # Rising from $15 at $0.40 per option per dollar: 1.0 + 0.4 (p - 15) >= 2.5 at p = $18.75.
    assert result.price == D("18.7500")
    assert result.non_decreasing is False


def test_when_the_grid_falls_first_the_answer_can_lie_on_a_later_rise() -> None:
    grid = _grid(("15.00", "3.0000"), ("20.00", "1.0000"), ("40.00", "5.0000"))
    result = solve([(S33, 1000)], D("3500.00"), grid)
    # 1.0 + 0.2 (p - 20) >= 3.5 at p = $32.50.
    assert (result.price, result.reason) == (D("32.5000"), "reached")


def test_series_that_rise_and_fall_on_the_same_segment_still_give_the_smallest_price() -> None:
    grid = PricingGrid([*points(S33, ("15.00", "1.0000"), ("40.00", "6.0000")),
                        *points(S45, ("15.00", "3.0000"), ("40.00", "0.5000"))])
    holdings = [(S33, 1000), (S45, 1000)]
    grants = [make_grant(grant_number="1", exercise_price=D("33.00"), expiration_date=date(2010, 4, 24)),
              make_grant(grant_number="2", exercise_price=D("45.00"), expiration_date=date(2007, 7, 3))]
    # Per option 1.0 + 0.2 x and 3.0 - 0.1 x: the total is 4000 + 100 x for x = p - 15.
    result = solve(holdings, D("5000.00"), grid)
    assert result.price == D("25.0000")
    assert total_payment(grants, D("24.9999"), grid) < D("5000.00") <= total_payment(grants, D("25.0000"), grid)


def test_an_employee_above_the_amount_everywhere_already_reaches_it_at_the_lowest_price() -> None:
    grid = _grid(("0.00", "0.0000"), ("20.00", "1.0000"), ("40.00", "4.0000"))
    result = solve([(S33, 10_000)], D("5000.00"), grid)
    assert (result.price, result.reason, result.total_at_low) == (D("15.0000"), "already_reached", D("7500.00"))
    assert result.non_decreasing is True


def test_an_employee_below_the_amount_everywhere_reaches_it_at_no_price() -> None:
    grid = _grid(("0.00", "0.0000"), ("20.00", "1.0000"), ("40.00", "4.0000"))
    result = solve([(S33, 1000)], D("4000.01"), grid)
    assert (result.price, result.reason, result.total_at_high) == (None, "not_reached", D("4000.00"))


def test_the_total_at_the_top_price_is_reached_exactly_there() -> None:
    grid = _grid(("0.00", "0.0000"), ("20.00", "1.0000"), ("40.00", "4.0000"))
    result = solve([(S33, 1000)], D("4000.00"), grid)
    # At $39.9999: 1000 x 3.999985 = 3,999.985, half-up $3,999.99.
    assert (result.price, result.total_below) == (D("40.0000"), D("3999.99"))


def test_the_range_is_narrowed_to_where_the_grid_prices_every_series() -> None:
    grid = PricingGrid([*points(S33, ("10.00", "1.0000"), ("35.00", "6.0000")),
                        *points(S45, ("18.00", "0.5000"), ("45.00", "3.0000"))])
    result = solve([(S33, 100), (S45, 100)], D("1.00"), grid)
    assert (result.low, result.high, result.price) == (D("18.0000"), D("35.0000"), D("18.0000"))


def test_a_grid_with_no_common_range_is_an_error() -> None:
    grid = PricingGrid([*points(S33, ("10.00", "1.0000"), ("16.00", "2.0000")),
                        *points(S45, ("20.00", "0.5000"), ("45.00", "3.0000"))])
    with pytest.raises(CalcError, match="priced together only from"):
        solve([(S33, 100), (S45, 100)], D("1.00"), grid)


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("20000.001"), D("NaN")])
def test_an_amount_that_is_not_positive_dollars_and_cents_is_refused(amount: Decimal) -> None:
    grid = _grid(("0.00", "0.0000"), ("40.00", "4.0000"))
    with pytest.raises(InvalidAmount):
        solve([(S33, 1000)], amount, grid)


@pytest.mark.parametrize(("text", "value"), [("20000.01", "20000.01"), ("$20,000", "20000"), ("20k", "20000"),
                                             ("$1.5 million", "1500000"), (" 75K ", "75000")])
def test_amounts_are_read_as_people_type_them(text: str, value: str) -> None:
    assert parse_amount(text) == D(value)


# ---- the slope --------------------------------------------------------------------------------

SLOPE_GRID = PricingGrid([*points(S33, ("0.00", "0.0000"), ("20.00", "0.5000"), ("30.00", "2.5000"),
                                  ("40.00", "6.0000")),
                          *points(S45, ("0.00", "0.0000"), ("20.00", "0.1000"), ("30.00", "0.6000"),
                                  ("40.00", "2.0000"))])
SLOPE_HOLDINGS = [(S33, 1000), (S45, 2000)]


def test_inside_a_segment_the_slope_is_that_segments_dollars_per_dollar() -> None:
    s = slope_of(SLOPE_HOLDINGS, D("27"), SLOPE_GRID)
    assert (s.per_dollar, s.segment, s.side) == (D("300"), (D("20.00"), D("30.00")), "inside")


def test_at_a_breakpoint_the_slope_is_the_segment_above_it() -> None:
    s = slope_of(SLOPE_HOLDINGS, D("30.00"), SLOPE_GRID)
    assert (s.per_dollar, s.segment, s.side) == (D("630"), (D("30.00"), D("40.00")), "above")


def test_at_the_top_of_the_range_the_slope_is_the_segment_below_it() -> None:
    s = slope_of(SLOPE_HOLDINGS, D("40.00"), SLOPE_GRID)
    assert (s.per_dollar, s.segment, s.side) == (D("630"), (D("30.00"), D("40.00")), "below")


def test_the_slope_is_that_of_the_totals_a_dollar_apart_on_a_straight_segment() -> None:
    grants = [make_grant(grant_number="1", exercise_price=D("33.00"), expiration_date=date(2010, 4, 24),
                         granted=1000),
              make_grant(grant_number="2", exercise_price=D("45.00"), expiration_date=date(2007, 7, 3),
                         granted=2000)]
    assert total_payment(grants, D("27"), SLOPE_GRID) - total_payment(grants, D("26"), SLOPE_GRID) == D("300.00")


def test_a_slope_outside_the_range_is_refused() -> None:
    with pytest.raises(InvalidPrice, match=r"from \$15.00 to \$40.00"):
        slope_of(SLOPE_HOLDINGS, D("14.99"), SLOPE_GRID)


# ---- the employee-level calls ------------------------------------------------------------------

def _context(default_calendar, grid: PricingGrid) -> CalcContext:
    return CalcContext(grid=grid, calendar=default_calendar, rates=RateTable({}), rulings={},
                       assumed_interest_rate=D("0.01"))


def test_break_even_counts_only_eligible_options(default_calendar) -> None:
    grants = [make_grant(grant_number="1", exercise_price=D("33.00"), expiration_date=date(2010, 4, 24),
                         granted=20_000),
              make_grant(grant_number="2", exercise_price=D("25.00"), expiration_date=date(2012, 2, 1),
                         granted=50_000)]       # below $33.00: not an Eligible Option
    result = break_even(make_employee(), grants, D("20000.01"), _context(default_calendar, SLOPE_GRID))
    # 20,000 x (0.5 + 0.2 (p - 20)) >= 20,000.01 from p = $22.5001 (at $22.5000 it is $20,000.00).
    assert (result.employee_id, result.price, result.total_below, result.total_at_price) == (
        "E1", D("22.5001"), D("20000.00"), D("20000.40"))
    assert result.illustrative is False


def test_break_even_for_someone_not_eligible_raises_not_eligible(default_calendar) -> None:
    with pytest.raises(NotEligible):
        break_even(make_employee(worker_type="consultant"), [make_grant()], D("100.00"),
                   _context(default_calendar, SLOPE_GRID))


def test_slope_for_an_employee_uses_their_eligible_options(default_calendar) -> None:
    grants = [make_grant(grant_number="1", exercise_price=D("33.00"), expiration_date=date(2010, 4, 24),
                         granted=1000)]
    s = slope(make_employee(), grants, D("25"), _context(default_calendar, SLOPE_GRID))
    assert (s.employee_id, s.per_dollar) == ("E1", D("200"))
