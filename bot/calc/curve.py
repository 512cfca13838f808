"""An employee's Total Payment as a curve of the Average Closing Price: the points a chart draws.

Between two grid points of a Series its price per option is a straight line
(bot.calc.pricing), so the Total Payment is a straight line, up to the cent
rounding of each grant payment, between any two neighbouring breakpoints of the
employee's Series. The totals at those breakpoints, at the ends of the range and
at the Tool's table prices therefore draw the curve exactly. Each point also
carries the part of the total that is the Initial Payment of the payout schedule
that applies (expected by December 31, 2003); where that part bends (a total of
$20,000.00, and where 33.33% of the total passes $20,000.00) a point is added at the
first $0.0001 past the bend, so the shaded part is drawn straight as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Sequence

from bot.calc.errors import CalcError
from bot.calc.estimate import DEFAULT_RULING, TABLE_PRICES, CalcContext, _ruling_for, eligible_holding, payment_table
from bot.calc.money import TEN_THOUSANDTH, calc_context
from bot.calc.pricing import MAX_ASSUMED_ACP
from bot.calc.records import Employee, Grant, format_price
from bot.calc.schedule import ALL_UPFRONT_LIMIT, INITIAL_SHARE, MINIMUM_INITIAL, payout_schedule, schedule_rule

CHART_LOW = Decimal("15.00")      # issue 14: the chart runs from $15.00 ...
CHART_HIGH = MAX_ASSUMED_ACP      # ... to $40.00, the Tool's calculator limit


@dataclass(frozen=True, slots=True)
class CurvePoint:
    price: Decimal       # Average Closing Price
    total: Decimal       # Total Payment at that price (cents)
    initial: Decimal     # of which the Initial Payment (expected by December 31, 2003)


@dataclass(frozen=True, slots=True)
class PaymentCurve:
    employee_id: str
    low: Decimal                          # the range drawn: $15.00-$40.00, or the part the grid covers
    high: Decimal
    points: tuple[CurvePoint, ...]        # ascending prices
    table_prices: tuple[Decimal, ...]     # the Tool's table prices within the range
    illustrative: bool                    # the model grid: every chart of it must say so
    schedule_rule: str                    # "general" | "immediate" | "tax_rate"

    def total_at(self, price: Decimal) -> Decimal:
        """The total at a price in the range, on the straight line between the two points around it.

        Exact at the points; between them exact up to the cent roundings (what a drawing needs).
        """
        points = self.points
        if not self.low <= price <= self.high:
            raise CalcError(f"${format_price(price)} is outside the chart's range "
                            f"${format_price(self.low)} to ${format_price(self.high)}")
        for left, right in zip(points, points[1:]):
            if left.price <= price <= right.price:
                if price == left.price:
                    return left.total
                with calc_context():
                    return left.total + (right.total - left.total) * (price - left.price) / (right.price - left.price)
        return points[-1].total

    @property
    def peak(self) -> Decimal:
        return max(p.total for p in self.points)


def chart_range(breakpoints: Sequence[tuple[Decimal, ...]], low: Decimal = CHART_LOW,
                high: Decimal = CHART_HIGH) -> tuple[Decimal, Decimal]:
    """low-high, cut to the prices where every one of the Series has a price."""
    lo = max([low, *(b[0] for b in breakpoints)])
    hi = min([high, *(b[-1] for b in breakpoints)])
    if lo > hi:
        raise CalcError(f"the Pricing Grid has no Average Closing Price between ${format_price(low)} and "
                        f"${format_price(high)} at which every one of your Eligible Options has a price")
    return lo, hi


def curve_prices(breakpoints: Sequence[tuple[Decimal, ...]], low: Decimal, high: Decimal) -> tuple[Decimal, ...]:
    """The prices whose totals draw the curve exactly: breakpoints in range, both ends, the table prices."""
    prices = {low, high}
    prices.update(p for points in breakpoints for p in points if low <= p <= high)
    prices.update(p for p in TABLE_PRICES if low <= p <= high)
    return tuple(sorted(prices))


def _bends(points: Sequence[tuple[Decimal, Decimal]], levels: Sequence[Decimal]) -> set[Decimal]:
    """The first multiple of $0.0001 at or past which a straight piece of the curve reaches each level."""
    out: set[Decimal] = set()
    with calc_context():
        for (p0, t0), (p1, t1) in zip(points, points[1:]):
            for level in levels:
                if t0 < level < t1:
                    at = p0 + (level - t0) * (p1 - p0) / (t1 - t0)
                    out.add(at.quantize(TEN_THOUSANDTH, rounding=ROUND_CEILING))
    return out


def payment_curve(employee: Employee, grants: Sequence[Grant], ctx: CalcContext, *,
                  low: Decimal = CHART_LOW, high: Decimal = CHART_HIGH) -> PaymentCurve:
    """The employee's Total Payment (and its Initial Payment part) from low to high.

    Raises NotEligible, ProgramTerminated, SeriesMissing, or CalcError when the grid
    prices none of the range for every Series the employee holds.
    """
    _, country, eligible = eligible_holding(employee, grants, ctx)
    holdings = [(g.series, g.outstanding) for g in eligible]
    breakpoints = [ctx.grid.breakpoints(series) for series in dict.fromkeys(s for s, _ in holdings)]
    lo, hi = chart_range(breakpoints, low, high)
    prices = curve_prices(breakpoints, lo, hi)
    first = payment_table(holdings, prices, ctx.grid)
    # As estimate(): only a country awaiting a tax ruling has one.
    ruling = _ruling_for(ctx.rulings, country.name) if country.payment_group == "ruling" else DEFAULT_RULING
    with calc_context():
        levels = (ALL_UPFRONT_LIMIT, MINIMUM_INITIAL / INITIAL_SHARE)
    extra = _bends(first, levels) - set(prices)
    rows = first if not extra else payment_table(holdings, tuple(sorted({*prices, *extra})), ctx.grid)
    points = []
    for price, total in rows:
        installments, _ = payout_schedule(total, country, employee.level, ctx.calendar, ctx.rates, ruling)
        points.append(CurvePoint(price, total, installments[0].amount))
    rule, _ = schedule_rule(country, ruling)
    return PaymentCurve(employee.employee_id, lo, hi, tuple(points),
                        tuple(p for p in TABLE_PRICES if lo <= p <= hi), ctx.grid.illustrative, rule)
