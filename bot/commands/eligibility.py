"""`sotp eligibility --employee ID`: is this person an Eligible Employee, and which grants are Eligible Options."""

from __future__ import annotations

import argparse

from bot.calc import format_price
from bot.commands._common import common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors, count, database, table
from bot.figures import eligibility_for


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "eligibility", help="whether an employee is an Eligible Employee, grant by grant",
        description="Whether an employee is an Eligible Employee and which grants are Eligible Options "
                    "(Notice Q3, Q5, Section 1), with every failing rule named.",
        parents=[common_parent(), json_parent()])
    parser.add_argument("--employee", required=True, metavar="ID", help="employee id, e.g. E000123")
    parser.set_defaults(func=run)


@calc_errors
def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    db = database(args, settings, read_only=True)
    try:
        verdict = eligibility_for(db, args.employee)
    finally:
        db.close()
    if args.json:
        emit_json({
            "employee_id": verdict.employee.employee_id,
            "eligible": verdict.eligible,
            "reasons": list(verdict.reasons),
            "grants": [{"grant_number": g.grant.grant_number, "eligible": g.eligible, "reason": g.reason,
                        "outstanding": g.grant.outstanding} for g in verdict.grants],
        })
        return 0
    e = verdict.employee
    print(f"{e.employee_id}  {e.name} <{e.email}>")
    print(f"{e.country}, Level {e.level}, {e.worker_type}, {e.status}")
    print()
    if verdict.eligible:
        print(f"Eligible Employee, holding {count(verdict.eligible_options)} Eligible Options.")
    else:
        print("Not an Eligible Employee:")
        for reason in verdict.reasons:
            print(f"- {reason}")
    if verdict.grants:
        print()
        rows = [[g.grant.grant_number, g.grant.grant_date.isoformat(), g.grant.grant_type, g.grant.plan,
                 f"${format_price(g.grant.exercise_price)}", g.grant.expiration_date.isoformat(),
                 "yes" if g.grant.multi_year_grant else "", count(g.grant.outstanding),
                 "Eligible Option" if g.eligible else (g.reason or "")] for g in verdict.grants]
        print(table(["Grant", "Granted", "Type", "Plan", "Price", "Expires", "Multi-Year", "Outstanding",
                     "Eligible?"], rows, right=(4, 7)))
    else:
        print("No grants on record.")
    return 0
