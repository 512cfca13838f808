"""`sotp audit`: export the audit trail of program communications for review.

The export streams from the database, so a large trail does not have to fit in
memory; progress goes to stderr so that stdout stays clean data.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.audit import AuditLog
from bot.commands._common import CommandError, _date, common_parent, settings_from_args
from bot.store import open_db


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit", help="the audit trail of every message in and out",
        description="Every inbound message and every outbound reply, reminder and confirmation, append-only.")
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = commands.add_parser(
        "export", parents=[common_parent()], help="export the trail as CSV or JSON lines",
        description="Export audit events from a date on (inclusive, from 00:00 UTC), oldest first. CSV has a "
                    "header row and space-separated section ids; JSON lines carry sections as a list.")
    p.add_argument("--since", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="first day to export (00:00 UTC of that day)")
    p.add_argument("--format", dest="fmt", choices=("csv", "jsonl"), required=True, help="output format")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (replaced only once the export is complete); default: stdout")
    p.set_defaults(func=_export)


def _progress(count: int) -> None:
    print(f"sotp audit export: {count:,} events so far", file=sys.stderr, flush=True)


def _write(log: AuditLog, args: argparse.Namespace, out: TextIO) -> int:
    return log.export(args.since, args.fmt, out, progress=_progress)


def _export(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    log = AuditLog(open_db(settings.db_path))
    if args.output is None:
        count = _write(log, args, sys.stdout)
        sys.stdout.flush()
        destination = "stdout"
    else:
        target = Path(args.output)
        partial = target.with_name(target.name + ".partial")
        try:
            # newline="" so the csv module's CRLF row ends are written as they are.
            with partial.open("w", encoding="utf-8", newline="") as out:
                count = _write(log, args, out)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from exc
        destination = str(target)
    events = "event" if count == 1 else "events"
    print(f"sotp audit export: {count:,} {events} since {args.since.isoformat()} (UTC) to {destination}",
          file=sys.stderr)
    return 0
