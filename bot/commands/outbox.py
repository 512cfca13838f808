"""`sotp outbox`: what the assistant has sent, is about to send, or could not send (administrators).

Every outgoing message (chat replies, emails, staff replies, ticket notices,
reminders, confirmations) is a row of the outbox; the Slack and email workers
deliver them. A row that could not be delivered stays `failed` with its error
until an administrator retries it. Times are U.S. Pacific Time; --json gives UTC.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, open_database, settings_from_args
from bot.commands.queue import as_json, first_line, pacific, table
from bot.formatting import visible
from bot.outbox import KINDS, STATUSES, Outbox, OutboxError, OutboxRow
from handlers.messages import CHANNELS

DEFAULT_LIMIT = 200
TEXT_WIDTH = 50


def _row_id(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        raise argparse.ArgumentTypeError(f"expected an outbox row number such as 42 (or #42), got {text!r}")
    return int(cleaned)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "outbox", help="see and retry the messages waiting to be sent (administrators)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    base = [common_parent(), json_parent()]

    p = commands.add_parser("list", parents=base, help="list outbox rows, oldest first",
                            description="List outbox rows, oldest first: number, status, channel, kind, "
                                        "recipient, ticket, attempts, when it was written, and its first line. "
                                        "The last line counts what is pending and what failed.")
    p.add_argument("--status", choices=STATUSES, help="only rows with this status (default: all)")
    p.add_argument("--channel", choices=CHANNELS, help="only rows for this channel")
    p.add_argument("--kind", choices=KINDS, help="only rows of this kind")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                   help=f"show at most N rows (default {DEFAULT_LIMIT}; 0 for all)")
    p.set_defaults(func=_list)

    p = commands.add_parser("show", parents=base, help="show one row: what it says, to whom, and its last error",
                            description="Show one outbox row in full: recipient, status, attempts, claim, the "
                                        "last delivery error and the message itself.")
    p.add_argument("id", type=_row_id, metavar="N", help="the row's number, as `sotp outbox list` shows it")
    p.set_defaults(func=_show)

    p = commands.add_parser("retry", parents=base, help="send a failed (or cancelled) row again",
                            description="Make a failed or cancelled row pending again, due now, with its attempts "
                                        "reset; the channel's worker sends it on its next round. A row already "
                                        "sent is never sent twice.")
    p.add_argument("id", type=_row_id, metavar="N", help="the row's number, as `sotp outbox list` shows it")
    p.set_defaults(func=_retry)


def _outbox(args: argparse.Namespace, *, read_only: bool = False) -> Outbox:
    return Outbox(open_database(args, settings_from_args(args), read_only=read_only))


def summary(row: OutboxRow) -> str:
    """The message's first words: a staff reply's text, or the first part of the first reply carried."""
    payload = row.payload
    if isinstance(payload.get("text"), str):
        return payload["text"]
    replies = payload.get("replies")
    if isinstance(replies, list) and replies and isinstance(replies[0], dict):
        parts = [p for p in replies[0].get("parts", ()) if isinstance(p, str) and p.strip()]
        if parts:
            return parts[0]
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _state(row: OutboxRow) -> str:
    if row.status == "sent":
        return f"sent {pacific(row.sent_at)}" if row.sent_at else "sent"
    if row.status == "pending" and row.claimed_until is not None:
        return "being sent"
    return row.status


def _list(args: argparse.Namespace) -> int:
    outbox = _outbox(args, read_only=True)
    if args.limit < 0:
        raise CommandError(f"--limit must not be negative, got {args.limit}")
    try:
        rows = list(outbox.rows(status=args.status, channel=args.channel, kind=args.kind,
                                limit=args.limit or None))
    except OutboxError as exc:
        raise CommandError(str(exc)) from exc
    depth = outbox.depth()
    if args.json:
        emit_json({"rows": [as_json(r) for r in rows],
                   "depth": {"pending": depth.pending, "failed": depth.failed,
                             "oldest_pending": depth.oldest_pending.isoformat() if depth.oldest_pending else None,
                             "pending_by_channel": depth.by_channel}})
        return 0
    if rows:
        header = ["#", "STATUS", "CHANNEL", "KIND", "RECIPIENT", "TICKET", "TRIES", "WRITTEN", "TEXT"]
        print(table(header, [[str(r.id), r.status, r.channel, r.kind, visible(r.recipient), r.ticket or "-",
                              str(r.attempts), pacific(r.created_at), visible(first_line(summary(r), TEXT_WIDTH))]
                             for r in rows]))
        if args.limit and len(rows) == args.limit:
            print(f"(the first {args.limit} rows; --limit 0 shows all)")
    else:
        print("no outbox rows" + ("" if not (args.status or args.channel or args.kind) else " match"))
    oldest = f" (oldest written {pacific(depth.oldest_pending)})" if depth.oldest_pending else ""
    print(f"{depth.pending} pending{oldest}, {depth.failed} failed")
    return 0


def _show(args: argparse.Namespace) -> int:
    outbox = _outbox(args, read_only=True)
    try:
        row = outbox.get(args.id)
    except OutboxError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"row": as_json(row)})
        return 0
    lines = [
        f"#{row.id}  {_state(row)}  {row.kind} via {row.channel}",
        f"Recipient:   {visible(row.recipient)}" + (f" (employee {row.employee_id})" if row.employee_id else ""),
        f"Ticket:      {row.ticket or '-'}",
        f"Key:         {visible(row.key)}",
        f"Written:     {pacific(row.created_at)}",
        f"Due:         {pacific(row.not_before)}",
        f"Attempts:    {row.attempts}",
    ]
    if row.claimed_until is not None:
        lines.append(f"Claimed:     until {pacific(row.claimed_until)}")
    if row.sent_at is not None:
        lines.append(f"Sent:        {pacific(row.sent_at)}" + (f" ({visible(row.provider_ref)})" if row.provider_ref else ""))
    if row.last_error:
        lines.append(f"Last error:  {visible(row.last_error)}")
    lines += ["", "Message:"]
    lines += [f"  {line}" for line in visible(_message_text(row)).splitlines()]
    print("\n".join(lines))
    return 0


def _message_text(row: OutboxRow) -> str:
    """The words the recipient gets: every part of every reply carried, or the payload as JSON."""
    payload = row.payload
    replies = payload.get("replies")
    if isinstance(replies, list):
        chunks = ["\n\n".join(p for p in r.get("parts", ()) if isinstance(p, str)) for r in replies
                  if isinstance(r, dict)]
        return "\n\n".join(chunks)
    if isinstance(payload.get("text"), str):
        staff = payload.get("staff")
        return payload["text"] + (f"\n(from {staff})" if isinstance(staff, str) else "")
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)


def _retry(args: argparse.Namespace) -> int:
    outbox = _outbox(args)
    try:
        before = outbox.get(args.id)
        row = outbox.requeue(args.id, datetime.now(timezone.utc))
    except OutboxError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"row": as_json(row), "previous_status": before.status})
    elif before.status == "pending":
        print(f"#{row.id} is already pending: its channel's worker will send it")
    else:
        print(f"#{row.id} ({row.kind} to {visible(row.recipient)} via {row.channel}) was {before.status}; "
              "it is pending again and will be sent on the worker's next round")
    return 0
