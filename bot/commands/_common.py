"""What every subcommand shares: --db/--config, calendar flags, the database, JSON output and errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import DB_ENV, ConfigError, Settings, default_db_path, load_settings
from bot.db import Database


class CommandError(Exception):
    """A failure the user can act on: exit status 2, {"error": ...} on stdout with --json."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _dates(text: str) -> tuple[date, ...]:
    return tuple(_date(part.strip()) for part in text.split(",") if part.strip())


def config_parent() -> argparse.ArgumentParser:
    """--config alone, for the commands that read no database."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", metavar="FILE",
                        help="settings file (TOML) of this deployment (default: $SOTP_CONFIG, else the built-in "
                             "settings)")
    return parent


def common_parent() -> argparse.ArgumentParser:
    """--db and --config, accepted by every command that reads or writes the database."""
    parent = config_parent()
    parent.add_argument("--db", metavar="PATH",
                        help="the database file (default: $SOTP_DB, else the demo database var/sotp.db, "
                             "built on first use)")
    return parent


def json_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON (for scripts) instead of text")
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


def is_demo_default(args: argparse.Namespace, settings: Settings) -> bool:
    """The database was not named (no --db, no $SOTP_DB, no config file's): the demo one, var/sotp.db."""
    return (getattr(args, "db", None) is None and not os.environ.get(DB_ENV)
            and settings.db_path == default_db_path())


def missing_database(path: Path) -> str:
    """What to say about a named database that does not exist: which path, and how to make one."""
    named = " (named by $SOTP_DB)" if os.environ.get(DB_ENV) == str(path) else ""
    return (f"no database at {path}{named}; nothing was created. Check the path, or create it: "
            f"`sotp demo-data --db {path}` writes a synthetic population, "
            f"`sotp import employees FILE.csv --db {path}` loads real records")


def open_database(args: argparse.Namespace, settings: Settings, *,
                  read_only: bool = False) -> Database:
    """The command's existing database. Only the unnamed default is built (as the demo) on first use;
    a named path that does not exist is refused and nothing is created, not even its directory.

    read_only=True for a command that only reads: it then works on a copy on read-only
    media too (an auditor's snapshot of the trail), and never migrates or writes.
    """
    from bot.db import connect, connect_read_only
    from bot.figures import build_demo_database

    path = settings.db_path
    if not path.exists():
        if not is_demo_default(args, settings):
            raise CommandError(missing_database(path))
        build_demo_database(path)
    if read_only:
        return connect_read_only(path)
    return connect(path, create=False)


def check_writable(db: Database) -> None:
    """Fail now, with DatabaseReadOnly or DatabaseBusy, if this command could not write its changes.

    The conversation core answers a turn it cannot record with a safe apology (right for
    an employee in a chat); a command line should instead stop with the reason. An empty
    delete commits nothing but needs write access, as any real change would.
    """
    from bot.db import path_of, readable_errors, write_transaction

    with readable_errors(path_of(db)), write_transaction(db):
        db.conn.execute("DELETE FROM meta WHERE key = ?", ("\x00write-check",))


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def report_error(message: str, as_json: bool) -> int:
    if as_json:
        emit_json({"error": message})
    else:
        print(f"sotp: error: {message}", file=sys.stderr)
    return 2
