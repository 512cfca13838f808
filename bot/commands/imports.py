"""`sotp import KIND FILE.csv`: load employees, grants, the Pricing Grid, tax rates, rulings or elections.

A file is checked whole before anything is written: a bad file is refused with
every problem and its line number and the data already stored stay as they were;
a valid file replaces the previous data of its kind in one transaction
(bot.imports). Without --db the default database is used; if it does not exist
yet it is created empty (not as the demo population), since the imported data
are meant to replace it.
"""

from __future__ import annotations

import argparse
import sys

from bot import imports
from bot.commands._common import (
    CommandError,
    common_parent,
    emit_json,
    json_parent,
    settings_from_args,
)
from bot.figures import open_database

_HELP = {
    "employees": "employees.csv: employee_id, name, email, slack_user_id, country, level, worker_type, status",
    "grants": "grants.csv: employee_id, grant_number, grant_date, grant_type, plan, exercise_price, granted, "
              "exercised, cancelled, expiration_date, multi_year_grant",
    "grid": "grid.csv (the Pricing Grid): exercise_price, expiration_date, multi_year_grant, "
            "average_closing_price, price_per_option",
    "rates": "rates.csv: country, top_marginal_rate (a fraction, 0.47 for 47%), optional basis and source",
    "rulings": "rulings.csv: country, status (pending | favorable | unfavorable) for Germany, Japan, "
               "Netherlands, Singapore",
    "elections": "elections.csv: employee_id, action (participate | withdraw), method (online | fax | mail), "
                 "submitted_at (ISO-8601; no offset = U.S. Pacific Time), optional signed_form_received_at",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import", help="import employees, grants, the Pricing Grid, tax rates, rulings or elections from CSV",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, text in _HELP.items():
        sub = kinds.add_parser(kind, help=text, description=f"Replace the stored {kind} with {text}.",
                               parents=[common_parent(), json_parent()])
        sub.add_argument("file", metavar="FILE.csv", help="CSV file with a header row (UTF-8, a BOM is fine)")
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not settings.db_path.exists():
        print(f"sotp: {settings.db_path} did not exist: creating it empty for the import", file=sys.stderr)
    db = open_database(settings, explicit=args.db is not None, build_demo=False)
    try:
        result = imports.import_file(db, args.kind, args.file)
    except imports.ImportRefused as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.close()
    if args.json:
        emit_json({"kind": result.kind, "file": result.path, "rows": result.rows,
                   "replaced": result.replaced, "notes": list(result.notes)})
    else:
        print(f"Imported {result.rows:,} {result.kind} from {result.path} into {settings.db_path} "
              f"(replacing {result.replaced:,}).")
        for note in result.notes:
            print(f"Note: {note}")
    return 0
