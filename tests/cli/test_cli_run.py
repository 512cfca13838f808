"""`sotp run` (what `make run` starts) in a real terminal: the service in the background, the chat in front."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cli_helpers import PROMPT, Terminal


def _config(tmp_path: Path) -> Path:
    """The embedded defaults, but every port chosen by the system and every file in tmp_path."""
    cfg = tmp_path / "sotp.toml"
    cfg.write_text(f'[serve]\nstate_dir = "{tmp_path}/var"\nmail_sink = "127.0.0.1:0"\nmail_dir = "{tmp_path}/mail"\n'
                   '\n[email]\nlisten = "127.0.0.1:0"\n\n[reminders]\nenabled = false\n')
    return cfg


def test_run_on_a_terminal_says_how_to_try_it_answers_and_quit_stops_the_service(demo_copy, tmp_path):
    state = tmp_path / "var"
    term = Terminal(demo_copy, "--config", str(_config(tmp_path)), command="run")
    intro = term.wait_for(PROMPT, timeout=120)
    for line in (b"The SOTP Assistant is running (demo data; the Pricing Grid is illustrative).",
                 b"Chat here as E0", b"/as E000123 to switch, /help, /quit",
                 b'Email it:  .venv/bin/sotp send-test-mail "When is the deadline?"',
                 f"(replies appear in {tmp_path}/mail/)".encode(),
                 b"Staff:     .venv/bin/sotp queue list",
                 f"Service:   .venv/bin/sotp health   (log: {state}/log/serve.log)".encode()):
        assert line in intro, intro[-3000:]
    service = json.loads((state / "health.json").read_text())
    assert service["components"]["email-smtp-in"]["state"] == "running"
    term.type(b"when is the deadline?\r")
    term.wait_for(b"[q21]")
    term.wait_for(PROMPT)
    term.type(b"/quit\r")
    assert term.close() == 0
    stopped = json.loads((state / "health.json").read_text())
    assert stopped["pid"] == service["pid"]
    assert {name: c["state"] for name, c in stopped["components"].items()} == {
        name: "stopped" for name in service["components"]}
    try:
        os.kill(service["pid"], 0)
        raise AssertionError(f"the background service (pid {service['pid']}) still runs after /quit")
    except ProcessLookupError:
        pass
    log = state / "log" / "serve.log"
    assert log.stat().st_mode & 0o777 == 0o600
    assert log.read_text().rstrip().endswith("INFO sotp.serve stopped")
