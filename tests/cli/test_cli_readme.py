"""Every `sotp` example in the README, pasted into bash as written, does what the README says.

The examples run in order, in a fresh folder holding a copy of examples/ and the demo
database (built with the default population, as `make run` builds it), with the
environment's bin folder on PATH as `source .venv/bin/activate` puts it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import REPO, process_env

from bot import demo

README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The lines of the README's bash blocks that run sotp."""
    blocks = re.findall(r"^```bash\n(.*?)^```", README, flags=re.S | re.M)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("sotp ")]


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def workplace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "examples", folder / "examples")
    demo.build_at(folder / "var" / "sotp.db")
    return folder


def test_the_readme_says_how_to_run_sotp():
    assert ".venv/bin/sotp" in README and "source .venv/bin/activate" in README
    assert len(COMMANDS) >= 30
    assert not [c for c in COMMANDS if '"' in c and "$" in c], "a $ inside double quotes is a bash variable"


def test_the_examples_use_only_files_that_exist():
    for command in COMMANDS:
        for word in command.split():
            if word.startswith("examples/"):
                assert (REPO / word).exists(), word


def test_every_example_runs_as_written(workplace):
    env = process_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    outputs: dict[str, str] = {}
    for command in COMMANDS:
        done = subprocess.run(["bash", "-c", command], cwd=workplace, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=600)
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 0, f"{command}\n{err}"
        assert "Traceback" not in err, f"{command}\n{err}"
        outputs[command] = done.stdout.decode("utf-8")
    at_27 = json.loads(outputs["sotp ask --employee E000001 --json 'what would I get at $27?'"])
    assert at_27["intent"] == "estimate" and "of $27.00:" in at_27["text"]
    assert "Dry run: nothing was written." in outputs["sotp import grants examples/grants.csv --db var/prod.db --dry-run"]
    assert outputs["sotp audit verify"].startswith("audit trail intact: ")
    assert len(outputs["sotp audit export --since 2003-10-15 --format jsonl | head -3"].splitlines()) == 3
    assert "CC-000001" in outputs["sotp queue list"]
    assert (workplace / "var" / "audit.csv").stat().st_mode & 0o777 == 0o600
