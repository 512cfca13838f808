"""Start-up of a one-shot command: only what it needs is imported (speed is measured, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.cli import COMMAND_MODULES, _modules_for, build_parser

ROOT = Path(__file__).resolve().parent.parent

# What `sotp ask` about the Notice never uses: the importers, the demo generator, the
# benchmarks, the other commands, and the holiday calendars (trading and business days).
NOT_NEEDED_BY_ASK = ("bot.imports", "bot.demo", "bot.benchmarks", "bot.commands.queue",
                     "bot.commands.estimate", "holidays")


def _modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `sotp ARGV`."""
    script = ("import json, sys\nfrom bot.cli import main\nstatus = main(sys.argv[1:])\n"
              "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SOTP_DB", "SOTP_CONFIG")}
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 0, done.stderr
    return set(result["modules"])


def test_a_one_shot_ask_imports_neither_the_other_commands_nor_the_holiday_calendars(tmp_path):
    from bot.store import open_db

    open_db(tmp_path / "sotp.db").close()
    modules = _modules_after(tmp_path, "ask", "--db", str(tmp_path / "sotp.db"), "--json", "when is the deadline?")
    assert "handlers.core" in modules and "bot.commands.ask" in modules
    assert [m for m in NOT_NEEDED_BY_ASK if m in modules] == []


def test_the_parser_of_a_named_command_registers_only_that_command():
    assert _modules_for(["ask", "when is the deadline?"]) == ("ask",)
    assert _modules_for(["import", "grants", "grants.csv"]) == ("imports",)
    assert _modules_for(["demo-data", "--employees", "10"]) == ("demo_data",)


def test_help_and_unknown_commands_see_every_command():
    assert _modules_for([]) == COMMAND_MODULES
    assert _modules_for(["--help"]) == COMMAND_MODULES
    assert _modules_for(["aks", "when is the deadline?"]) == COMMAND_MODULES
    help_text = build_parser(["--help"]).format_help()
    assert all(name in help_text for name in ("ask", "import", "demo-data", "bench", "queue", "audit", "index"))
