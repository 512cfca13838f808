"""CSV imports of the calculation module's data: all rows valid, or nothing written.

A file is read whole and every row checked (types, enumerations, dates, decimals,
countries, duplicates) before anything is written. A bad file is refused with
every problem and its line number (the header is line 1); the data already in
the database stay as they were. A valid file replaces the previous data of its
kind: prepare() checks it (no database needed, so a refused file creates none),
diff() says what would change (rows added, changed, removed; employees whose
eligibility changes) and apply() swaps the new rows in (bot.store.replace_rows:
a staging table, then one short transaction, so readers and writers never wait
for a long import).

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

from bot import countries, store
from bot.calc.records import GRANT_TYPES, PLANS, STATUSES, WORKER_TYPES
from bot.db import Database
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
class PreparedImport:
    """A checked file, ready to replace the stored rows of its kind."""

    kind: str
    path: str
    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportDiff:
    """What replacing the stored rows of one kind with a file's rows changes."""

    kind: str
    before: int                 # rows stored now
    after: int                  # rows in the file
    added: int
    changed: int
    removed: int
    became_eligible: tuple[str, ...] = ()     # employee ids, sorted
    no_longer_eligible: tuple[str, ...] = ()

    @property
    def unchanged(self) -> int:
        return self.after - self.added - self.changed

    @property
    def removes_most(self) -> bool:
        """More than half of the stored rows would go: too big a change to make without asking."""
        return self.removed * 2 > self.before


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


def _finish(kind: str, path: Path, rows: list[tuple[Any, ...]], problems: list[str], columns: Sequence[str],
            notes: Sequence[str] = ()) -> PreparedImport:
    if problems:
        raise ImportRefused(kind, path, problems)
    if not rows:
        raise ImportRefused(kind, path, ["the file has a header but no rows"])
    return PreparedImport(kind=kind, path=str(path), rows=rows, columns=tuple(columns), notes=tuple(notes))


def _employee_ids(db: Database | None) -> set[str]:
    if db is None:
        return set()
    return {eid for (eid,) in db.conn.execute("SELECT employee_id FROM employees")}


# --- one importer per kind ----------------------------------------------------------------

def _prepare_employees(db: Database | None, path: str | Path) -> PreparedImport:
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
    if not problems and rows and db is not None:
        ids = {r[0] for r in rows}
        orphans = sum(1 for (eid,) in db.conn.execute("SELECT employee_id FROM grants") if eid not in ids)
        if orphans:
            notes.append(f"{orphans:,} stored grants belong to employees not in this file; they are kept "
                         "but no one can see them until those employees are imported or grants re-imported")
    return _finish("employees", path, rows, problems, (*store.EMPLOYEE_COLUMNS, "time_zone"), notes)


def _prepare_grants(db: Database | None, path: str | Path) -> PreparedImport:
    path = Path(path)
    known = _employee_ids(db)
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
    return _finish("grants", path, rows, problems, store.GRANT_COLUMNS)


def _prepare_grid(db: Database | None, path: str | Path) -> PreparedImport:
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
    return _finish("grid", path, rows, problems, store.GRID_COLUMNS)


def _prepare_rates(db: Database | None, path: str | Path) -> PreparedImport:
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
    return _finish("rates", path, rows, problems, ("country", "top_marginal_rate", "basis", "source"))


def _prepare_rulings(db: Database | None, path: str | Path) -> PreparedImport:
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
    return _finish("rulings", path, rows, problems, ("country", "status"))


def _prepare_elections(db: Database | None, path: str | Path) -> PreparedImport:
    path = Path(path)
    known = _employee_ids(db)

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
    return _finish("elections", path, rows, problems, store.ELECTION_COLUMNS)


