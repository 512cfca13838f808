"""Inverse questions on the Pricing Grid: the break-even Average Closing Price and the slope.

"At what average would my Total Payment reach $X?" is solved EXACTLY, not by trying
prices: between two consecutive breakpoints of the grid (the union of the ACPs of the
employee's Series) every price per option is a straight line in the ACP, so the
unrounded sum U = sum(options x price) is a straight line too. The Total Payment T is
the sum of the grant payments each rounded half-up to cents, so T - U lies in
(-k/200, +k/200] for k grants. On each segment, in order from the lowest price, the
line U says which $0.0001 prices can possibly reach the amount and from which price
on it surely does; the cent rounding is then settled on those few prices with the same
arithmetic estimate() uses (grid interpolation, per-grant cents), by bisection when
every Series rises (or stays flat) on the segment, by checking the first price when
every Series falls, and by trying the candidates in order in the rare segment where
some Series rise and others fall. The answer is checked both ways: the total at it
reaches the amount, and one $0.0001 below it (if in the range) does not.

Searching the segments in order keeps "the smallest price" well defined on a grid
that is not monotone. The range is $15.00 to $40.00 (MAX_ASSUMED_ACP, the Tool's
calculator limit), narrowed to where the grid prices all the employee's Series.

The slope is that of the straight line U: dollars of (unrounded) Total Payment per
$1.00 of Average Closing Price, on the segment that contains the price. At a breakpoint
it is the segment ABOVE the price (what a rise from there does); at the top of the
range, where there is nothing above, the segment below.

Pure: no file, database or clock.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Callable, Literal, Sequence

from bot.calc.curve import CHART_LOW
from bot.calc.errors import CalcError, InvalidPrice
from bot.calc.estimate import CalcContext, eligible_holding
from bot.calc.money import CENT, calc_context
from bot.calc.pricing import MAX_ASSUMED_ACP, PricingGrid
from bot.calc.records import Employee, Grant, SeriesKey, dollar_price, format_price

LOWEST_ACP = CHART_LOW            # $15.00: the same range as the chart (bot.calc.curve)
TICKS_PER_DOLLAR = 10_000         # an ACP is stated to 1/10,000 of a dollar (Q6)
HALF_CENT = Decimal("0.005")
_CACHE_LIMIT = 4096               # combinations of Series whose breakpoints are kept per grid

Reason = Literal["reached", "already_reached", "not_reached"]
Side = Literal["inside", "above", "below"]


class InvalidAmount(CalcError):
    """A Total Payment to solve for that is not a positive number of dollars and cents."""


@dataclass(frozen=True, slots=True)
class BreakEven:
    """The smallest ACP in [low, high] at which the Total Payment reaches amount.

    reason: "reached" (price is above the lowest price of the range), "already_reached"
    (the lowest price of the range reaches it; price is that lowest price; with
    non_decreasing, every price in the range does) or "not_reached" (no price up to
    high does; price is None).
    """

    employee_id: str
    amount: Decimal
    price: Decimal | None
    reason: Reason
    low: Decimal
    high: Decimal
    total_at_price: Decimal | None      # the Total Payment at price
    total_below: Decimal | None         # ... and $0.0001 below it ("reached" only)
    total_at_low: Decimal
    total_at_high: Decimal
    non_decreasing: bool                # no Series' price falls anywhere in the range
    illustrative: bool


@dataclass(frozen=True, slots=True)
class Slope:
    """Dollars of Total Payment per $1.00 of Average Closing Price on one segment of the grid."""

    employee_id: str
    at: Decimal
    per_dollar: Decimal                 # exact (to 50 digits) slope of the unrounded total
    segment: tuple[Decimal, Decimal]    # the breakpoints the segment runs between
    side: Side                          # "above"/"below": at a breakpoint, the segment used
    illustrative: bool


Holdings = Sequence[tuple[SeriesKey, int]]


@dataclass(frozen=True, slots=True)
class _Lines:
    """One combination of Series on one grid: the breakpoints in the range and the prices there."""

    series: tuple[SeriesKey, ...]
    low_tick: int
    high_tick: int
    breakpoints: tuple[Decimal, ...]
    prices: tuple[tuple[Decimal, ...], ...]   # prices[s][i]: Series s at breakpoints[i]
    non_decreasing: bool


_lines_cache: "weakref.WeakKeyDictionary[PricingGrid, dict[tuple[SeriesKey, ...], _Lines]]" = (
    weakref.WeakKeyDictionary())


def _tick(price: Decimal) -> Decimal:
    return Decimal(price) * TICKS_PER_DOLLAR


def _price_of(tick: int) -> Decimal:
    return Decimal(tick).scaleb(-4)


def _lines(grid: PricingGrid, series: tuple[SeriesKey, ...]) -> _Lines:
    per_grid = _lines_cache.get(grid)
    if per_grid is None:
        per_grid = _lines_cache[grid] = {}
    found = per_grid.get(series)
    if found is not None:
        return found
    points = [grid.points(s) for s in series]          # raises SeriesMissing
    low = max([LOWEST_ACP, *(acps[0] for acps, _ in points)])
    high = min([MAX_ASSUMED_ACP, *(acps[-1] for acps, _ in points)])
    with calc_context():
        low_tick = int(_tick(low).to_integral_value(ROUND_CEILING))
        high_tick = int(_tick(high).to_integral_value(ROUND_FLOOR))
    if low_tick > high_tick:
        raise CalcError(f"the Pricing Grid has no price for all of your Series between "
                        f"${format_price(LOWEST_ACP)} and ${format_price(MAX_ASSUMED_ACP)}: "
                        f"they are priced together only from {dollar_price(low)} to {dollar_price(high)}")
    low, high = _price_of(low_tick), _price_of(high_tick)
    shared = points[0][0] if all(acps == points[0][0] for acps, _ in points) else None
    if shared is not None:
        inside = [a for a in shared if low < a < high]
    else:
        inside = sorted({a for acps, _ in points for a in acps if low < a < high})
    breakpoints = tuple([low, *inside, high]) if low < high else (low,)
    prices = []
    for s, (acps, values) in zip(series, points):
        at = dict(zip(acps, values))
        prices.append(tuple(at[b] if b in at else grid.price(s, b) for b in breakpoints))
    non_decreasing = all(row[i] <= row[i + 1] for row in prices for i in range(len(row) - 1))
    lines = _Lines(series, low_tick, high_tick, breakpoints, tuple(prices), non_decreasing)
    if len(per_grid) >= _CACHE_LIMIT:
        per_grid.clear()
    per_grid[series] = lines
    return lines


class _Holder:
    """One person's holdings on one grid: the Total Payment at any $0.0001 price, as estimate() computes it."""

    def __init__(self, holdings: Holdings, grid: PricingGrid) -> None:
        index: dict[SeriesKey, int] = {}
        terms: list[tuple[int, int]] = []
        for series, options in holdings:
            if options <= 0:
                continue
            terms.append((index.setdefault(series, len(index)), options))
        if not terms:
            raise CalcError("no Eligible Options: there is no Total Payment to solve for")
        self.grid = grid
        self.series = tuple(index)
        self.terms = terms
        self.weights = [0] * len(self.series)
        for s, options in terms:
            self.weights[s] += options
        self.lines = _lines(grid, self.series)
        self.slack = HALF_CENT * len(terms)       # |T - U| is at most this

    def total(self, tick: int) -> Decimal:
        """The Total Payment at tick/10,000 dollars: grid price per Series, each grant rounded to cents."""
        acp = _price_of(tick)
        price = self.grid.price
        per_series = [price(s, acp) for s in self.series]
        total = Decimal("0.00")
        with calc_context():
            for s, options in self.terms:
                total += (per_series[s] * options).quantize(CENT, ROUND_HALF_UP)
        return total

    def unrounded(self, i: int) -> Decimal:
        """U at breakpoint i: the sum of options x price before any rounding."""
        with calc_context():
            return sum((w * row[i] for w, row in zip(self.weights, self.lines.prices)), Decimal(0))


