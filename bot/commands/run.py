"""`sotp run`: start the assistant on its configured channels (`make run`).

For now the only channel is the terminal conversation; the Slack and email
transports join here when they exist.
"""

from __future__ import annotations

import argparse

from bot.commands import chat
from bot.commands._common import common_parent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", parents=[common_parent()],
                                   help="start the assistant (today: the terminal conversation)",
                                   description="Start the assistant on its configured channels. Today that is "
                                               "the conversation in the terminal, the same as `sotp chat`; "
                                               "`sotp chat --help` explains it.")
    parser.add_argument("--employee", metavar="ID", help="converse as this employee")
    parser.set_defaults(func=chat.run)
