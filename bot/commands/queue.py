"""`sotp queue`: Stock Services staff work the compchng queue from the command line.

Times are shown in U.S. Pacific Time, where Stock Services works (Redmond);
--json gives UTC ISO-8601 for scripts.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from bot.audit import AuditLog
from bot.business_hours import PACIFIC, BusinessHours
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, open_database, settings_from_args
from bot.config import Settings
from bot.formatting import visible
from handlers.hardening import storable
from bot.outbox import OutboxRow
from bot.queue import STATUSES, Queue, QueueError, Ticket, TicketMessage

TEXT_WIDTH = 60  # characters of a ticket's first line shown in a listing
MAX_STAFF_NAME = 80
MAX_REPLY = 20_000   # characters of a staff reply (the same limit the assistant reads of a message)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 time such as 2003-11-10T06:00-08:00, got {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time zone too, e.g. {text}-08:00 or {text}+00:00")
    return moment.astimezone(timezone.utc)


def staff_name(text: str) -> str:
    """--as: 1 to 80 printable characters, as the thread and the requester will see them."""
    name = text.strip()
    if not name:
        raise argparse.ArgumentTypeError("give your name, as the thread shows it (e.g. --as \"Pat Lee\")")
    if len(name) > MAX_STAFF_NAME:
        raise argparse.ArgumentTypeError(f"a name is at most {MAX_STAFF_NAME} characters; this one has {len(name)}")
    if not name.isprintable():
        raise argparse.ArgumentTypeError(f"a name must be printable characters only, got '{visible(name)}'")
    return name


class _ActionParser(argparse.ArgumentParser):
    """Lets the optional reply text follow the options (`reply CC-1 --as Pat "Done."`).

    argparse fills an optional positional with nothing when an option comes between it
    and the positional before it; the text then arrives as an unrecognized argument.
    """

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        namespace, extras = super().parse_known_args(args, namespace)
        if getattr(namespace, "text", "") is None and extras and (extras[0] == "-" or not extras[0].startswith("-")):
            namespace.text, extras = extras[0], extras[1:]
        return namespace, extras


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "queue", help="work the compchng queue (Stock Services staff)",
        description="List, read, claim, answer and resolve compchng tickets. Replies are queued for the "
                    "requester's own channel and address; the Slack and email transports deliver them.")
    commands = parser.add_subparsers(dest="queue_command", metavar="ACTION", required=True,
                                     parser_class=_ActionParser)
    base = [common_parent(), json_parent()]

    p = commands.add_parser("list", parents=base, help="list tickets, oldest first",
                            description="List tickets, oldest first: id, status, category, age, requester, text.")
    p.add_argument("--status", choices=STATUSES, help="only tickets with this status (default: all)")
    p.add_argument("--now", type=_moment, metavar="TIME", help="compute ages as of this ISO-8601 time (default: now)")
    p.set_defaults(func=_list)

    p = commands.add_parser("show", parents=base, help="show a ticket and its whole thread",
                            description="Show a ticket, its thread (Pacific Time) and what was queued for the requester.")
    p.add_argument("id", metavar="ID", help="ticket id, e.g. CC-000042 (or cc-42)")
    p.set_defaults(func=_show)

    p = commands.add_parser("claim", parents=base, help="take a ticket (re-assigns a claimed one)",
                            description="Claim an open ticket, or re-assign a claimed one to yourself.")
    p.add_argument("id", metavar="ID", help="ticket id, e.g. CC-000042")
    p.add_argument("--as", dest="staff", required=True, type=staff_name, metavar="NAME",
                   help="your name, as the thread and the requester see it (1-80 characters)")
    p.set_defaults(func=_claim)

    p = commands.add_parser("reply", parents=base, help="answer the requester (queued for their channel)",
                            description="Add a reply to the thread and queue it for the requester's own channel "
                                        "and address. An open ticket becomes claimed by you. Give the reply in "
                                        "quotes, or with --file (a UTF-8 text file; - reads what you type or "
                                        f"pipe in), at most {MAX_REPLY:,} characters.")
    p.add_argument("id", metavar="ID", help="ticket id, e.g. CC-000042")
    p.add_argument("text", nargs="?", help="the reply, in quotes (or - to read it from standard input)")
    p.add_argument("--file", metavar="PATH", help="read the reply from this file (- for standard input)")
    p.add_argument("--as", dest="staff", required=True, type=staff_name, metavar="NAME",
                   help="your name, as the thread and the requester see it (1-80 characters)")
    p.set_defaults(func=_reply)

    p = commands.add_parser("resolve", parents=base, help="close a ticket",
                            description="Resolve a ticket, with an optional note for the record.")
    p.add_argument("id", metavar="ID", help="ticket id, e.g. CC-000042")
    p.add_argument("--as", dest="staff", required=True, type=staff_name, metavar="NAME",
                   help="your name, as the thread and the requester see it (1-80 characters)")
    p.add_argument("--note", metavar="TEXT", help="how it was resolved (kept with the ticket, not sent)")
    p.set_defaults(func=_resolve)

    p = commands.add_parser("overdue", parents=base, help="tickets waiting too long for a staff reply",
                            description="Tickets not resolved and with no staff reply after more than N business "
                                        "hours (06:00-18:00 Pacific, Monday-Friday, not on U.S. holidays).")
    p.add_argument("--hours", type=float, metavar="N",
                   help="business hours without a staff reply (default: queue.overdue_business_hours, 8)")
    p.add_argument("--now", type=_moment, metavar="TIME", help="judge as of this ISO-8601 time (default: now)")
    p.set_defaults(func=_overdue)


# -- formatting -------------------------------------------------------------------------------------

def pacific(moment: datetime) -> str:
    """'Mon 2003-11-03 09:04 PST': the zone's abbreviation says whether daylight time applies."""
    return moment.astimezone(PACIFIC).strftime("%a %Y-%m-%d %H:%M %Z")


