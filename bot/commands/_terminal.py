"""Replies as a terminal shows them: no Markdown marks, tables kept in their columns, prose wrapped.

The core writes replies once for every channel: tables inside ``` fences (Slack
keeps their columns), quotes of the Notice as "> " lines, "- " bullets. Here the
fences go, tables are indented and never wrapped, quotes get a bar, and prose is
wrapped to the terminal's width. Colour (when the terminal has it and NO_COLOR
is not set) only marks what is what; the words are the same without it.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import TextIO

Fragment = tuple[str, str]      # (prompt_toolkit style class, text)

MAX_WIDTH = 100
MIN_WIDTH = 40
FENCE = "```"
QUOTE_BAR = "│ "

# Classes of prompt_toolkit's Style; see STYLE in bot.commands.chat.
HEADER, RULE, QUOTE, SOURCE, TEXT, NOTICE = ("class:header", "class:rule", "class:quote", "class:source",
                                            "", "class:notice")


def colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal that has it, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM", "") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def width(stream: TextIO = sys.stdout) -> int:
    columns = shutil.get_terminal_size((80, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns - 1))


def _wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(text, width=columns, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def fragments(text: str, columns: int) -> list[Fragment]:
    """One reply as styled lines for a terminal of the given width."""
    out: list[Fragment] = []
    in_table = False
    table_line = 0

    def emit(style: str, line: str) -> None:
        out.append((style, line + "\n"))

    for line in text.split("\n"):
        if line.strip() == FENCE:
            in_table, table_line = not in_table, 0
            continue
        if in_table:
            is_rule = table_line == 1 and set(line) <= {"-", " "}
            emit(HEADER if table_line == 0 else RULE if is_rule else TEXT, "  " + line.rstrip())
            table_line += 1
        elif line.startswith(">"):
            quoted = line[1:].lstrip(" ")
            for part in _wrap(quoted, columns - 4, "  " + QUOTE_BAR, "  " + QUOTE_BAR) if quoted else ["  │"]:
                emit(QUOTE, part)
        elif line.startswith("- "):
            for part in _wrap(line[2:], columns, "- ", "  "):
                emit(TEXT, part)
        elif line.startswith("Source: "):
            for part in _wrap(line, columns):
                emit(SOURCE, part)
        elif not line.strip():
            emit(TEXT, "")
        else:
            for part in _wrap(line, columns):
                emit(TEXT, part)
    return out


def plain(text: str, columns: int | None = None) -> str:
    """The reply for a terminal without colour (or a file): the same lines, unstyled."""
    return "".join(part for _, part in fragments(text, columns or width())).rstrip("\n")
