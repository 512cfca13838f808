"""`sotp ask`: answer one question, or a JSONL batch, through the conversation core.

The JSON shape is a contract that outside checks use:
{"id", "intent", "sections": [best first], "text", "ticket": null or id, "confidence": 0..1}.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Iterator, TextIO

from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args

if TYPE_CHECKING:  # the corpus loads only when a question is asked
    from handlers.assistant import Assistant
    from handlers.reply import Reply


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask", parents=[common_parent(), json_parent()],
        help="answer one question (or a JSONL batch) as the assistant would",
        description="Answer a question from the Notice. With --batch, read JSON lines "
                    '{"id", "text", optional "employee_id"} and write one JSON answer per line.')
    parser.add_argument("text", nargs="?", help="the question (quote it); omit with --batch")
    parser.add_argument("--employee", metavar="ID", help="answer as this employee (personal figures, their country)")
    parser.add_argument("--batch", metavar="FILE", help="JSON lines file of questions ('-' for stdin)")
    parser.set_defaults(func=run)


def as_json(reply: "Reply", question_id: Any) -> dict[str, Any]:
    return {
        "id": question_id,
        "intent": reply.intent,
        "sections": list(reply.sections),
        "text": reply.text,
        "ticket": reply.ticket,
        "confidence": round(float(reply.confidence), 3),
    }


def _batch_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def run(args: argparse.Namespace) -> int:
    from handlers.assistant import Assistant, default_knowledge

    settings = settings_from_args(args)
    assistant = Assistant(default_knowledge(), election_deadline=settings.election_deadline)
    if args.batch:
        if args.text:
            raise CommandError("give either a question or --batch FILE, not both")
        return _run_batch(args, assistant)
    if not args.text or not args.text.strip():
        raise CommandError('nothing to answer: give the question in quotes, e.g. sotp ask "when is the deadline?"')
    reply = assistant.respond(args.text)
    if args.json:
        emit_json(as_json(reply, None))
    else:
        print(reply.text)
    return 0


def _run_batch(args: argparse.Namespace, assistant: "Assistant") -> int:
    stream = sys.stdin if args.batch == "-" else None
    try:
        handle = stream or open(args.batch, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {args.batch}: {exc.strerror}") from exc
    failures = 0
    with handle:
        for number, line in _batch_lines(handle):
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
            except ValueError as exc:
                failures += 1
                print(f"sotp ask: line {number}: {exc}", file=sys.stderr)
                emit_json({"id": None, "line": number, "error": f"line {number}: {exc}"})
                continue
            reply = assistant.respond(item["text"])
            out = as_json(reply, item.get("id"))
            if args.json:
                emit_json(out)
            else:
                print(f"[{item.get('id')}] {reply.text}\n")
    return 2 if failures else 0