def format_age(age: timedelta) -> str:
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"


def first_line(text: str, width: int = TEXT_WIDTH) -> str:
    """The first non-blank line, cut to width, with control and escape characters shown, not obeyed."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = line if len(line) <= width else line[: width - 1] + "…"
    return visible(line)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def as_json(record: Ticket | TicketMessage | OutboxRow) -> dict[str, Any]:
    return {key: _iso(value) for key, value in dataclasses.asdict(record).items()}


def _ticket_rows(tickets: Sequence[Ticket], now: datetime,
                 extra: Callable[[Ticket], Sequence[str]] = lambda t: ()) -> list[list[str]]:
    return [
        [t.id, t.status, t.category, format_age(now - t.created_at), *extra(t), visible(t.requester),
         first_line(t.text)]
        for t in tickets
    ]


def _who(requester: str, channel: str, address: str) -> str:
    return visible(f"{requester} via {channel}" + ("" if address == requester else f" ({address})"))


# -- commands ---------------------------------------------------------------------------------------

def _queue(args: argparse.Namespace, *, read_only: bool = False) -> tuple[Queue, Settings]:
    settings = settings_from_args(args)
    db = open_database(args, settings, read_only=read_only)
    return Queue(db, AuditLog(db)), settings


def _now(args: argparse.Namespace) -> datetime:
    return getattr(args, "now", None) or datetime.now(timezone.utc)


def _list(args: argparse.Namespace) -> int:
    queue, _ = _queue(args, read_only=True)
    try:
        tickets = queue.list(args.status)
    except QueueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"tickets": [as_json(t) for t in tickets]})
    elif not tickets:
        print(f"no {args.status} tickets" if args.status else "no tickets")
    else:
        header = ["ID", "STATUS", "CATEGORY", "AGE", "REQUESTER", "TEXT"]
        print(table(header, _ticket_rows(tickets, _now(args))))
    return 0


def _show(args: argparse.Namespace) -> int:
    queue, _ = _queue(args, read_only=True)
    try:
        ticket = queue.get(args.id)
        thread, outbox = queue.messages(ticket.id), queue.outbox(ticket.id)
    except QueueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"ticket": as_json(ticket), "messages": [as_json(m) for m in thread],
                   "outbox": [as_json(o) for o in outbox]})
        return 0
    lines = [
        f"{ticket.id}  {ticket.status}  {ticket.category}",
        f"Requester:   {_who(ticket.requester, ticket.channel, ticket.requester_address)}",
        f"Assignee:    {visible(ticket.assignee or '-')}",
        f"Opened:      {pacific(ticket.created_at)}",
        f"Updated:     {pacific(ticket.updated_at)}",
        f"Staff reply: {pacific(ticket.last_staff_reply_at) if ticket.last_staff_reply_at else 'none yet'}",
    ]
    if ticket.resolved_at is not None:
        lines.append(f"Resolved:    {pacific(ticket.resolved_at)}")
        if ticket.resolution_note:
            lines.append(f"Note:        {visible(ticket.resolution_note)}")
    lines += ["", "Thread:"]
    for message in thread:
        lines.append(f"  {pacific(message.created_at)}  {message.author_kind} {visible(message.author)}")
        lines += [f"    {line}" for line in visible(message.text).splitlines()]
    if outbox:
        lines += ["", "Queued for the requester:"]
        for item in outbox:
            state = {"sent": f"delivered {pacific(item.sent_at)}" if item.sent_at else "delivered",
                     "pending": "not delivered yet", "failed": f"NOT DELIVERED: {visible(item.last_error or '')}",
                     "cancelled": "cancelled"}[item.status]
            lines.append(f"  #{item.id}  {pacific(item.created_at)}  to {visible(item.recipient)} via {item.channel}: "
                         f"{state}")
    print("\n".join(lines))
    return 0


def _claim(args: argparse.Namespace) -> int:
    queue, _ = _queue(args)
    try:
        claim = queue.claim(args.id, args.staff, datetime.now(timezone.utc))
    except QueueError as exc:
        raise CommandError(str(exc)) from exc
    ticket = claim.ticket
    if args.json:
        emit_json({"ticket": as_json(ticket), "previous_assignee": claim.previous_assignee})
    elif claim.reassigned:
        print(f"{ticket.id} re-assigned from {claim.previous_assignee} to {ticket.assignee}")
    else:
        print(f"{ticket.id} claimed by {ticket.assignee}")
    return 0


def _reply_text(args: argparse.Namespace) -> str:
    """The reply from the argument, a file or standard input: UTF-8, not empty, at most MAX_REPLY characters."""
    source = args.file if args.file is not None else ("-" if args.text == "-" else None)
    if source is not None and args.text not in (None, "-"):
        raise CommandError("give the reply either in quotes or with --file, not both")
    if source is None:
        if not args.text:
            raise CommandError('give the reply in quotes, or with --file PATH (--file - reads standard input)')
        text, where = args.text, "the reply"
    else:
        where = "standard input" if source == "-" else source
        try:
            data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise CommandError(f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                               "nothing was sent") from None
    text = storable(text).strip("\n")
    if not text.strip():
        raise CommandError(f"{where} is empty: nothing was sent")
    if len(text) > MAX_REPLY:
        raise CommandError(f"{where} has {len(text):,} characters; a reply is at most {MAX_REPLY:,}: "
                           "nothing was sent")
    return text


def _reply(args: argparse.Namespace) -> int:
    text = _reply_text(args)
    queue, _ = _queue(args)
    try:
        item = queue.reply(args.id, args.staff, text, datetime.now(timezone.utc))
        ticket = queue.get(args.id)
    except QueueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"ticket": as_json(ticket), "outbox": as_json(item)})
    else:
        print(f"{ticket.id}: reply queued (outbox #{item.id}) for "
              f"{_who(ticket.requester, item.channel, item.recipient)}")
        print(f"{ticket.id} is {ticket.status} by {ticket.assignee}")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    queue, _ = _queue(args)
    try:
        ticket = queue.resolve(args.id, args.staff, datetime.now(timezone.utc), note=args.note)
    except QueueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"ticket": as_json(ticket)})
    else:
        print(f"{ticket.id} resolved by {args.staff.strip()}"
              + (f": {ticket.resolution_note}" if ticket.resolution_note else ""))
    return 0


def _overdue(args: argparse.Namespace) -> int:
    queue, settings = _queue(args)
    limit = settings.overdue_business_hours if args.hours is None else args.hours
    if limit < 0:
        raise CommandError(f"--hours must not be negative, got {args.hours:g}")
    hours, now = BusinessHours.from_settings(settings), _now(args)
    tickets = queue.overdue(now, limit, hours)
    waited = {t.id: hours.hours_between(t.created_at, now) for t in tickets}
    if args.json:
        emit_json({"now": now.isoformat(), "business_hours": limit,
                   "tickets": [{**as_json(t), "business_hours_waiting": round(waited[t.id], 2)} for t in tickets]})
    elif not tickets:
        print(f"no tickets over {limit:g} business hours without a staff reply")
    else:
        header = ["ID", "STATUS", "CATEGORY", "AGE", "BUSINESS HOURS", "REQUESTER", "TEXT"]
        print(table(header, _ticket_rows(tickets, now, lambda t: [f"{waited[t.id]:.1f}"])))
    return 0