def _first(lo: int, hi: int, reaches: Callable[[int], bool]) -> int:
    """The first tick in [lo, hi] that reaches, given that hi does and the predicate is monotone."""
    while lo < hi:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _solve_segment(h: _Holder, i: int, amount: Decimal, u_a: Decimal, u_b: Decimal,
                   reaches: Callable[[int], bool]) -> int | None:
    """The first tick of segment i (breakpoints i to i+1) whose Total Payment reaches amount, or None."""
    lines = h.lines
    a, b = lines.breakpoints[i], lines.breakpoints[i + 1]
    with calc_context():
        ta = max(lines.low_tick, int(_tick(a).to_integral_value(ROUND_CEILING)))
        tb = min(lines.high_tick, int(_tick(b).to_integral_value(ROUND_FLOOR)))
    if ta > tb:
        return None
    if max(u_a, u_b) < amount - h.slack:        # T < U + slack < amount everywhere on the segment
        return None
    up = any(w and row[i + 1] > row[i] for w, row in zip(h.weights, lines.prices))
    down = any(w and row[i + 1] < row[i] for w, row in zip(h.weights, lines.prices))
    if not up and not down:                     # flat: the same total at every price of the segment
        return ta if reaches(ta) else None
    if not up:                                  # only falling: the first price is the best there is
        return ta if reaches(ta) else None
    with calc_context():
        slope = (u_b - u_a) / (b - a)

        def tick_where(level: Decimal, rounding: str) -> int:
            return int(((a + (level - u_a) / slope) * TICKS_PER_DOLLAR).to_integral_value(rounding))

        if slope > 0:
            lo = min(tb, max(ta, tick_where(amount - h.slack, ROUND_FLOOR) - 1))
            hi = min(tb, max(lo, tick_where(amount + h.slack, ROUND_CEILING) + 1))
        elif slope < 0:
            lo, hi = ta, min(tb, max(ta, tick_where(amount - h.slack, ROUND_CEILING) + 1))
        else:
            lo, hi = ta, tb
    if down:
        # Some Series rise and others fall: the total is not monotone here; try the few candidates.
        return next((t for t in range(lo, hi + 1) if reaches(t)), None)
    # Every Series rises or stays flat: the total never falls on the segment, so bisect.
    if not reaches(hi):
        if hi == tb or not reaches(tb):
            return None
        hi = tb
    found = _first(lo, hi, reaches)
    if found == lo and lo > ta:                 # never expected (U says so), kept for exactness
        found = _first(ta, lo, reaches)
    return found


