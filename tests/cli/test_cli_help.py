"""Every command and subcommand explains itself, in words for the people who use it."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = _commands(build_parser())
# Words that speak to a developer of the assistant, not to its users.
DEVELOPER_WORDS = ("bot.", "BENCHMARKS", "register(", "module", "subparsers", "Python", "sqlite_utils", ".py",
                   "knowledge/", "handlers/", "var/cache")


def test_the_command_tree_has_every_documented_command():
    top = {c[0] for c in COMMANDS if len(c) == 1}
    assert {"run", "chat", "ask", "import", "eligibility", "estimate", "calendar", "acp", "interest",
            "demo-data", "bench", "queue", "outbox", "audit"} <= top
    assert ("import", "rates") in COMMANDS and ("outbox", "retry") in COMMANDS and ("audit", "verify") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sotp")
def test_help_works_and_speaks_to_users(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("usage: sotp")
    assert [w for w in DEVELOPER_WORDS if w in out] == []


def test_commands_that_read_no_database_do_not_offer_one(capsys):
    for command in (["calendar"], ["acp"], ["interest"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = capsys.readouterr().out
        assert "--db" not in out and "database" not in out.lower()


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_the_overview_names_the_actions_the_index_command_takes(capsys):
    line = next(line for line in _help(capsys).splitlines() if line.strip().startswith("index "))
    assert line.split(None, 1)[1].startswith("status|build: ")


def test_bench_help_explains_every_benchmark_in_its_own_words(capsys):
    text = _help(capsys, "bench")
    description = " ".join(text.split("positional arguments:")[0].split())
    names = [c[1] for c in COMMANDS if len(c) == 2 and c[0] == "bench"]
    assert names == ["faq", "calc", "whatif", "calibration", "slack", "remind", "email", "import", "serve"]
    assert [name for name in names if f" {name}: " not in f" {description}"] == []


def test_index_help_speaks_of_the_index_not_of_files(capsys):
    text = _help(capsys, "index")
    assert "var/" not in text and "cache.py" not in text
    assert "`sotp index build` builds it now" in " ".join(text.split())
