"""`sotp chat` as a person uses it: in a real terminal (a pseudo-terminal), and with a pipe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import PROMPT, Terminal, run_process

from bot.audit import AuditLog
from bot.store import open_db

SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def colours(screen: bytes) -> set[int]:
    """The colour parameters (30-37, 90-97, 38 for 256/true colour) of every SGR sequence on the screen."""
    found: set[int] = set()
    for params in SGR.findall(screen):
        for p in params.split(b";"):
            if p and (30 <= int(p) <= 38 or 90 <= int(p) <= 97):
                found.add(int(p))
    return found


def _messages(db: Path) -> list[str]:
    database = open_db(db)
    texts = [e.text for e in AuditLog(database).all() if e.direction == "in"]
    database.close()
    return texts


def test_the_line_can_be_edited_and_history_is_kept_privately_beside_the_database(demo_copy):
    term = Terminal(demo_copy)
    term.wait_for(PROMPT)
    term.type(b"deadline?\x01when is the \r")          # Ctrl-A: back to the start of the line
    term.wait_for(b"[q21]")
    term.wait_for(PROMPT)
    term.type(b"\x04")                                  # Ctrl-D leaves
    assert term.close() == 0
    history = demo_copy.parent / "chat_history"
    assert "when is the deadline?" in history.read_text()
    assert history.stat().st_mode & 0o777 == 0o600
    term = Terminal(demo_copy)
    term.wait_for(PROMPT)
    term.type(b"\x1b[A\r")                              # Up: the question of the last session
    term.wait_for(b"[q21]")
    term.wait_for(PROMPT)
    term.type(b"/quit\r")
    assert term.close() == 0
    assert _messages(demo_copy) == ["when is the deadline?", "when is the deadline?"]


def test_colour_on_a_terminal_and_none_with_no_color(demo_copy):
    for env, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        term = Terminal(demo_copy, **env)
        term.wait_for(PROMPT)
        term.type(b"when is the deadline?\r")
        answer = term.wait_for(b"Reply \"more\"")
        term.wait_for(PROMPT)
        term.type(b"/quit\r")
        term.close()
        assert bool(colours(answer)) is coloured, (env, colours(answer))
        assert b"```" not in answer


def test_slash_commands_help_switch_employee_and_quit(demo_copy):
    term = Terminal(demo_copy)
    term.wait_for(PROMPT)
    term.type(b"/help\r")
    term.wait_for(b"/as ID    continue as employee ID")
    term.wait_for(PROMPT)
    term.type(b"/as e000001\r")
    term.wait_for(b"You are now E000001.")
    term.wait_for(PROMPT)
    term.type(b"/as E000001X\r")
    term.wait_for(b"did you mean E000001?")
    term.wait_for(PROMPT)
    term.type(b"/frobnicate\r")
    term.wait_for(b"/frobnicate is not a command here: /help lists them.")
    term.wait_for(PROMPT)
    term.type(b"/quit\r")
    assert term.close() == 0


def _chat(db: Path, lines: bytes) -> str:
    done = run_process("chat", "--db", str(db), input=lines)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    return done.stdout.decode("utf-8")


def test_answers_are_formatted_for_the_terminal_without_markdown_fences(demo_copy):
    out = _chat(demo_copy, b"/as E000001\nwhat would I get at $27?\n")
    assert "```" not in out
    table = [line for line in out.splitlines() if line.startswith("  Assumed ACP")]
    assert table == ["  Assumed ACP  Total Payment (pre-tax)"]
    rows = [line for line in out.splitlines() if re.match(r"  \$2[3-9]\.00|  \$3[01]\.00", line)]
    assert len(rows) == 9 and len({len(r) for r in rows}) == 1   # right-aligned: every row as wide
    assert 'Ask "and at $30?" for another price' in out


def test_a_follow_up_shows_what_changed_and_suggests_another_price(demo_copy):
    out = _chat(demo_copy, b"/as E000001\nwhat would I get at $27?\nand at 30?\n")
    first, follow_up = out.split("Your estimated Total Payment at an assumed Average Closing Price of $30.00")
    assert follow_up.count("Payout schedule") == 0 and "Your payout schedule at $30.00" in follow_up
    assert "more than at $27.00" in follow_up
    assert "By grant" not in follow_up and "Total Payment at the Tool's table" not in follow_up
    assert 'and at $30?' not in follow_up and 'Ask "and at $25?" for another price' in follow_up
    assert sum(line.startswith("  ---") for line in follow_up.splitlines()) == 1   # one table: the schedule


def test_more_after_a_follow_up_gives_the_whole_estimate(demo_copy):
    out = _chat(demo_copy, b"/as E000001\nwhat would I get at $27?\nand at 30?\nmore\n")
    assert out.count("By grant, at $30.00:") == 1


@pytest.mark.parametrize("raw", [b"when is the deadline\xff\xfe?\n", b"what is the deadline \xed\xa0\x80 date?\n"])
def test_bytes_that_are_not_utf8_are_answered_not_a_crash(demo_copy, raw):
    out = _chat(demo_copy, raw)
    assert "Q21" in out