def solve(holdings: Holdings, amount: Decimal, grid: PricingGrid) -> BreakEven:
    """The smallest $0.0001 ACP in the range at which the Total Payment of holdings reaches amount.

    holdings: (Series, options) per Eligible Option grant, as estimate() prices them.
    Raises InvalidAmount, SeriesMissing, or CalcError when the grid has no common range.
    """
    amount = validate_amount(amount)
    h = _Holder(holdings, grid)
    lines = h.lines
    reaches = lambda tick: h.total(tick) >= amount  # noqa: E731
    total_at_low, total_at_high = h.total(lines.low_tick), h.total(lines.high_tick)
    found: int | None = lines.low_tick if total_at_low >= amount else None
    if found is None:
        start = 0
        if lines.non_decreasing:
            # U never falls: the segments wholly below amount - slack cannot hold the answer; skip them
            # by bisecting on the breakpoints instead of walking up to the crossing one by one.
            level = amount - h.slack
            lo, hi = 0, len(lines.breakpoints) - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if h.unrounded(mid) >= level:
                    hi = mid
                else:
                    lo = mid + 1
            start = max(0, lo - 1)
        u_a = h.unrounded(start)
        for i in range(start, len(lines.breakpoints) - 1):
            u_b = h.unrounded(i + 1)
            found = _solve_segment(h, i, amount, u_a, u_b, reaches)
            if found is not None:
                break
            u_a = u_b
    low, high = _price_of(lines.low_tick), _price_of(lines.high_tick)
    common = dict(employee_id="", amount=amount, low=low, high=high, total_at_low=total_at_low,
                  total_at_high=total_at_high, non_decreasing=lines.non_decreasing,
                  illustrative=grid.illustrative)
    if found is None:
        return BreakEven(price=None, reason="not_reached", total_at_price=None, total_below=None, **common)  # type: ignore[arg-type]
    at = total_at_low if found == lines.low_tick else h.total(found)
    if found == lines.low_tick:
        return BreakEven(price=low, reason="already_reached", total_at_price=at, total_below=None, **common)  # type: ignore[arg-type]
    below = h.total(found - 1)
    if at < amount or below >= amount:          # the two-way check of the answer
        raise AssertionError(f"break-even check failed at tick {found}: {below} / {at} for {amount}")
    return BreakEven(price=_price_of(found), reason="reached", total_at_price=at, total_below=below,  # type: ignore[arg-type]
                     **common)


