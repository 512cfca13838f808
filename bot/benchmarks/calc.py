"""`sotp bench calc`: how fast personal estimates and population totals are computed on the database's population.

1. Single estimates: random Eligible Employees, each estimate = load the employee
   and grants from SQLite + the full estimate (grants, $23-$31 table, schedule
   with interest). Target: at least 15,000 a second (issue 7). The rate without
   the database (people preloaded) is reported beside it.
2. Population totals: Total Payments for all Eligible Options at $22, $27 and $32,
   from reading the grants to the three totals. Target: at most 5 seconds for the
   37,000-employee population.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from typing import Any

from bot import store
from bot.benchmarks.procfs import load_average
from bot.calc import estimate, is_eligible_option
from bot.calc.eligibility import employee_rule_reasons
from bot.calc.money import parse_price
from bot.commands._common import CommandError, calendar_parent, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, count, database
from bot.figures import context, person, population_totals

TARGET_ESTIMATES_PER_SECOND = 15000
TARGET_TOTALS_SECONDS = 5.0
TOTALS_ACPS = (Decimal("22.00"), Decimal("27.00"), Decimal("32.00"))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "calc", help="estimates per second and the time of the population totals",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent(), calendar_parent()])
    parser.add_argument("--estimates", type=int, default=20000, metavar="N",
                        help="number of single estimates to time (default 20,000)")
    parser.add_argument("--price", default="27.00", metavar="ACP", help="assumed ACP of the estimates (default 27.00)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="seed for picking employees (default 1)")
    parser.set_defaults(func=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def eligible_ids(db: Any, rng: random.Random, limit: int) -> list[str]:
    """Up to `limit` random Eligible Employees (same rules as bot.calc, checked on the stored rows)."""
    candidates = store.all_grants(db, candidates_only=True)
    ids: list[str] = []
    for eid in sorted(candidates):
        if any(is_eligible_option(g) for g in candidates[eid]):
            ids.append(eid)
    rng.shuffle(ids)
    out: list[str] = []
    for eid in ids:
        employee = store.employee(db, eid)
        if employee is not None and not employee_rule_reasons(employee):
            out.append(eid)
            if len(out) >= limit:
                break
    return out


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    acp = parse_price(args.price)
    db = database(args, settings)
    try:
        _say("bench calc: preparing (grid, calendar, random Eligible Employees) ...")
        ctx = context(db, settings)
        pool = eligible_ids(db, random.Random(args.seed), 5000)
        if not pool:
            raise CommandError("no Eligible Employees in the database: import employees and grants "
                               "or run `sotp demo-data`")
        n = max(1, args.estimates)
        step = max(1, n // 4)
        for eid in pool[:500]:  # warm the grid's per-ACP prices and SQLite's page cache
            employee, grants = person(db, eid)
            estimate(employee, grants, acp, ctx)
        load = load_average()
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            employee, grants = person(db, pool[i % len(pool)])
            estimate(employee, grants, acp, ctx)
            if (i + 1) % step == 0:
                _say(f"bench calc: {i + 1:,} of {n:,} estimates with the database")
        with_db = n / (time.perf_counter() - started)
        with_db_cpu_us = (time.process_time() - cpu) * 1e6 / n

        people = [person(db, eid) for eid in pool]
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            employee, grants = people[i % len(people)]
            estimate(employee, grants, acp, ctx)
        pure = n / (time.perf_counter() - started)
        pure_cpu_us = (time.process_time() - cpu) * 1e6 / n
        _say("bench calc: population totals at $22, $27, $32 ...")

        started = time.perf_counter()
        totals = population_totals(db, settings, TOTALS_ACPS, ctx)
        totals_seconds = time.perf_counter() - started
    finally:
        db.close()

    met = with_db >= TARGET_ESTIMATES_PER_SECOND and totals_seconds <= TARGET_TOTALS_SECONDS
    if args.json:
        emit_json({
            "estimates": n,
            "employees_sampled": len(pool),
            "estimates_per_second": round(with_db, 1),
            "pure_estimates_per_second": round(pure, 1),
            "cpu_us_per_estimate": round(with_db_cpu_us, 1),
            "pure_cpu_us_per_estimate": round(pure_cpu_us, 1),
            "load_average": load,
            "population_employees": totals.employees,
            "eligible_employees": totals.eligible_employees,
            "totals_seconds": round(totals_seconds, 3),
            "targets": {"estimates_per_second": TARGET_ESTIMATES_PER_SECOND, "totals_seconds": TARGET_TOTALS_SECONDS},
            "met": met,
        })
        return 0
    print(f"Single estimates at ${acp} ({count(n)} estimates over {count(len(pool))} random Eligible Employees)")
    print(f"  with SQLite reads   {with_db:>10,.0f} a second   (target >= {TARGET_ESTIMATES_PER_SECOND:,}; "
          f"{with_db_cpu_us:.0f} µs of CPU each)")
    print(f"  pure calculation    {pure:>10,.0f} a second   ({pure_cpu_us:.0f} µs of CPU each)")
    print(f"  load average        {load or 'unknown'}   (1, 5, 15 minutes, when the estimates started)")
    print(f"Population totals at $22, $27, $32 ({count(totals.eligible_employees)} Eligible Employees "
          f"of {count(totals.employees)} people)")
    print(f"  {totals_seconds:.2f} s   (target <= {TARGET_TOTALS_SECONDS:.0f} s)")
    print(f"Targets met: {'yes' if met else 'NO'}")
    return 0

