"""`sotp bench calibration`: the database's Total Payments beside the Notice's published aggregates.

The Notice (Section 11) gives Total Payments for all Eligible Options of $313
million at an ACP of $22, $919 million at $27 and $1,975 million at $32; the
Schedule TO fee table values 623,577,566 options at $1,209,758,657 at $28.625.
With the default demo population and the model grid every ratio should lie
within 0.85-1.15 (bot/data/model_grid.toml records the tuned values).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from bot.calc import money_str
from bot.commands._common import calendar_parent, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, count, database, dollars, table
from bot.figures import population_totals

# (ACP, published Total Payments, where it is published)
PUBLISHED: tuple[tuple[Decimal, Decimal, str], ...] = (
    (Decimal("22.00"), Decimal("313000000"), "Notice s11 table"),
    (Decimal("27.00"), Decimal("919000000"), "Notice s11 table"),
    (Decimal("32.00"), Decimal("1975000000"), "Notice s11 table"),
    (Decimal("28.625"), Decimal("1209758657"), "Schedule TO fee table (623,577,566 options)"),
)
NOTICE_EMPLOYEES = 37_000
NOTICE_OPTIONS = 624_000_000
TARGET = (Decimal("0.85"), Decimal("1.15"))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "calibration", help="Total Payments at $22, $27, $32 and $28.625 beside the Notice's figures",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent(), calendar_parent()])
    parser.set_defaults(func=run)


def ratio(ours: Decimal, published: Decimal) -> Decimal:
    return (ours / published).quantize(Decimal("0.001"))


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    db = database(args, settings)
    try:
        print("bench calibration: computing Total Payments for the whole population ...", file=sys.stderr)
        result = population_totals(db, settings, tuple(acp for acp, _, _ in PUBLISHED))
    finally:
        db.close()
    if args.json:
        emit_json({
            "employees": result.employees,
            "eligible_employees": result.eligible_employees,
            "eligible_options": result.eligible_options,
            "totals": {f"{acp:f}": money_str(result.totals[acp]) for acp, _, _ in PUBLISHED},
        })
        return 0
    grid = "model grid (illustrative)" if result.illustrative else "imported Pricing Grid"
    print(f"Calibration of {settings.db_path} with the {grid}")
    print(f"Employees {count(result.employees)}; Eligible Employees {count(result.eligible_employees)} "
          f"(Notice: about {count(NOTICE_EMPLOYEES)}); Eligible Options {count(result.eligible_options)} "
          f"(Notice: about {count(NOTICE_OPTIONS)})")
    print()
    rows = []
    within = True
    for acp, published, source in PUBLISHED:
        ours = result.totals[acp]
        r = ratio(ours, published)
        within = within and TARGET[0] <= r <= TARGET[1]
        per_option = (ours / result.eligible_options).quantize(Decimal("0.001")) if result.eligible_options else Decimal(0)
        rows.append([f"${acp:f}", dollars(ours), f"${per_option}", dollars(published), f"{r}", source])
    print(table(["ACP", "Total Payments", "Per option", "Published", "Ratio", "Source"], rows,
                right=(0, 1, 2, 3, 4)))
    print()
    print(f"Every ratio within {TARGET[0]}-{TARGET[1]}: {'yes' if within else 'NO'}")
    return 0
