"""What every subcommand shares: --db/--config, calendar flags, JSON output and errors."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from bot.config import ConfigError, Settings, load_settings


class CommandError(Exception):
    """A failure the user can act on: exit status 2, {"error": ...} on stdout with --json."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _dates(text: str) -> tuple[date, ...]:
    return tuple(_date(part.strip()) for part in text.split(",") if part.strip())


def common_parent() -> argparse.ArgumentParser:
    """--db and --config, accepted by every command."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", metavar="PATH", help="SQLite database (default: the demo database, var/sotp.db)")
    parent.add_argument("--config", metavar="FILE", help="TOML settings file (default: $SOTP_CONFIG, then built-in defaults)")
    return parent


def json_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parent


def calendar_parent() -> argparse.ArgumentParser:
    """Program calendar settings that override the configured ones for this run."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("program calendar")
    group.add_argument("--deadline", type=_date, metavar="YYYY-MM-DD",
                       help="Election Deadline date (midnight Eastern at the end of it); default from config: 2003-11-12")
    group.add_argument("--averaging-start", type=_date, metavar="YYYY-MM-DD",
                       help="first day of the Averaging Period; default: the latest start the Notice allows")
    group.add_argument("--disrupted", type=_dates, metavar="YYYY-MM-DD,...",
                       help="days of market disruption (not Available Trading Days)")
    return parent


def settings_from_args(args: argparse.Namespace) -> Settings:
    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc
    return settings.with_overrides(
        db_path=getattr(args, "db", None),
        election_deadline=getattr(args, "deadline", None),
        averaging_start=getattr(args, "averaging_start", None),
        disrupted_days=getattr(args, "disrupted", None),
    )


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def report_error(message: str, as_json: bool) -> int:
    if as_json:
        emit_json({"error": message})
    else:
        print(f"sotp: error: {message}", file=sys.stderr)
    return 2
