"""`sotp estimate --employee ID --price 27.00`: an employee's Total Payment at an assumed Average Closing Price.

Shows each Eligible Option's price per option and payment, the payout schedule
for the employee's country and Employee Level (with the estimated interest on
each Contingent Payment), and the Total Payment at the Employee Election Tool's
table of prices from $23 to $31. These are the same figures the assistant gives
the employee. They are estimates: the actual Total Payment is known only after
the Averaging Period. Until the Pricing Grid is imported they are illustrative
(model prices) and say so. The calendar options change the dates for this run only.

--chart adds a small chart of the Total Payment at every Average Closing Price
from $15.00 to $40.00 (the $20,000.00 line and the Tool's table prices marked);
--chart-png FILE writes the same chart as a picture (PNG), as the assistant
sends it to the employee by email and in Slack.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.calc import Estimate, format_price, money_str, parse_price
from bot.calc.curve import PaymentCurve
from bot.charts.text import render as chart_text
from bot.commands._common import (
    CommandError,
    calendar_parent,
    common_parent,
    emit_json,
    json_parent,
    settings_from_args,
)
from bot.commands._output import calc_errors, count, database, dollars, notes, table
from bot.figures import chart_points, estimate_for

KIND_NAMES = {
    "initial": "Initial Payment",
    "first_contingent": "First Contingent Payment",
    "second_contingent": "Second Contingent Payment",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "estimate", help="an employee's Total Payment and payout schedule at an assumed ACP",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent(), calendar_parent()])
    parser.add_argument("--employee", required=True, metavar="ID", help="employee id, e.g. E000123")
    parser.add_argument("--price", required=True, metavar="ACP",
                        help="assumed Average Closing Price in dollars, more than 0 and at most 40.00 (e.g. 27.00)")
    parser.add_argument("--chart", action="store_true",
                        help="add a chart of the Total Payment from $15.00 to $40.00 (text)")
    parser.add_argument("--chart-png", metavar="FILE",
                        help="write the chart of the Total Payment from $15.00 to $40.00 as a PNG picture")
    parser.set_defaults(func=run)


def price_per_option_str(price: Decimal) -> str:
    """The unrounded price, all its digits, with at least four decimals ("1.9500", "0.61234567")."""
    text = f"{price.normalize():f}" if price else "0"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(4, '0')}"


def as_json(est: Estimate) -> dict[str, Any]:
    return {
        "employee_id": est.employee_id,
        "average_closing_price": format_price(est.average_closing_price),
        "illustrative": est.illustrative,
        "grants": [{"grant_number": g.grant.grant_number, "options": g.options,
                    "price_per_option": price_per_option_str(g.price_per_option),
                    "payment": money_str(g.payment)} for g in est.grants],
        "total_payment": money_str(est.total_payment),
        "schedule": [{"kind": i.kind, "employed_through": i.employed_through.isoformat(),
                      "expected_by": i.expected_by.isoformat(), "amount": money_str(i.amount),
                      # Added key: the estimated Contingent Interest Payment (null for the Initial Payment).
                      "estimated_interest": None if i.interest is None else money_str(i.interest)}
                     for i in est.schedule],
        "table": [{"price": format_price(p), "total_payment": money_str(t)} for p, t in est.table],
        "notes": list(est.notes),
    }


def as_text(est: Estimate) -> str:
    e = est.eligibility.employee
    out = [f"{e.employee_id}  {e.name}: {e.country}, Level {e.level}",
           f"Estimate at an assumed Average Closing Price of ${format_price(est.average_closing_price)}"]
    if est.illustrative:
        out.append("ILLUSTRATIVE: model prices, not the negotiated Pricing Grid (see the notes).")
    out.append("")
    rows = [[g.grant.grant_number, g.grant.grant_date.isoformat(), f"${format_price(g.grant.exercise_price)}",
             g.grant.expiration_date.isoformat(), "yes" if g.grant.multi_year_grant else "",
             count(g.options), f"${g.price_per_option:.4f}", dollars(g.payment)] for g in est.grants]
    rows.append(["Total Payment", "", "", "", "", count(sum(g.options for g in est.grants)), "",
                 dollars(est.total_payment)])
    out.append(table(["Grant", "Granted", "Price", "Expires", "Multi-Year", "Options", "Per option",
                      "Payment"], rows, right=(2, 5, 6, 7)))
    out += ["", "Payout schedule"]
    sched = []
    for inst in est.schedule:
        interest = "" if inst.interest is None else f"+ about {dollars(inst.interest)} interest"
        sched.append([KIND_NAMES.get(inst.kind, inst.kind), inst.employed_through.isoformat(),
                      inst.expected_by.isoformat(), dollars(inst.amount), interest])
    out.append(table(["Payment", "Employed through", "Expected by", "Amount", ""], sched, right=(3,)))
    out += ["", "Total Payment at other Average Closing Prices"]
    out.append(table(["ACP", "Total Payment"], [[f"${format_price(p)}", dollars(t)] for p, t in est.table],
                     right=(0, 1)))
    out += ["", "Notes", notes(est.notes)]
    return "\n".join(out)


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    acp = parse_price(args.price)
    db = database(args, settings)
    curve = None
    try:
        est = estimate_for(db, settings, args.employee, acp)
        if args.chart or args.chart_png:
            curve = chart_points(db, settings, est.employee_id)
    finally:
        db.close()
    if curve is not None and args.chart_png:
        _write_png(Path(args.chart_png), curve)
    if args.json:
        out = as_json(est)
        if curve is not None and args.chart:
            out["chart"] = chart_json(curve)
        emit_json(out)
    else:
        print(as_text(est))
        if curve is not None and args.chart:
            print("\n" + chart_text(curve))
    return 0


def chart_json(curve: PaymentCurve) -> dict[str, Any]:
    """Added key with --chart --json: the points the chart draws (exact totals at those prices)."""
    return {"low": format_price(curve.low), "high": format_price(curve.high), "illustrative": curve.illustrative,
            "points": [{"price": format_price(p.price), "total_payment": money_str(p.total),
                        "initial_payment": money_str(p.initial)} for p in curve.points]}


def _write_png(path: Path, curve: PaymentCurve) -> None:
    from bot.charts import png

    data = png.render(curve)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
