"""`sotp interest`: the Contingent Interest Payment on a Contingent Payment (Notice Q11, Section 3).

Monthly compounding, actual/365, each period at the rate of the month it starts
in, rounded to cents only at the end. With --rate the rate is a constant (a
fraction a year, 0.0095 for 0.95%); without it, the configured monthly 3-month
Treasury constant-maturity series (bot/data/treasury_3m_cmt.csv by default).
"""

from __future__ import annotations

import argparse
import re
from decimal import Decimal

from bot.calc import MonthlyRates, contingent_interest, money_str
from bot.commands._common import CommandError, _date, config_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, dollars
from bot.figures import monthly_rates

_AMOUNT = re.compile(r"^\$?\d{1,3}(,\d{3})*(\.\d+)?$|^\$?\d+(\.\d+)?$")
_RATE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "interest", help="Contingent Interest Payment on a Contingent Payment",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[config_parent(), json_parent()])
    parser.add_argument("--principal", required=True, metavar="DOLLARS",
                        help="the Contingent Payment, e.g. 10000.00")
    parser.add_argument("--from", dest="start", required=True, type=_date, metavar="YYYY-MM-DD",
                        help="start of interest: JPMorgan's payment date (2003-12-12 by default)")
    parser.add_argument("--to", dest="end", required=True, type=_date, metavar="YYYY-MM-DD",
                        help="the vesting date of the Contingent Payment")
    parser.add_argument("--rate", metavar="FRACTION",
                        help="constant annual rate as a fraction (0.01 for 1%%); default: the monthly series")
    parser.set_defaults(func=run)


def _principal(text: str) -> Decimal:
    cleaned = text.strip()
    if not _AMOUNT.match(cleaned):
        raise CommandError(f"--principal {text!r} is not an amount of dollars such as 10000.00")
    return Decimal(cleaned.lstrip("$").replace(",", ""))


def _rate(text: str) -> Decimal:
    cleaned = text.strip()
    if not _RATE.match(cleaned):
        raise CommandError(f"--rate {text!r} is not a rate: give a fraction such as 0.0095")
    rate = Decimal(cleaned)
    if rate >= 1:
        raise CommandError(f"--rate {text} is 100% or more: give the rate as a fraction (0.01 for 1%)")
    return rate


@calc_errors
def run(args: argparse.Namespace) -> int:
    principal = _principal(args.principal)
    rate: Decimal | MonthlyRates
    if args.rate is not None:
        rate = _rate(args.rate)
        basis = f"a constant {(rate * 100).normalize():f}% a year"
    else:
        rate = monthly_rates(settings_from_args(args))
        basis = "the monthly 3-month U.S. Treasury constant-maturity yields (each period at its first month's rate)"
    result = contingent_interest(principal, args.start, args.end, rate)
    if args.json:
        emit_json({"interest": money_str(result.interest), "final_balance": money_str(result.final_balance),
                   "periods": result.periods})
    else:
        print(f"Contingent Interest Payment: {dollars(result.interest)}")
        print(f"  on {dollars(principal)} from {args.start.isoformat()} to {args.end.isoformat()}, "
              f"{result.periods} monthly period(s), compounded monthly, actual/365,")
        print(f"  at {basis}")
        print(f"  final balance {dollars(result.final_balance)}")
    return 0