def _prepare_closes(db: Database | None, path: str | Path, settings: Any) -> PreparedImport:
    """The Averaging Period's closing prices: Available Trading Days of the program calendar only.

    Checked against the calendar of the settings (the Election Deadline as last
    extended, the announced start, the configured days of market disruption): a
    weekend, a holiday, November 28, 2003, a disrupted day, a day outside the period,
    a date twice, or a gap before the last date is refused with its line.
    """
    from bot.calc import CalcError
    from bot.calc.averaging import check_closes
    from bot.figures import calendar_for

    path = Path(path)
    if settings is None:
        raise ImportRefused("closes", path, ["the closes are checked against the program calendar: "
                                              "no settings were given"])
    if db is not None:
        from bot.reminders.deadlines import in_effect

        settings = in_effect(db, settings)
    try:
        calendar = calendar_for(settings)
    except CalcError as exc:
        raise ImportRefused("closes", path, [f"the program calendar is not valid: {exc}"]) from None
    lines: list[int] = []

    def check(line: int, row: dict[str, str], p: _RowProblems) -> tuple[Any, ...]:
        day = _date(row, "date", p)
        close = _decimal(row, "close", p)
        if close is not None and close <= 0:
            p.add(f"close {close} must be more than zero")
        if close is not None and close.as_tuple().exponent < -4:  # type: ignore[operator]
            p.add(f"close {close} has more than four decimals")
        if not p.items:
            lines.append(line)
        return (day.isoformat() if day else None, row.get("close", "").strip())

    rows, problems = _collect(path, "closes", ("date", "close"), check)
    if not problems:
        parsed = [(date.fromisoformat(d), Decimal(c)) for d, c in rows]
        for index, problem in check_closes(parsed, calendar, settings.disrupted_days):
            if problem.first is not None:
                problems.append(f"line {lines[index]}: {problem.day.isoformat()} already appears on line "
                                f"{lines[problem.first]}")
            else:
                problems.append(f"line {lines[index]}: {problem.reason}")
    return _finish("closes", path, rows, problems, ("day", "close"))


PREPARERS: dict[str, Callable[[Database | None, str | Path], PreparedImport]] = {
    "employees": _prepare_employees,
    "grants": _prepare_grants,
    "grid": _prepare_grid,
    "rates": _prepare_rates,
    "rulings": _prepare_rulings,
    "elections": _prepare_elections,
}


def prepare(kind: str, path: str | Path, db: Database | None,
            settings: Any = None) -> PreparedImport:
    """Check a whole file against the database (None: there is none yet); ImportRefused if it is bad.

    settings: the deployment's (bot.config.Settings); the closes are checked against its calendar.
    """
    if kind == "closes":
        return _prepare_closes(db, path, settings)
    return PREPARERS[kind](db, path)


# --- what an import changes ---------------------------------------------------------------

# Per kind: how many leading columns identify a row (None: the whole row does, as for elections,
# whose history has no key), and which columns hold decimals ("33.00" and "33.0000" are one price).
_KEY_WIDTH: dict[str, int | None] = {"employees": 1, "grants": 2, "grid": 4, "rates": 1, "rulings": 1,
                                     "elections": None, "closes": 1}
_DECIMAL_COLUMNS: dict[str, frozenset[str]] = {
    "grants": frozenset({"exercise_price"}),
    "grid": frozenset({"exercise_price", "average_closing_price", "price_per_option"}),
    "rates": frozenset({"top_marginal_rate"}),
    "closes": frozenset({"close"}),
}


