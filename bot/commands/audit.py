"""`sotp audit`: the audit trail of every program communication, in and out (administrators, reviewers).

Every message an employee sent and every reply, staff reply, reminder and
confirmation the assistant sent is recorded, and no record can be changed or
removed. Each record carries a hash chained to the record before it, so
`sotp audit verify` can show that the trail is complete and unchanged, or name
the first record that is not. `sotp audit export` writes the trail for review.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.audit import AuditLog
from bot.commands._common import CommandError, _date, common_parent, emit_json, json_parent, open_database, settings_from_args

PRIVATE_FILE_MODE = 0o600   # exports hold employees' messages and figures: readable by their owner only


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit", help="the audit trail of every message in and out: verify it, export it",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = commands.add_parser(
        "export", parents=[common_parent()], help="export the trail as CSV or JSON lines",
        description="Export the audit trail, oldest first: all of it, or from a day on with --since (from "
                    "00:00 UTC of that day). CSV, for spreadsheets, has a header row and space-separated "
                    "section ids; a cell that a spreadsheet would run as a formula starts with an apostrophe, "
                    "and control characters an employee typed are shown as \\x1b and the like. JSON lines "
                    "keep the text exactly as recorded. A file written with --output is readable by you only.")
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                   help="first day to export, from 00:00 UTC (default: the whole trail)")
    p.add_argument("--format", dest="fmt", choices=("csv", "jsonl"), default="csv",
                   help="csv (the default) or jsonl")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE, which appears only once the export is complete (default: the screen "
                        "or a pipe)")
    p.set_defaults(func=_export)

    p = commands.add_parser(
        "verify", parents=[common_parent(), json_parent()],
        help="check that no record was changed, removed or inserted out of order",
        description="Walk the whole trail and check each record's hash against its contents and the record "
                    "before it. Exit status 0 and 'audit trail intact' when every record is as it was "
                    "written; exit status 1 and the first record that was changed, removed or inserted out "
                    "of order otherwise.")
    p.set_defaults(func=_verify)


def _progress(count: int) -> None:
    print(f"sotp audit: {count:,} records so far", file=sys.stderr, flush=True)


def _write(log: AuditLog, args: argparse.Namespace, out: TextIO) -> int:
    return log.export(args.since, args.fmt, out, progress=_progress)


def private_file(path: Path, *, newline: str | None = None) -> TextIO:
    """A new file, readable and writable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)   # an existing file keeps its mode through O_CREAT
    return open(fd, "w", encoding="utf-8", newline=newline)


def _export(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    log = AuditLog(open_database(args, settings, read_only=True))
    if args.output is None:
        count = _write(log, args, sys.stdout)
        sys.stdout.flush()
        destination = "stdout"
    else:
        target = Path(args.output)
        partial = target.with_name(target.name + ".partial")
        try:
            # newline="" so the csv module's CRLF row ends are written as they are.
            with private_file(partial, newline="") as out:
                count = _write(log, args, out)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from exc
        destination = str(target)
    events = "event" if count == 1 else "events"
    span = f" since {args.since.isoformat()} (UTC)" if args.since else ""
    print(f"sotp audit export: {count:,} {events}{span} to {destination}", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    log = AuditLog(open_database(args, settings, read_only=True))
    result = log.verify(progress=_progress if not args.json else None)
    if args.json:
        emit_json({"intact": result.ok, "records": result.records, "problem": result.problem,
                   "record_id": result.record_id})
    elif result.ok:
        print(f"audit trail intact: {result.records:,} record{'' if result.records == 1 else 's'}")
    else:
        print(f"audit trail NOT intact: {result.problem} ({result.records:,} records checked before it)")
    return 0 if result.ok else 1
