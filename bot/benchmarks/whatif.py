"""`sotp bench whatif`: how fast break-even prices are solved for the database's population.

Random Eligible Employees, preloaded from the database; each solve is the whole
break_even() call every channel makes (the eligibility checks, then the exact
search of the Pricing Grid's segments, with the two-way check of the answer), at
amounts drawn from $20,000.01 (the general schedule's boundary), $5,000, $50,000
and random amounts up to $100,000. Target: at least 2,000 solves a second (issue 14)
on a 2-core machine. The first solve of each combination of Series builds its
breakpoints; those solves are in the warm-up, not in the timing.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from typing import Any

from bot.benchmarks.calc import eligible_ids
from bot.calc.whatif import break_even
from bot.commands._common import CommandError, calendar_parent, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, count, database
from bot.figures import context, person

TARGET_SOLVES_PER_SECOND = 2000
FIXED_AMOUNTS = (Decimal("20000.01"), Decimal("5000.00"), Decimal("50000.00"))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "whatif", help="break-even Average Closing Prices solved per second",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent(), calendar_parent()])
    parser.add_argument("--solves", type=int, default=20000, metavar="N",
                        help="number of break-even solves to time (default 20,000)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="seed for picking employees (default 1)")
    parser.set_defaults(func=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _amounts(rng: random.Random, n: int) -> list[Decimal]:
    out: list[Decimal] = []
    for i in range(n):
        if i % 2 == 0:
            out.append(FIXED_AMOUNTS[(i // 2) % len(FIXED_AMOUNTS)])
        else:
            out.append(Decimal(rng.randrange(1, 10_000_000)).scaleb(-2))
    return out


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    db = database(args, settings)
    rng = random.Random(args.seed)
    try:
        _say("bench whatif: preparing (grid, calendar, random Eligible Employees) ...")
        ctx = context(db, settings)
        people = [person(db, eid) for eid in eligible_ids(db, rng, 5000)]
    finally:
        db.close()
    if not people:
        raise CommandError("no Eligible Employees in the database: import employees and grants "
                           "or run `sotp demo-data`")
    n = max(1, args.solves)
    amounts = _amounts(rng, n)
    for employee, grants in people:      # warm-up: each combination of Series builds its breakpoints once
        break_even(employee, grants, FIXED_AMOUNTS[0], ctx)
    reasons: dict[str, int] = {}
    started = time.perf_counter()
    for i in range(n):
        employee, grants = people[i % len(people)]
        result = break_even(employee, grants, amounts[i], ctx)
        reasons[result.reason] = reasons.get(result.reason, 0) + 1
    per_second = n / (time.perf_counter() - started)
    met = per_second >= TARGET_SOLVES_PER_SECOND
    if args.json:
        payload: dict[str, Any] = {
            "solves": n, "employees_sampled": len(people), "solves_per_second": round(per_second, 1),
            "reasons": reasons, "illustrative": ctx.grid.illustrative,
            "targets": {"solves_per_second": TARGET_SOLVES_PER_SECOND}, "met": met,
        }
        emit_json(payload)
        return 0
    print(f"Break-even solves ({count(n)} solves over {count(len(people))} random Eligible Employees; "
          + ", ".join(f"{reason} {count(k)}" for reason, k in sorted(reasons.items())) + ")")
    print(f"  {per_second:>10,.0f} a second   (target >= {TARGET_SOLVES_PER_SECOND:,})")
    print(f"Targets met: {'yes' if met else 'NO'}")
    return 0