def slope_of(holdings: Holdings, acp: Decimal, grid: PricingGrid) -> Slope:
    """The slope of the unrounded Total Payment at acp, per $1.00 of Average Closing Price.

    Inside a segment, that segment's; at a breakpoint, the segment above it; at the top
    of the range, the segment below. Raises InvalidPrice outside the range.
    """
    h = _Holder(holdings, grid)
    lines = h.lines
    low, high = _price_of(lines.low_tick), _price_of(lines.high_tick)
    if not isinstance(acp, Decimal) or not acp.is_finite() or not low <= acp <= high:
        raise InvalidPrice(f"a slope is given for an Average Closing Price from ${format_price(low)} "
                           f"to ${format_price(high)}; {acp} is not in that range", acp)
    bps = lines.breakpoints
    if len(bps) == 1:
        return Slope("", acp, Decimal(0), (low, high), "inside", grid.illustrative)
    i = bisect_right(bps, acp) - 1
    # "above" only at a point of the grid itself (the range's own ends may fall inside a grid step).
    at_point = bps[i] == acp and any(acp in grid.points(series)[0] for series in h.series)
    side: Side = "above" if at_point else "inside"
    if i >= len(bps) - 1:
        i, side = len(bps) - 2, "below"
    a, b = bps[i], bps[i + 1]
    total = Decimal(0)
    with calc_context():
        for series, weight in zip(h.series, h.weights):
            acps, prices = grid.points(series)
            # The Series' own grid segment holding [a, b]: its slope, not one re-derived from interpolations.
            j = bisect_right(acps, a) - 1
            if j >= len(acps) - 1:
                j = len(acps) - 2
            total += weight * (prices[j + 1] - prices[j]) / (acps[j + 1] - acps[j])
    return Slope("", acp, total, (a, b), side, grid.illustrative)


_MULTIPLIERS = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}


def parse_amount(text: str) -> Decimal:
    """A Total Payment as a person types it: "20000.01", "$20,000", "20k", "$1.5 million". Checked."""
    if not isinstance(text, str):
        raise InvalidAmount(f"an amount must be given as text, got {text!r}")
    cleaned = text.strip().lower().replace(",", "").replace("$", "").replace("usd", "").strip()
    factor = 1
    for word, value in _MULTIPLIERS.items():
        if cleaned.endswith(word) and cleaned[:-len(word)].strip():
            cleaned, factor = cleaned[:-len(word)].strip(), value
            break
    try:
        amount = Decimal(cleaned) * factor
    except ArithmeticError:
        raise InvalidAmount(f"{text.strip()!r} is not an amount: give dollars such as 20000.01") from None
    return validate_amount(amount)


def validate_amount(amount: Decimal) -> Decimal:
    """A Total Payment to solve for: more than $0.00, in dollars and cents."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmount(f"{amount} is not an amount: give dollars such as 20000.01")
    if amount <= 0:
        raise InvalidAmount(f"a Total Payment of {dollar_price(amount)} is not one to solve for: "
                            "give an amount above $0.00")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidAmount(f"a Total Payment is in dollars and cents; {amount} has more decimals")
    return amount


def _holdings(employee: Employee, grants: Sequence[Grant], ctx: CalcContext) -> list[tuple[SeriesKey, int]]:
    """The Eligible Options estimate() prices, after the same checks it makes first."""
    _, _, eligible = eligible_holding(employee, grants, ctx)
    return [(g.series, g.outstanding) for g in eligible]


def break_even(employee: Employee, grants: Sequence[Grant], amount: Decimal, ctx: CalcContext) -> BreakEven:
    """solve() for an employee's Eligible Options; raises what estimate() raises, and InvalidAmount."""
    amount = validate_amount(amount)
    return replace(solve(_holdings(employee, grants, ctx), amount, ctx.grid), employee_id=employee.employee_id)


def slope(employee: Employee, grants: Sequence[Grant], acp: Decimal, ctx: CalcContext) -> Slope:
    """slope_of() for an employee's Eligible Options."""
    return replace(slope_of(_holdings(employee, grants, ctx), acp, ctx.grid), employee_id=employee.employee_id)


__all__ = ["BreakEven", "InvalidAmount", "LOWEST_ACP", "Slope", "break_even", "slope", "slope_of", "solve",
           "parse_amount", "validate_amount"]
