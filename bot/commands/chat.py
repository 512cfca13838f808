"""`sotp chat`: a terminal conversation through the same core every channel uses."""

from __future__ import annotations

import argparse
import sys

from bot.commands._common import CommandError, common_parent, open_database, settings_from_args

BANNER = (
    "SOTP Assistant - questions about the Stock Option Transfer Program, answered from the Notice.\n"
    "Type a question; 'quit' or Ctrl-D to leave."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", parents=[common_parent()],
                                   help="talk to the assistant in the terminal")
    parser.add_argument("--employee", metavar="ID", help="chat as this employee (personal figures, privately)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot import store
    from handlers.core import Conversation
    from handlers.messages import Incoming

    settings = settings_from_args(args)
    db = open_database(args, settings)
    print("Loading the Notice and the records...", file=sys.stderr)
    if args.employee and store.employee(db, args.employee) is None:
        raise CommandError(f"no employee {args.employee} in {settings.db_path}")
    conversation = Conversation(db, settings)
    address = f"cli:{args.employee}" if args.employee else "cli:local"
    who = f" (as {args.employee})" if args.employee else ""
    print(BANNER + who)
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
        response = conversation.handle(Incoming("cli", address, line, employee_id=args.employee))
        print("\n" + "\n\n".join(r.text for r in response.replies))
