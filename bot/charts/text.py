"""The chart for a terminal: a few lines of plain characters, one column per $0.50 of the average.

'*' is the Total Payment, 'o' the Tool's table prices on it, '-' the $20,000.00
line; the axis runs from $0 to the highest total (or $20,000, whichever is more).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.calc.curve import PaymentCurve
from bot.calc.money import calc_context
from bot.calc.records import format_price
from bot.calc.schedule import ALL_UPFRONT_LIMIT

FENCE = "```"              # the terminal keeps a fenced block's columns (bot.commands._terminal)
ROWS = 7
STEP = Decimal("0.50")     # one column per half dollar: $15.00-$40.00 is 51 columns


def _whole_dollars(amount: Decimal) -> str:
    return f"${amount.quantize(Decimal(1), ROUND_HALF_UP):,}"


def _row(value: Decimal, top: Decimal) -> int:
    with calc_context():
        return int((value / top * (ROWS - 1)).quantize(Decimal(1), ROUND_HALF_UP))


def title(curve: PaymentCurve) -> str:
    words = (f"Total Payment of {curve.employee_id}, Average Closing Price "
             f"${format_price(curve.low)} to ${format_price(curve.high)}")
    return words + (" (illustrative)" if curve.illustrative else "")


def render(curve: PaymentCurve) -> str:
    """The chart as lines of text (no trailing newline); its first line says what it shows."""
    with calc_context():
        prices = [curve.low + STEP * i for i in range(int((curve.high - curve.low) / STEP) + 1)]
        if prices[-1] != curve.high:
            prices.append(curve.high)
        columns = len(prices)
        table = {int(((p - curve.low) / STEP).quantize(Decimal(1), ROUND_HALF_UP)) for p in curve.table_prices}
    top = max(curve.peak, ALL_UPFRONT_LIMIT)
    line_row = _row(ALL_UPFRONT_LIMIT, top)   # on the $0 row when the highest total dwarfs it
    heights = [_row(curve.total_at(p), top) for p in prices]
    grid = [[" "] * columns for _ in range(ROWS)]
    for i in range(columns):
        grid[line_row][i] = "-"
    previous = heights[0]
    for i, height in enumerate(heights):
        low, high = sorted((previous + (1 if height > previous else -1 if height < previous else 0), height))
        for r in range(low, high + 1):       # joined to the column before: no gaps on a steep piece
            grid[r][i] = "*"
        if i in table:
            grid[height][i] = "o"
        previous = height
    labels = {0: "$0", ROWS - 1: _whole_dollars(top)}
    labels[line_row] = _whole_dollars(ALL_UPFRONT_LIMIT)
    width = max(len(text) for text in labels.values())
    lines = [title(curve)]
    for r in range(ROWS - 1, -1, -1):
        lines.append(f"{labels.get(r, ''):>{width}} |{''.join(grid[r])}".rstrip())
    lines.append(f"{'':>{width}} +{'-' * columns}")
    axis = [" "] * (columns + 4)
    marks = [(0, curve.low), (columns - 1, curve.high)]
    if table:
        marks += [(min(table), curve.table_prices[0]), (max(table), curve.table_prices[-1])]
    for i, price in sorted(marks):
        text = f"${price.normalize():f}" if price == price.to_integral_value() else f"${format_price(price)}"
        start = max(0, min(i - len(text) // 2, columns + 4 - len(text)))
        if all(c == " " for c in axis[max(0, start - 1):start + len(text) + 1]):
            axis[start:start + len(text)] = text
    lines.append(f"{'':>{width}}  {''.join(axis).rstrip()}")
    legend = "* Total Payment   - $20,000.00"
    if table:
        legend += "   o the Employee Election Tool's table prices"
    lines.append(legend)
    return "\n".join(lines)


def for_reply(db: Any, settings: Any, employee_id: str) -> str | None:
    """The chart under an estimate reply in the terminal, fenced so it keeps its columns; None if none can be drawn.

    A chart that cannot be drawn (a grid that prices none of the range) leaves the
    estimate as it is: the reply already says what can be said.
    """
    from bot import figures
    from bot.calc.errors import CalcError

    try:
        curve = figures.chart_points(db, settings, employee_id)
    except (CalcError, LookupError):
        return None
    return f"{FENCE}\n{render(curve)}\n{FENCE}"
