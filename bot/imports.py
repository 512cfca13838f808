"""CSV imports of the calculation module's data: all rows valid, or nothing written.

A file is read whole and every row checked (types, enumerations, dates, decimals,
countries, duplicates) before anything is written. A bad file is refused with
every problem and its line number (the header is line 1); the data already in
the database stay as they were. A valid file replaces the previous data of its
kind in one transaction.

Decisions the issue leaves open:
- A grant whose employee_id is not among the imported employees is an error
  (import employees first): a grant no one holds cannot be shown to anyone.
- Re-importing employees keeps the stored grants; grants of people missing from
  the new file are reported in the result's notes (they stay until grants are
  re-imported, so a partial employee file does not silently delete option data).
- A SAR must come from the 1997 Share Appreciation Rights Plan (plan sar1997) and
  that plan holds only SARs: the Notice names SARs only under that plan.
- Rulings may only be set for the four countries whose schedule depends on a
  tax ruling (Germany, Japan, Netherlands, Singapore); a country absent from the
  file keeps its configured status.
- Election timestamps without a UTC offset are read as U.S. Pacific Time, the
  time zone of the Employee Election Tool's confirmations; they are stored in UTC.
  Every row is kept (the history of elections and withdrawals): the latest one
  received before the deadline governs.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import sqlite_utils

from bot import countries, store
from bot.calc.records import GRANT_TYPES, PLANS, STATUSES, WORKER_TYPES
from bot.elections import ACTIONS, METHODS

MAX_LISTED_PROBLEMS = 20
PACIFIC = ZoneInfo("America/Los_Angeles")
RULING_STATUSES: tuple[str, ...] = ("pending", "favorable", "unfavorable")

_DECIMAL = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ImportRefused(Exception):
    """The file was refused as a whole; nothing of it was written."""

    def __init__(self, kind: str, path: str | Path, problems: Sequence[str]) -> None:
        self.kind = kind
        self.path = str(path)
        self.problems = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = (f"{self.path}: {n} problem{'s' if n != 1 else ''}; nothing was imported "
                f"and the {self.kind} already in the database are unchanged")
        lines = [head, *(f"  {p}" for p in self.problems[:MAX_LISTED_PROBLEMS])]
        if n > MAX_LISTED_PROBLEMS:
            lines.append(f"  ... and {n - MAX_LISTED_PROBLEMS} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportResult:
    kind: str
    path: str
    rows: int           # rows now stored
    replaced: int       # rows of that kind before the import
    notes: tuple[str, ...] = ()


class _RowProblems:
    """Collects every problem of one row, so a person fixes a row in one pass."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)


# --- field parsers: return the value, or record a problem and return None ----------------

def _text(row: dict[str, str], col: str, p: _RowProblems, *, required: bool = True) -> str | None:
    value = row.get(col, "").strip()
    if required and not value:
        p.add(f"{col} is empty")
        return None
    return value


def _decimal(row: dict[str, str], col: str, p: _RowProblems) -> Decimal | None:
    value = row.get(col, "").strip()
    if not value:
        p.add(f"{col} is empty")
        return None
    if not _DECIMAL.match(value):
        p.add(f"{col} {value!r} is not a decimal number like 33.00")
        return None
    return Decimal(value)


def _integer(row: dict[str, str], col: str, p: _RowProblems, *, empty_is_zero: bool = False) -> int | None:
    value = row.get(col, "").strip()
    if not value:
        if empty_is_zero:
            return 0
        p.add(f"{col} is empty")
        return None
    if not _INTEGER.match(value):
        p.add(f"{col} {value!r} is not a whole number")
        return None
    return int(value)


def _date(row: dict[str, str], col: str, p: _RowProblems) -> date | None:
    value = row.get(col, "").strip()
    if not value:
        p.add(f"{col} is empty")
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        p.add(f"{col} {value!r} is not a date YYYY-MM-DD")
        return None


def _choice(row: dict[str, str], col: str, allowed: Sequence[str], p: _RowProblems,
            *, fold: Callable[[str], str] = str.lower) -> str | None:
    value = row.get(col, "").strip()
    folded = fold(value)
    if folded in allowed:
        return folded
    shown = repr(value) if value else "empty"
    p.add(f"{col} {shown} is not one of {' | '.join(allowed)}")
    return None


