"""`sotp import KIND FILE.csv`: load employees, grants, the Pricing Grid, tax rates, rulings, elections or closes.

The whole file is checked before anything is written: a bad file is refused with
every problem and its line number, and the data already stored stay as they were.
A good file replaces all the stored data of its kind. --dry-run shows what the
import would change (rows added, changed and removed; employees who would become,
or stop being, Eligible Employees) and changes nothing. An import that would
remove more than half of the stored rows of its kind asks first: on a terminal it
asks you to confirm; elsewhere it needs --replace.

The database may be new: it is created (with its folder) once the file has
passed its checks. Readers and other writers are not held up while a large file
is written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot import imports
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args
from bot.formatting import plural

_HELP = {
    "employees": "employees.csv: employee_id, name, email, slack_user_id, country, level, worker_type, status",
    "grants": "grants.csv: employee_id, grant_number, grant_date, grant_type, plan, exercise_price, granted, "
              "exercised, cancelled, expiration_date, multi_year_grant",
    "grid": "grid.csv (the Pricing Grid): exercise_price, expiration_date, multi_year_grant, "
            "average_closing_price, price_per_option",
    "rates": "rates.csv: country, top_marginal_rate (a fraction: 0.47 for 47%), optional basis and source",
    "rulings": "rulings.csv: country, status (pending | favorable | unfavorable) for Germany, Japan, "
               "Netherlands, Singapore",
    "elections": "elections.csv: employee_id, action (participate | withdraw), method (online | fax | mail), "
                 "submitted_at (ISO-8601; no offset = U.S. Pacific Time), optional signed_form_received_at",
    "closes": "closes.csv (the Averaging Period's closing prices so far): date (YYYY-MM-DD), close (dollars); "
              "Available Trading Days of the program calendar only, from the first one with none left out",
}
# What one row of each kind is called in a sentence.
_NOUNS = {"employees": "employee", "grants": "grant", "grid": "Pricing Grid price", "rates": "tax rate",
          "rulings": "tax ruling", "elections": "election record", "closes": "closing price"}
LISTED_IDS = 10


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import", help="load employees, grants, the Pricing Grid, tax rates, rulings, elections or closing prices "
                       "from CSV "
                       "(administrators)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, text in _HELP.items():
        # argparse %-formats help strings: a literal % must be written %%.
        sub = kinds.add_parser(kind, help=text.replace("%", "%%"),
                               description=f"Replace the stored {kind} with the rows of {text}. The whole "
                                           "file is checked first; --dry-run shows what would change; an "
                                           "import that removes more than half of the stored rows asks first.",
                               parents=[common_parent(), json_parent()])
        sub.add_argument("file", metavar="FILE.csv", help="CSV file with a header row (UTF-8, a BOM is fine)")
        sub.add_argument("--dry-run", action="store_true",
                         help="only show what the import would change; write nothing")
        sub.add_argument("--replace", action="store_true",
                         help="confirm an import that removes more than half of the stored rows of its kind")
        sub.set_defaults(func=run)


def _noun(kind: str, n: int) -> str:
    return plural(n, _NOUNS[kind])


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(ids[:LISTED_IDS])
    return shown + (f" and {len(ids) - LISTED_IDS:,} more" if len(ids) > LISTED_IDS else "")


def describe(change: imports.ImportDiff, *, done: bool = False) -> list[str]:
    """The change in a few lines a person reads before confirming it (done: after the import)."""
    kind = change.kind
    lines = [f"{_noun(kind, change.before)} {'were stored before' if done else 'stored now'}, "
             f"{_noun(kind, change.after)} in the file: {change.added:,} added, {change.changed:,} changed, "
             f"{change.removed:,} removed, {change.unchanged:,} unchanged."]
    for ids, now, then in ((change.no_longer_eligible, "would no longer be", "are no longer"),
                           (change.became_eligible, "would become", "became")):
        if ids:
            role = "an Eligible Employee" if len(ids) == 1 else "Eligible Employees"
            verb = (then if len(ids) != 1 else then.replace("are ", "is ")) if done else now
            lines.append(f"{plural(len(ids), 'employee')} {verb} {role}: {_ids(ids)}.")
    if kind in ("employees", "grants") and not (change.no_longer_eligible or change.became_eligible):
        lines.append("No employee's eligibility changed." if done else "No employee's eligibility would change.")
    return lines


def diff_json(change: imports.ImportDiff) -> dict[str, Any]:
    return {"before": change.before, "after": change.after, "added": change.added, "changed": change.changed,
            "removed": change.removed, "unchanged": change.unchanged,
            "became_eligible": list(change.became_eligible),
            "no_longer_eligible": list(change.no_longer_eligible)}


def _confirmed(change: imports.ImportDiff) -> bool:
    """Ask on a terminal; anywhere else (a script, a pipe) the answer is no."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    print("\n".join(describe(change)), file=sys.stderr)
    print(f"This removes {change.removed:,} of the {change.before:,} stored {change.kind}. Replace them? [y/N] ",
          end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()   # the prompt is on stderr: stdout may be a pipe or a file
    return answer.strip().lower() in {"y", "yes"}


def run(args: argparse.Namespace) -> int:
    from bot.db import connect

    settings = settings_from_args(args)
    path = settings.db_path
    db = connect(path, create=False) if path.exists() else None
    try:
        try:
            prepared = imports.prepare(args.kind, args.file, db, settings)
        except imports.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        change = imports.diff(db, prepared)
        if args.dry_run:
            if args.json:
                emit_json({"kind": prepared.kind, "file": prepared.path, "dry_run": True, **diff_json(change),
                           "notes": list(prepared.notes)})
            else:
                print(f"Dry run: nothing was written. Importing {prepared.path} into {path} would change:")
                print("\n".join(describe(change)))
                for note in prepared.notes:
                    print(f"Note: {note}")
            return 0
        if change.removes_most and not args.replace and not (not args.json and _confirmed(change)):
            raise CommandError(
                f"{prepared.path} would remove {change.removed:,} of the {change.before:,} stored {args.kind} "
                f"(more than half); nothing was imported. See the change with --dry-run; if it is meant, "
                "run the import again with --replace")
        if db is None:
            print(f"sotp: {path} did not exist: creating it for the import", file=sys.stderr)
            db = connect(path, create=True)
        result = imports.apply(db, prepared)
    finally:
        if db is not None:
            db.close()
    if args.json:
        emit_json({"kind": result.kind, "file": result.path, "rows": result.rows, "replaced": result.replaced,
                   **diff_json(change), "notes": list(result.notes)})
    else:
        print(f"Imported {_noun(result.kind, result.rows)} from {result.path} into {path}.")
        print("\n".join(describe(change, done=True)))
        for note in result.notes:
            print(f"Note: {note}")
    return 0
