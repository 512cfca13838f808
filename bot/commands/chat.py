"""`sotp chat`: a conversation with the assistant in the terminal.

Type a question and press Enter; the answer comes from the same assistant that
answers in Slack and by email, and every message is recorded in the audit
trail. The arrow keys edit the line and go back through earlier questions
(kept, readable by you only, in chat_history beside the database: var/ for the
demo database). Colour is used when the terminal has it, unless NO_COLOR is set.

  /help        what you can type
  /as ID       continue as employee ID (their own figures, privately); /as alone: as nobody
  /quit        leave (Ctrl-D works too)

With input from a pipe or a file, each line is one message and only the
answers are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from bot.commands import _terminal
from bot.commands._common import CommandError, check_writable, common_parent, open_database, settings_from_args

if TYPE_CHECKING:
    from bot.config import Settings
    from handlers.core import Conversation

HISTORY_FILE = "chat_history"
HISTORY_MODE = 0o600   # what someone asked may be personal: readable by its owner only
ANONYMOUS = "cli:local"
QUIT_WORDS = frozenset({"/quit", "/exit", "/q", "quit", "exit"})

BANNER = ("SOTP Assistant: questions about the Stock Option Transfer Program, answered from the Notice.\n"
          "Type a question, /help for help, /quit to leave.")
HELP = """Ask anything about the Stock Option Transfer Program, in your own words, for example:
  when is the election deadline?
  what happens to my options if I leave Microsoft?
  what would I get at $27?          (your own figures: start with /as ID)
  and at 30?                        (after an estimate: the same at another price)
The assistant quotes the Notice and names the section; it never recommends whether to participate and
cannot make or withdraw an election for you.

  /as ID    continue as employee ID (for example /as E000001); /as alone: as nobody in particular
  /help     this text
  /quit     leave (Ctrl-D works too)
Arrow keys edit the line; Up and Down go through earlier questions."""

STYLE_RULES = {
    "prompt": "bold ansigreen",
    "header": "bold",
    "rule": "ansibrightblack",
    "quote": "ansicyan",
    "source": "ansibrightblack",
    "notice": "ansiyellow",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chat", parents=[common_parent()], help="talk to the assistant in the terminal",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employee", metavar="ID",
                        help="chat as this employee (their own figures, privately), e.g. E000001")
    parser.set_defaults(func=run)


class _Screen:
    """Where answers go: styled on a terminal with colour, plain anywhere else."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self.style = None
        if colour:
            from prompt_toolkit.styles import Style

            self.style = Style.from_dict(STYLE_RULES)

    def show(self, text: str, style: str = "") -> None:
        columns = _terminal.width()
        if not self.colour:
            print(_terminal.plain(text, columns), flush=True)
            return
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        parts = _terminal.fragments(text, columns)
        if style:
            parts = [(f"{style} {s}".strip(), t) for s, t in parts]
        print_formatted_text(FormattedText(parts), style=self.style, end="")


def history_path(db_path: Path) -> Path:
    return db_path.parent / HISTORY_FILE


def _private_history(path: Path) -> Path | None:
    """The history file, created (or narrowed) to owner-only; None where it cannot be kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, HISTORY_MODE)
        os.fchmod(fd, HISTORY_MODE)
        os.close(fd)
        return path
    except OSError:
        return None


def _typed_lines(history: Path | None, colour: bool) -> Callable[[str], str]:
    """A reader of one line at a time: line editing and history on a terminal."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.output.color_depth import ColorDepth
    from prompt_toolkit.styles import Style

    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)) if history else InMemoryHistory(),
        style=Style.from_dict(STYLE_RULES) if colour else None,
        color_depth=None if colour else ColorDepth.MONOCHROME,
        enable_suspend=True)

    def read(prompt: str) -> str:
        return session.prompt(FormattedText([("class:prompt" if colour else "", prompt)]))

    return read


def _piped_lines() -> Iterator[str]:
    """Lines from a pipe or file as bytes: a byte that is not UTF-8 is replaced, never an error."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    from bot.figures import UnknownEmployee, employee_id

    settings = settings_from_args(args)
    db = open_database(args, settings)
    check_writable(db)   # every message is recorded: a read-only or busy database stops here
    who: str | None = None
    if args.employee:
        try:
            who = employee_id(db, args.employee)
        except UnknownEmployee as exc:
            raise CommandError(str(exc)) from exc
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    colour = interactive and _terminal.colour_wanted(sys.stdout)
    screen = _Screen(colour)
    if interactive:
        print("Loading the Notice and the records...", file=sys.stderr, flush=True)
    conversation = _conversation(db, settings, args)
    if interactive:
        read = _typed_lines(_private_history(history_path(settings.db_path)), colour)
        screen.show(BANNER + (f"\nYou are {who}." if who else ""), "class:notice")
        lines: Iterator[str] = _prompted(read)
    else:
        lines = _piped_lines()
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if text.lower() in QUIT_WORDS:
            break
        if text.startswith("/"):
            who = _command(text, who, db, screen)
            continue
        _answer(conversation, line, who, screen, interactive)
    return 0


def _prompted(read: Callable[[str], str]) -> Iterator[str]:
    while True:
        try:
            yield read("you> ")
        except KeyboardInterrupt:
            continue          # Ctrl-C clears the line, as in a shell
        except EOFError:
            print()
            return


def _conversation(db: object, settings: Settings, args: argparse.Namespace) -> "Conversation":
    from bot import clock as clocks
    from handlers.core import Conversation

    # `sotp run` converses on the service's clock (the demo time by default); `sotp chat` on real time.
    clock = clocks.from_settings(settings) if getattr(args, "use_configured_clock", False) else clocks.utc_now
    return Conversation(db, settings, clock=clock)  # type: ignore[arg-type]


def _command(text: str, who: str | None, db: object, screen: _Screen) -> str | None:
    """A /command: returns who the conversation is with afterwards."""
    from bot.figures import UnknownEmployee, employee_id

    name, _, rest = text.partition(" ")
    name = name.lower()
    if name in ("/help", "/h", "/?"):
        screen.show(HELP)
    elif name == "/as":
        if not rest.strip():
            screen.show("You are now nobody in particular (general answers only).", "class:notice")
            return None
        try:
            found = employee_id(db, rest)  # type: ignore[arg-type]
        except UnknownEmployee as exc:
            screen.show(f"{exc}; you are still {who or 'nobody in particular'}.", "class:notice")
            return who
        screen.show(f"You are now {found}.", "class:notice")
        return found
    else:
        screen.show(f"{name} is not a command here: /help lists them.", "class:notice")
    return who


def _answer(conversation: "Conversation", line: str, who: str | None, screen: _Screen, interactive: bool) -> None:
    from handlers.messages import Incoming

    address = f"cli:{who}" if who else ANONYMOUS
    from bot.commands.ask import with_charts

    response = conversation.handle(Incoming("cli", address, line, employee_id=who))
    for text in with_charts(conversation, response):
        if interactive:
            print()
        screen.show(text)
    if not interactive:
        print()
