"""`sotp demo-data`: write a synthetic population shaped like the real one (deterministic).

Replaces the employees and grants of the database (default: the demo database
var/sotp.db; a new --db PATH is created) in one transaction; an imported Pricing
Grid, rates and rulings are kept. Nobody in it is real. The same --employees and
--seed always give the same people; the population's shape (countries, levels,
grants) is set in the file demo_population.toml shipped with the assistant.
"""

from __future__ import annotations

import argparse

from bot import demo
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args
from bot.store import open_db


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo-data", help="write a deterministic synthetic population (employees and grants)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent()])
    parser.add_argument("--employees", type=int, metavar="N", default=None,
                        help=f"number of people (default {demo.default_employees():,}, which gives about "
                             "37,000 Eligible Employees holding about 624 million Eligible Options)")
    parser.add_argument("--seed", type=int, metavar="S", default=None,
                        help=f"random seed (default {demo.default_seed()})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    n = demo.default_employees() if args.employees is None else args.employees
    seed = demo.default_seed() if args.seed is None else args.seed
    if n < 1:
        raise CommandError(f"--employees {n}: the population needs at least one person")
    db = open_db(settings.db_path)
    try:
        summary = demo.build(db, n, seed, progress=demo.stderr_progress)
    finally:
        db.close()
    if args.json:
        emit_json({"db": str(settings.db_path), "employees": summary.employees, "grants": summary.grants,
                   "seed": seed, "seconds": round(summary.seconds, 2)})
    else:
        print(f"Wrote {summary.employees:,} employees and {summary.grants:,} grants (seed {seed}) "
              f"to {settings.db_path} in {summary.seconds:.1f} s.")
    return 0