def _timestamp(row: dict[str, str], col: str, p: _RowProblems, *, required: bool = True) -> datetime | None:
    value = row.get(col, "").strip()
    if not value:
        if required:
            p.add(f"{col} is empty")
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        p.add(f"{col} {value!r} is not an ISO-8601 time like 2003-11-03T17:04:00-08:00")
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=PACIFIC)
    return stamp.astimezone(timezone.utc)


def _flag(row: dict[str, str], col: str, p: _RowProblems) -> bool | None:
    value = row.get(col, "").strip()
    if value in ("0", "1"):
        return value == "1"
    p.add(f"{col} {value!r} is not 0 or 1")
    return None


def _country(row: dict[str, str], col: str, p: _RowProblems) -> countries.Country | None:
    value = row.get(col, "").strip()
    if not value:
        p.add(f"{col} is empty")
        return None
    country = countries.resolve(value)
    if country is None:
        p.add(f"{col} {value!r} is not a country the Notice names "
              "(write it as the Notice does, e.g. 'United Kingdom', 'Trinidad & Tobago')")
    return country


def _time_zone(row: dict[str, str], p: _RowProblems) -> str | None:
    """The optional `time_zone` column (an IANA name; empty: the country's, for the reminders)."""
    from bot.reminders.zones import zone_or_none

    value = row.get("time_zone", "").strip()
    if value and zone_or_none(value) is None:
        p.add(f"time_zone {value!r} is not an IANA time zone like Europe/Berlin or America/New_York")
        return None
    return value or None


# --- reading ----------------------------------------------------------------------------

