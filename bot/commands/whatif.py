"""`sotp whatif --employee ID --total 20000.01`: the Average Closing Price at which a Total Payment is reached.

Prints the smallest Average Closing Price, to 1/10,000 of a dollar, from $15.00 to
$40.00 (or the part of that range the Pricing Grid prices for all of the employee's
options), at which the employee's estimated Total Payment reaches the amount given;
or that it is already reached at the lowest of those prices; or that no price up to
the highest one reaches it. --slope-at adds how many dollars the Total Payment
changes for each $1.00 of Average Closing Price around that price (at a grid point,
for a rise from it; at the highest price, for the step below it).

These are estimates, like `sotp estimate`: the actual Total Payment is known only
after the Averaging Period, and until the Pricing Grid is imported the prices per
option are illustrative (model prices).

JSON keys: employee_id, total (the amount, two decimals), average_closing_price (four
decimals, or null when no price reaches it), reason (reached, already_reached or
not_reached); with --slope-at also slope_at, slope_per_dollar (dollars per $1.00,
half-up to the cent) and slope_between (the two grid prices of the step used).
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.calc import format_price, money_str, parse_price
from bot.calc.whatif import BreakEven, Slope, parse_amount
from bot.commands._common import calendar_parent, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, database, dollars
from bot.figures import break_even_for, context, slope_for

TEXT_REASONS = {
    "reached": "Your estimated Total Payment reaches {total} from an Average Closing Price of ${price} "
               "(at ${below_price} it is {below}).",
    "already_reached": "Your estimated Total Payment is already {at} at ${price}, the lowest price considered, "
                       "so it reaches {total} there.",
    "not_reached": "No Average Closing Price up to ${high} gives {total}: at ${high} the estimated Total Payment "
                   "is {at_high}.",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "whatif", help="the Average Closing Price at which an employee's Total Payment reaches an amount",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent(), calendar_parent()])
    parser.add_argument("--employee", required=True, metavar="ID", help="employee id, e.g. E000123")
    parser.add_argument("--total", required=True, metavar="AMOUNT",
                        help="the Total Payment to reach, in dollars (e.g. 20000.01)")
    parser.add_argument("--slope-at", metavar="ACP",
                        help="also show the dollars of Total Payment per $1.00 of Average Closing Price "
                             "around this price (e.g. 27)")
    parser.set_defaults(func=run)


def as_json(result: BreakEven, slope: Slope | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "employee_id": result.employee_id,
        "total": money_str(result.amount),
        "average_closing_price": None if result.price is None else f"{result.price:.4f}",
        "reason": result.reason,
    }
    if slope is not None:
        out["slope_at"] = format_price(slope.at)
        out["slope_per_dollar"] = money_str(slope.per_dollar)
        out["slope_between"] = [format_price(slope.segment[0]), format_price(slope.segment[1])]
    return out


def as_text(result: BreakEven, slope: Slope | None) -> str:
    values = {"total": dollars(result.amount), "high": format_price(result.high)}
    if result.reason == "reached":
        assert result.price is not None and result.total_below is not None
        values.update(price=f"{result.price:.4f}", below_price=f"{result.price - _TICK:.4f}",
                      below=dollars(result.total_below))
    elif result.reason == "already_reached":
        assert result.price is not None and result.total_at_price is not None
        values.update(price=format_price(result.price), at=dollars(result.total_at_price))
    else:
        values.update(at_high=dollars(result.total_at_high))
    out = [f"{result.employee_id}: Total Payment of {dollars(result.amount)}",
           TEXT_REASONS[result.reason].format(**values),
           f"Prices considered: ${format_price(result.low)} to ${format_price(result.high)}, "
           "to $0.0001."]
    if slope is not None:
        side = {"inside": "", "above": " (the step above it)", "below": " (the step below it)"}[slope.side]
        out.append(f"Around ${format_price(slope.at)}{side}: about {dollars(slope.per_dollar)} of Total Payment "
                   f"per $1.00 of Average Closing Price (between ${format_price(slope.segment[0])} and "
                   f"${format_price(slope.segment[1])}).")
    out.append("Estimates only: the actual Total Payment will only be determined following completion of the "
               "Averaging Period.")
    if result.illustrative:
        out.append("ILLUSTRATIVE: model prices, not the negotiated Pricing Grid.")
    return "\n".join(out)


_TICK = parse_price("0.0001")


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    amount = parse_amount(args.total)
    at = parse_price(args.slope_at) if args.slope_at is not None else None
    db = database(args, settings)
    try:
        ctx = context(db, settings)
        result = break_even_for(db, settings, args.employee, amount, ctx)
        slope = slope_for(db, settings, args.employee, at, ctx) if at is not None else None
    finally:
        db.close()
    if args.json:
        emit_json(as_json(result, slope))
    else:
        print(as_text(result, slope))
    return 0
