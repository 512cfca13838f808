"""`sotp chat`: a terminal conversation through the same core every channel uses."""

from __future__ import annotations

import argparse
import sys

from bot.commands._common import common_parent, settings_from_args

BANNER = (
    "SOTP Assistant - questions about the Stock Option Transfer Program, answered from the Notice.\n"
    "Type a question; 'quit' or Ctrl-D to leave."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", parents=[common_parent()],
                                   help="talk to the assistant in the terminal")
    parser.add_argument("--employee", metavar="ID", help="chat as this employee")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from handlers.assistant import Assistant, default_knowledge

    settings = settings_from_args(args)
    print("Loading the Notice...", file=sys.stderr)
    assistant = Assistant(default_knowledge(), election_deadline=settings.election_deadline)
    print(BANNER)
    while True:
        try:
            line = input("\nyou> ")
        except EOFError:
            print()
            return 0
        if line.strip().lower() in {"quit", "exit", ":q"}:
            return 0
        if not line.strip():
            continue
        print("\n" + assistant.respond(line).text)
