"""`sotp ask`: answer one question, or a JSONL batch, through the conversation core.

The JSON shape is a contract that outside checks use:
{"id", "intent", "sections": [best first], "text", "ticket": null or id, "confidence": 0..1}.
Each question is handled as a message on the "cli" channel: it is audited, keeps
conversation state for follow-ups ("and at 30?") across invocations, and shows
replies that Microsoft Stock Services staff queued for the asker. The lines of a
batch are answered independently of each other.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

from bot.commands import _terminal
from bot.commands._common import (
    CommandError,
    check_writable,
    common_parent,
    emit_json,
    json_parent,
    open_database,
    settings_from_args,
)

if TYPE_CHECKING:  # the corpus loads only when a question is asked
    from handlers.core import Conversation
    from handlers.messages import Response

ANONYMOUS = "cli:local"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask", parents=[common_parent(), json_parent()],
        help="answer one question (or a JSONL batch) as the assistant would",
        description="Ask the assistant one question, as an employee would in Slack or by email: the "
                    "answer quotes the Notice and names its section, and with --employee it gives that "
                    "employee's own figures. The question and the answer are recorded in the audit trail. "
                    'With --batch, read JSON lines {"id", "text", optional "employee_id"} and write one JSON '
                    'answer per line, {"id", "intent", "sections", "text", "ticket", "confidence"}; a line '
                    "that cannot be read is reported by its number and the others are still answered.")
    parser.add_argument("text", nargs="?", help="the question, in single quotes (a $ in double quotes is lost "
                                                "to the shell); omit with --batch")
    parser.add_argument("--employee", metavar="ID", help="ask as this employee (personal figures, their country)")
    parser.add_argument("--batch", metavar="FILE", help="JSON lines file of questions ('-' for stdin)")
    parser.set_defaults(func=run)


def as_json(response: "Response", question_id: Any) -> dict[str, Any]:
    primary = response.primary
    tickets = [r.ticket for r in response.replies if r.ticket]
    return {
        "id": question_id,
        "intent": primary.intent,
        "sections": list(primary.sections),
        "text": "\n\n".join(r.text for r in response.replies),
        "ticket": primary.ticket or (tickets[-1] if tickets else None),
        "confidence": round(float(primary.confidence), 3),
    }


def _ask(conversation: "Conversation", text: str, employee: str | None, *, remember: bool = True) -> "Response":
    from handlers.messages import Incoming

    address = f"cli:{employee}" if employee else ANONYMOUS
    return conversation.handle(Incoming("cli", address, text, employee_id=employee), remember=remember)


def _conversation(args: argparse.Namespace) -> "Conversation":
    from handlers.core import Conversation

    settings = settings_from_args(args)
    db = open_database(args, settings)
    check_writable(db)   # every question is recorded: a read-only or busy database stops here
    return Conversation(db, settings)


def run(args: argparse.Namespace) -> int:
    if args.batch and args.text:
        raise CommandError("give either a question or --batch FILE, not both")
    if not args.batch and (not args.text or not args.text.strip()):
        raise CommandError('nothing to answer: give the question in quotes, e.g. sotp ask "when is the deadline?"')
    conversation = _conversation(args)
    employee = _employee(conversation, args.employee)
    if args.batch:
        return _run_batch(args, conversation, employee)
    response = _ask(conversation, args.text, employee)
    if response.error is not None:
        raise CommandError(f"not answered: {response.error}")
    if args.json:
        emit_json(as_json(response, None))
    else:
        print("\n\n".join(_terminal.plain(text) for text in with_charts(conversation, response)))
    return 0


def with_charts(conversation: "Conversation", response: "Response") -> list[str]:
    """The replies' texts, an estimate followed by its chart of the Total Payment (the terminal's version)."""
    from bot.charts.text import for_reply

    out: list[str] = []
    for reply in response.replies:
        out.append(reply.text)
        if reply.chart and reply.chart == response.employee_id:
            chart = for_reply(conversation.db, conversation.settings, reply.chart)
            if chart:
                out.append(chart)
    return out


def _employee(conversation: "Conversation", typed: str | None) -> str | None:
    """The stored id of --employee (e000096 is E000096), or a clear error with a suggestion."""
    from bot.figures import UnknownEmployee, employee_id

    if not typed:
        return None
    try:
        return employee_id(conversation.db, typed)
    except UnknownEmployee as exc:
        if exc.no_employees:
            raise CommandError(str(exc)) from exc
        maybe = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise CommandError(f"no employee {exc.key} in {conversation.settings.db_path}{maybe}: "
                           "check the id, or import employees first") from exc


def _batch_lines(stream: BinaryIO) -> Iterator[tuple[int, str | UnicodeDecodeError]]:
    """Each non-blank line with its number, as text, or the reason it is not UTF-8 text."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield number, exc
            continue
        if line.strip():
            yield number, line


def _run_batch(args: argparse.Namespace, conversation: "Conversation", default_employee: str | None) -> int:
    """Every readable line is answered; every unreadable one is reported by its number, and the rest go on."""
    from bot.figures import UnknownEmployee, employee_id

    try:
        handle = sys.stdin.buffer if args.batch == "-" else open(args.batch, "rb")
    except OSError as exc:
        raise CommandError(f"cannot read {args.batch}: {exc.strerror}") from exc
    failures = 0
    with handle:
        for number, line in _batch_lines(handle):
            item: Any = None
            try:
                if isinstance(line, UnicodeDecodeError):
                    raise ValueError(f"not UTF-8 text (byte 0x{line.object[line.start]:02x} at position "
                                     f"{line.start + 1}); the line was not read")
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
                employee = item.get("employee_id") or default_employee
                if employee is not None and not isinstance(employee, str):
                    raise ValueError('"employee_id" must be a string')
                if employee:
                    try:
                        employee = employee_id(conversation.db, employee)
                    except UnknownEmployee as exc:
                        raise ValueError(str(exc)) from exc
            except ValueError as exc:
                failures += 1
                print(f"sotp ask: line {number}: {exc}", file=sys.stderr)
                emit_json({"id": item.get("id") if isinstance(item, dict) else None,
                           "line": number, "error": f"line {number}: {exc}"})
                continue
            # Lines of a batch are separate questions: none is read as a follow-up of the one before.
            response = _ask(conversation, item["text"], employee, remember=False)
            if response.error is not None:
                failures += 1
                print(f"sotp ask: line {number}: not answered: {response.error}", file=sys.stderr)
                emit_json({"id": item.get("id"), "line": number, "error": f"line {number}: not answered: "
                                                                          f"{response.error}"})
                continue
            out = as_json(response, item.get("id"))
            if args.json:
                emit_json(out)
            else:
                print(f"[{item.get('id')}] {_terminal.plain(out['text'])}\n")
    return 2 if failures else 0
