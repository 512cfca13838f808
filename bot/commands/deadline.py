"""`sotp deadline show|extend`: the Election Deadline the reminders are planned against, and its extensions.

Each extension is a new deadline version: the reminders still ahead are planned
against the new deadline, and every Eligible Employee without a completed
election gets one extension announcement (the next `sotp remind` or the running
`sotp serve` sends them). The Notice allows an extension only to a later date, never
beyond November 28, 2003 (Section 7), announced no later than 9:00 a.m. New York
City/Eastern Time on the next business day after the deadline it extends (Q21).
Setting program.election_deadline in the configuration file to a later date
does the same at the planner's next pass.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands._clock import add_as_of, as_of
from bot.commands._common import CommandError, _date, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import database
from bot.formatting import deadline_sentence
from bot.reminders import deadlines
from bot.reminders.plan import DeadlineVersion, ExtensionRefused
from bot.reminders.store import ReminderStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("deadline", help="show or extend the Election Deadline (deadline versions)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="the current Election Deadline and every version before it",
                              parents=[common_parent(), json_parent()])
    add_as_of(show, "show the deadline")
    show.set_defaults(func=_show)
    extend = actions.add_parser("extend", help="record an extension of the Election Deadline",
                                description="Record an extension of the Election Deadline (a new deadline version).",
                                parents=[common_parent(), json_parent()])
    extend.add_argument("--to", type=_date, required=True, metavar="YYYY-MM-DD",
                        help="the new deadline date (midnight New York City/Eastern Time at its end)")
    extend.add_argument("--note", metavar="TEXT", help="why, for the record (e.g. the announcement's reference)")
    add_as_of(extend, "record the extension")
    extend.set_defaults(func=_extend)


def version_json(v: DeadlineVersion) -> dict[str, Any]:
    return {"version": v.version, "deadline": v.deadline.isoformat(), "deadline_at": v.deadline_at.isoformat(),
            "effective_from": v.effective_from.isoformat(), "source": v.source,
            "recorded_at": v.recorded_at.isoformat(), "previous": v.previous.isoformat() if v.previous else None,
            "note": v.note}


def _line(v: DeadlineVersion) -> str:
    extended = f", extended from {v.previous.isoformat()}" if v.previous else ""
    note = f" ({v.note})" if v.note else ""
    return (f"  version {v.version}: {deadline_sentence(v.deadline)}{extended}; source {v.source}, "
            f"effective from {v.effective_from.isoformat()}{note}")


def _show(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    db = database(args, settings)
    try:
        current, pending = deadlines.resolve(db, settings, as_of(args), record=False)
        versions = ReminderStore(db).versions()
    finally:
        db.close()
    if pending:
        versions = [v for v in versions if v.version < current.version] + [current]
    if args.json:
        emit_json({"current": version_json(current), "versions": [version_json(v) for v in versions],
                   "recorded": not pending})
        return 0
    print(f"Election Deadline: {deadline_sentence(current.deadline)} (version {current.version})")
    if pending:
        print("(not recorded yet: the planner's next pass records it from the configuration)")
    print("Versions:")
    print("\n".join(_line(v) for v in versions))
    return 0


def _extend(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    db = database(args, settings)
    try:
        version = deadlines.extend(db, settings, args.to, as_of(args), note=args.note)
    except ExtensionRefused as exc:
        raise CommandError(f"extension refused: {exc}") from exc
    finally:
        db.close()
    if args.json:
        emit_json(version_json(version))
        return 0
    print(f"Election Deadline extended to {deadline_sentence(version.deadline)} (deadline version "
          f"{version.version}). The next planner pass sends the extension announcement to every Eligible "
          "Employee without a completed election and plans the remaining reminders against the new deadline.")
    if settings.election_deadline < version.deadline:
        print(f"Answers, figures and the App Home now state the new deadline. Set program.election_deadline "
              f"in the configuration too (it still says {settings.election_deadline}), so that commands run "
              "with --config elsewhere agree.")
    return 0
