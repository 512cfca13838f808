"""`sotp remind`: run the reminder planner once: reminders due, confirmations owed, results emails.

The same pass `sotp serve` runs every minute, at the moment --as-of names. With
--dry-run it shows who would get what (counts per kind and channel) and writes
nothing; without it, it enqueues the messages in the outbox, each exactly once
(a message enqueued before is never enqueued again). --employee ID shows that
employee's messages in full; --list names every message planned.
"""

from __future__ import annotations

import argparse
import sys

from bot.commands._clock import add_as_of, as_of
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import database, table
from bot.formatting import deadline_sentence
from bot.reminders.run import Planner, Report
from bot.reminders.settings import ReminderSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "remind", help="plan deadline reminders and confirmation emails once (--dry-run: only show them)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent()])
    add_as_of(parser, "plan")
    parser.add_argument("--dry-run", action="store_true", help="show who would get what; enqueue nothing")
    parser.add_argument("--employee", metavar="ID", help="also show this employee's messages in full")
    parser.add_argument("--list", action="store_true", help="list every message planned (employee, kind, channel)")
    parser.add_argument("--force", action="store_true",
                        help="plan every part again even if nothing changed since the last pass (still never twice)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not ReminderSettings.from_settings(settings).enabled:
        raise CommandError("reminders are turned off in this deployment ([reminders] enabled = false)")
    now = as_of(args)
    db = database(args, settings)
    try:
        if args.employee and db.conn.execute("SELECT 1 FROM employees WHERE employee_id = ?",
                                             (args.employee,)).fetchone() is None:
            raise CommandError(f"no employee {args.employee!r} in the database")
        report = Planner(db, settings, progress=None if args.json else _stderr).run(
            now, dry_run=args.dry_run, employee=args.employee, listing=args.list, force=args.force)
    finally:
        db.close()
    if args.json:
        out = report.as_json()
        if args.employee:
            out["employee"] = args.employee
            out["messages"] = [{"kind": m.kind, "channel": m.channel, "subject": m.subject, "text": m.text}
                               for m in report.messages]
        if args.list:
            out["planned"] = [{"employee_id": p.employee_id, "kind": p.kind, "channel": p.channel,
                               "recipient": p.recipient, "key": p.key} for p in report.planned]
        emit_json(out)
        return 0
    print(as_text(report, args.employee))
    return 0


def _stderr(message: str) -> None:
    print(f"sotp: {message}", file=sys.stderr, flush=True)


def as_text(report: Report, employee: str | None) -> str:
    version = report.version
    mode = "dry run: nothing enqueued" if report.dry_run else f"{report.enqueued:,} messages enqueued"
    lines = [f"Planner pass as of {report.as_of.isoformat()} ({mode})",
             f"Election Deadline: {deadline_sentence(version.deadline)} (deadline version {version.version}"
             + (", recorded by this pass" if report.version_added and not report.dry_run else
                ", would be recorded by this pass" if report.version_added else "") + ")"]
    if report.due:
        lines.append(f"Reminders due: {', '.join(report.due)} (only the latest one not yet sent goes out)")
    else:
        lines.append("Reminders due: none" + (" (the Election Deadline has passed)"
                                              if report.as_of >= version.deadline_at else ""))
    if report.next_due is not None:
        lines.append(f"Next reminder: {report.next_due.kind} at {report.next_due.due_at.isoformat()}")
    if report.counts:
        channels = sorted({c for by in report.counts.values() for c in by})
        rows = [[kind, *(f"{by.get(c, 0):,}" for c in channels)] for kind, by in report.counts.items()]
        lines += ["", table(["kind", *channels], rows, right=tuple(range(1, len(channels) + 1)))]
    else:
        lines += ["", "Nothing to send" + (f" (unchanged since the last pass: {', '.join(report.skipped)})"
                                           if report.skipped else "") + "."]
    if report.superseded:
        lines.append("Superseded (recorded, not sent): "
                     + ", ".join(f"{kind} {n:,}" for kind, n in report.superseded.items()))
    for error in report.errors:
        lines.append(f"Not planned: {error}")
    for p in report.planned:
        lines.append(f"{p.employee_id}  {p.kind:<12}  {p.channel:<5}  {p.recipient}")
    if employee is not None:
        if not report.messages:
            lines += ["", f"No message for {employee} in this pass."]
        for m in report.messages:
            lines += ["", f"--- {m.kind} by {m.channel} to {employee}: {m.subject}", m.text]
    return "\n".join(lines)