def _read(path: Path, kind: str, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with the line number where each starts; header names are matched case-insensitively."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ImportRefused(kind, path, ["file not found"]) from None
    except OSError as exc:
        raise ImportRefused(kind, path, [f"cannot read the file: {exc.strerror}"]) from None
    with fh:
        try:
            reader = csv.reader(fh)
            header: list[str] | None = None
            last_line = 0
            for record in reader:
                start, last_line = last_line + 1, reader.line_num
                if not any(field.strip() for field in record):
                    continue  # blank lines, e.g. at the end of the file
                if header is None:
                    header = [h.strip().lower() for h in record]
                    missing = [c for c in required if c not in header]
                    if missing:
                        raise ImportRefused(kind, path, [
                            f"line {start}: the header lacks the required column"
                            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                            f"(expected a header row with {', '.join(required)})"])
                    continue
                padded = record + [""] * (len(header) - len(record))
                yield start, {name: value for name, value in zip(header, padded) if name}
            if header is None:
                raise ImportRefused(kind, path, [
                    f"the file is empty: expected a header row with {', '.join(required)}"])
        except UnicodeDecodeError:
            raise ImportRefused(kind, path, ["the file is not UTF-8 text"]) from None
        except csv.Error as exc:
            raise ImportRefused(kind, path, [f"line {reader.line_num}: not valid CSV ({exc})"]) from None


def _collect(path: Path, kind: str, required: Sequence[str],
             check: Callable[[int, dict[str, str], _RowProblems], Any]) -> tuple[list[Any], list[str]]:
    """Check every row; return the parsed rows and the problems (each prefixed with its line)."""
    parsed: list[Any] = []
    problems: list[str] = []
    for line, row in _read(path, kind, required):
        p = _RowProblems()
        value = check(line, row, p)
        if p.items:
            problems.append(f"line {line}: {'; '.join(p.items)}")
        else:
            parsed.append(value)
    return parsed, problems


def _finish(db: sqlite_utils.Database, kind: str, path: Path, rows: list[tuple[Any, ...]],
            problems: list[str], columns: Sequence[str], notes: Sequence[str] = ()) -> ImportResult:
    if problems:
        raise ImportRefused(kind, path, problems)
    if not rows:
        raise ImportRefused(kind, path, ["the file has a header but no rows"])
    before = store.count(db, kind)
    store.replace_rows(db, kind, rows, columns)
    return ImportResult(kind=kind, path=str(path), rows=len(rows), replaced=before, notes=tuple(notes))


# --- one importer per kind ----------------------------------------------------------------

def import_employees(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    seen_slack: dict[str, int] = {}

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        employee_id = _text(row, "employee_id", p)
        name = _text(row, "name", p)
        email = _text(row, "email", p)
        slack = _text(row, "slack_user_id", p, required=False) or None
        country = _country(row, "country", p)
        level = _integer(row, "level", p)
        worker_type = _choice(row, "worker_type", WORKER_TYPES, p)
        status = _choice(row, "status", STATUSES, p)
        if email and not _EMAIL.match(email):
            p.add(f"email {email!r} is not an email address")
        if slack and not _SLACK_ID.match(slack):
            p.add(f"slack_user_id {slack!r} is not a Slack user id like U012ABCDE")
        if level is not None and not 1 <= level <= 99:
            p.add(f"level {level} is not an Employee Level (1-99)")
        time_zone = _time_zone(row, p)
        for value, seen, what in ((employee_id, seen_ids, "employee_id"),
                                  (email.lower() if email else None, seen_emails, "email"),
                                  (slack, seen_slack, "slack_user_id")):
            if value:
                if value in seen:
                    p.add(f"{what} {value!r} already appears on line {seen[value]}")
                else:
                    seen[value] = line
        return (employee_id, name, email, slack, country.name if country else None,
                level, worker_type, status, time_zone)

    rows, problems = _collect(path, "employees", ("employee_id", "name", "email", "country", "level",
                                                  "worker_type", "status"), check)
    notes: list[str] = []
    if not problems and rows:
        ids = {r[0] for r in rows}
        orphans = sum(1 for (eid,) in db.conn.execute("SELECT employee_id FROM grants") if eid not in ids)
        if orphans:
            notes.append(f"{orphans:,} stored grants belong to employees not in this file; they are kept "
                         "but no one can see them until those employees are imported or grants re-imported")
    return _finish(db, "employees", path, rows, problems, (*store.EMPLOYEE_COLUMNS, "time_zone"), notes)


def import_grants(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    known = {eid for (eid,) in db.conn.execute("SELECT employee_id FROM employees")}
    seen: dict[tuple[str, str], int] = {}

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        employee_id = _text(row, "employee_id", p)
        grant_number = _text(row, "grant_number", p)
        grant_date = _date(row, "grant_date", p)
        grant_type = _choice(row, "grant_type", GRANT_TYPES, p, fold=str.upper)
        plan = _choice(row, "plan", PLANS, p)
        price = _decimal(row, "exercise_price", p)
        granted = _integer(row, "granted", p)
        exercised = _integer(row, "exercised", p)
        cancelled = _integer(row, "cancelled", p, empty_is_zero=True)
        expiration = _date(row, "expiration_date", p)
        myg = _flag(row, "multi_year_grant", p)
        if employee_id and employee_id not in known:
            p.add(f"employee_id {employee_id!r} is not among the imported employees (import employees first)")
        if price is not None and price <= 0:
            p.add(f"exercise_price {price} must be more than zero")
        if None not in (granted, exercised, cancelled) and exercised + cancelled > granted:  # type: ignore[operator]
            p.add(f"exercised {exercised} + cancelled {cancelled} is more than granted {granted}")
        if grant_date and expiration and expiration <= grant_date:
            p.add(f"expiration_date {expiration} is not after grant_date {grant_date}")
        if grant_type and plan and (grant_type == "SAR") != (plan == "sar1997"):
            p.add(f"grant_type {grant_type} does not fit plan {plan} "
                  "(SARs come from the 1997 Share Appreciation Rights Plan, plan sar1997, and only SARs do)")
        if employee_id and grant_number:
            key = (employee_id, grant_number)
            if key in seen:
                p.add(f"grant {grant_number!r} of {employee_id} already appears on line {seen[key]}")
            else:
                seen[key] = line
        return (employee_id, grant_number, grant_date.isoformat() if grant_date else None, grant_type,
                plan, row.get("exercise_price", "").strip(), granted, exercised, cancelled,
                expiration.isoformat() if expiration else None, int(bool(myg)))

    required = tuple(c for c in store.GRANT_COLUMNS if c != "cancelled")
    rows, problems = _collect(path, "grants", required, check)
    return _finish(db, "grants", path, rows, problems, store.GRANT_COLUMNS)


def import_grid(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    seen: dict[tuple[Decimal, date, bool, Decimal], int] = {}

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        price = _decimal(row, "exercise_price", p)
        expiration = _date(row, "expiration_date", p)
        myg = _flag(row, "multi_year_grant", p)
        acp = _decimal(row, "average_closing_price", p)
        _decimal(row, "price_per_option", p)   # checked only: the quote is stored as written
        if price is not None and price <= 0:
            p.add(f"exercise_price {price} must be more than zero")
        if None not in (price, expiration, myg, acp):
            # Decimal('33.0000') == Decimal('33.00') and hashes alike: numeric duplicates are caught.
            key = (price, expiration, myg, acp)
            if key in seen:
                p.add(f"a price for this Series at average_closing_price {acp} already appears on line {seen[key]}")
            else:
                seen[key] = line  # type: ignore[index]
        return (row.get("exercise_price", "").strip(), expiration.isoformat() if expiration else None,
                int(bool(myg)), row.get("average_closing_price", "").strip(),
                row.get("price_per_option", "").strip())

    rows, problems = _collect(path, "grid", store.GRID_COLUMNS, check)
    return _finish(db, "grid", path, rows, problems, store.GRID_COLUMNS)


def import_rates(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    seen: dict[str, int] = {}

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        country = _country(row, "country", p)
        rate = _decimal(row, "top_marginal_rate", p)
        if rate is not None and rate > 1:
            p.add(f"top_marginal_rate {rate} is more than 1: write rates as fractions (0.47 for 47%)")
        if country:
            if country.name in seen:
                p.add(f"country {country.name} already appears on line {seen[country.name]}")
            else:
                seen[country.name] = line
        return (country.name if country else None, row.get("top_marginal_rate", "").strip(),
                row.get("basis", "").strip() or None, row.get("source", "").strip() or None)

    rows, problems = _collect(path, "rates", ("country", "top_marginal_rate"), check)
    return _finish(db, "rates", path, rows, problems, ("country", "top_marginal_rate", "basis", "source"))


def import_rulings(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    seen: dict[str, int] = {}
    ruling_countries = tuple(c.name for c in countries.by_group("ruling"))

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        country = _country(row, "country", p)
        status = _choice(row, "status", RULING_STATUSES, p)
        if country and country.name not in ruling_countries:
            p.add(f"{country.name} has no tax ruling status: only {', '.join(ruling_countries)} do")
        elif country:
            if country.name in seen:
                p.add(f"country {country.name} already appears on line {seen[country.name]}")
            else:
                seen[country.name] = line
        return (country.name if country else None, status)

    rows, problems = _collect(path, "rulings", ("country", "status"), check)
    return _finish(db, "rulings", path, rows, problems, ("country", "status"))


def import_elections(db: sqlite_utils.Database, path: str | Path) -> ImportResult:
    path = Path(path)
    known = {eid for (eid,) in db.conn.execute("SELECT employee_id FROM employees")}

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        employee_id = _text(row, "employee_id", p)
        action = _choice(row, "action", ACTIONS, p)
        method = _choice(row, "method", METHODS, p)
        submitted = _timestamp(row, "submitted_at", p)
        received = _timestamp(row, "signed_form_received_at", p, required=False)
        if employee_id and employee_id not in known:
            p.add(f"employee_id {employee_id!r} is not among the imported employees (import employees first)")
        return (employee_id, action, method, submitted.isoformat() if submitted else None,
                received.isoformat() if received else None)

    required = tuple(c for c in store.ELECTION_COLUMNS if c != "signed_form_received_at")
    rows, problems = _collect(path, "elections", required, check)
    return _finish(db, "elections", path, rows, problems, store.ELECTION_COLUMNS)


IMPORTERS: dict[str, Callable[[sqlite_utils.Database, str | Path], ImportResult]] = {
    "employees": import_employees,
    "grants": import_grants,
    "grid": import_grid,
    "rates": import_rates,
    "rulings": import_rulings,
    "elections": import_elections,
}


def import_file(db: sqlite_utils.Database, kind: str, path: str | Path) -> ImportResult:
    return IMPORTERS[kind](db, path)