def _canonical(kind: str, columns: Sequence[str]) -> Callable[[Sequence[Any]], tuple[Any, ...]] | None:
    """Rows with their decimal columns as Decimals, for kinds that have any (None: compare as they are)."""
    decimal_at = [i for i, c in enumerate(columns) if c in _DECIMAL_COLUMNS.get(kind, ())]
    if not decimal_at:
        return None

    def canon(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for i in decimal_at:
            values[i] = Decimal(values[i])
        return tuple(values)

    return canon


def _candidate(row: Sequence[Any]) -> bool:
    """A grant row (GRANT_COLUMNS order) that may be an Eligible Option: a cheap filter before the exact rule."""
    from bot.calc.eligibility import ELIGIBLE_PLANS

    return row[4] in ELIGIBLE_PLANS and row[6] - row[7] - row[8] > 0 and float(row[5]) >= 32.99


def diff(db: Database | None, prepared: PreparedImport) -> ImportDiff:
    """Rows added, changed and removed, and whose eligibility changes, if prepared were applied.

    One pass over the stored rows; rows are compared as written, and a row that differs
    only in how a decimal is written ("33.00", "33.0000") is unchanged.
    """
    kind, columns = prepared.kind, prepared.columns
    canon = _canonical(kind, columns)
    width = _KEY_WIDTH[kind]
    key_canon = canon if canon is not None and width is not None and any(
        c in _DECIMAL_COLUMNS.get(kind, ()) for c in columns[:width]) else None

    def key(row: Sequence[Any]) -> tuple[Any, ...]:
        values = tuple(row) if key_canon is None else key_canon(row)
        return values if width is None else values[:width]

    new = {key(row): row for row in prepared.rows}
    matched: set[tuple[Any, ...]] = set()
    changed = removed = 0
    touched: set[str] = set()                              # employee ids whose rows change
    old_people: dict[str, tuple[Any, ...]] = {}            # employees kind: the stored records
    old_grants: dict[str, list[tuple[Any, ...]]] = {}      # grants kind: stored candidate grants
    if db is not None:
        for row in db.conn.execute(f"SELECT {', '.join(columns)} FROM {kind}"):
            k = key(row)
            if kind == "employees":
                old_people[row[0]] = row
            elif kind == "grants" and _candidate(row):
                old_grants.setdefault(row[0], []).append(row)
            incoming = new.get(k)
            if incoming is None:
                removed += 1
                touched.add(row[0])
                continue
            matched.add(k)
            if tuple(incoming) != tuple(row) and (canon is None or canon(incoming) != canon(row)):
                changed += 1
                touched.add(row[0])
    added = len(new) - len(matched)
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    if db is not None and kind in ("employees", "grants"):
        touched.update(row[0] for k, row in new.items() if k not in matched)
        if touched:
            gained, lost = _eligibility_changes(db, kind, prepared.rows, touched, old_people, old_grants)
    return ImportDiff(kind=kind, before=len(matched) + removed, after=len(prepared.rows), added=added,
                      changed=changed, removed=removed, became_eligible=gained, no_longer_eligible=lost)


def _eligibility_changes(db: Database, kind: str, rows: Sequence[tuple[Any, ...]],
                         affected: set[str], old_people: dict[str, tuple[Any, ...]],
                         old_grants: dict[str, list[tuple[Any, ...]]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Employees (among affected) who are Eligible Employees only before, or only after, the import."""
    from bot.calc import is_eligible_option
    from bot.calc.eligibility import employee_rule_reasons
    from bot.calc.records import Employee

    def eligible(employee: Employee | None, grant_rows: Sequence[tuple[Any, ...]]) -> bool:
        return (employee is not None and not employee_rule_reasons(employee)
                and any(is_eligible_option(store.grant_from_row(g)) for g in grant_rows))

    if kind == "grants":
        people = {e.employee_id: e for e in store.employees(db)} if len(affected) > 1000 else {
            eid: store.employee(db, eid) for eid in affected}
        new_grants: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            if row[0] in affected and _candidate(row):
                new_grants.setdefault(row[0], []).append(row)
        before = {eid: eligible(people.get(eid), old_grants.get(eid, ())) for eid in affected}
        after = {eid: eligible(people.get(eid), new_grants.get(eid, ())) for eid in affected}
    else:
        stored = store.all_grants(db, candidates_only=True)
        new_people = {row[0]: row for row in rows if row[0] in affected}

        def eligible_person(records: dict[str, tuple[Any, ...]], eid: str) -> bool:
            row = records.get(eid)
            return (row is not None and not employee_rule_reasons(store.employee_from_row(row))
                    and any(is_eligible_option(g) for g in stored.get(eid, ())))

        before = {eid: eligible_person(old_people, eid) for eid in affected}
        after = {eid: eligible_person(new_people, eid) for eid in affected}
    gained = tuple(sorted(eid for eid in affected if after[eid] and not before[eid]))
    lost = tuple(sorted(eid for eid in affected if before[eid] and not after[eid]))
    return gained, lost


def apply(db: Database, prepared: PreparedImport) -> ImportResult:
    """Replace the stored rows of the file's kind with its rows (see bot.store.replace_rows)."""
    if prepared.kind == "closes":
        from datetime import timezone

        from bot import tracking

        before = int(db.conn.execute("SELECT count(*) FROM closes").fetchone()[0])
        tracking.replace_closes(db, prepared.rows, datetime.now(timezone.utc))
        return ImportResult(kind=prepared.kind, path=prepared.path, rows=len(prepared.rows), replaced=before,
                            notes=prepared.notes)
    before = store.count(db, prepared.kind)
    store.replace_rows(db, prepared.kind, prepared.rows, prepared.columns)
    return ImportResult(kind=prepared.kind, path=prepared.path, rows=len(prepared.rows), replaced=before,
                        notes=prepared.notes)


def import_file(db: Database, kind: str, path: str | Path) -> ImportResult:
    """Check a file and, if it is good, replace the stored rows of its kind (no questions asked)."""
    return apply(db, prepare(kind, path, db))
