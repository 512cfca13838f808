"""SQLite storage of the imported data: employees, grants, grid, rates, rulings, elections.

Only this module knows the tables' layout. Decimals are stored as TEXT so that
nothing passes through a float ("33.0000" stays exactly what the file said);
dates as ISO text; flags as 0/1. Other parts of the assistant add their own
tables in their own modules.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import logging
import re
import time
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from bot.calc.records import Employee, Grant, GridPoint, SeriesKey, positional_constructor
from bot.elections import ElectionRecord
from bot.config import Settings, data_path
from bot.db import Database, write_transaction

log = logging.getLogger("sotp.store")

EMPLOYEE_COLUMNS: tuple[str, ...] = (
    "employee_id", "name", "email", "slack_user_id", "country", "level", "worker_type", "status",
)
GRANT_COLUMNS: tuple[str, ...] = (
    "employee_id", "grant_number", "grant_date", "grant_type", "plan", "exercise_price",
    "granted", "exercised", "cancelled", "expiration_date", "multi_year_grant",
)
GRID_COLUMNS: tuple[str, ...] = (
    "exercise_price", "expiration_date", "multi_year_grant", "average_closing_price", "price_per_option",
)

# Tables this module owns, in the order data kinds are described in the issue.
KINDS: tuple[str, ...] = ("employees", "grants", "grid", "rates", "rulings", "elections")
ELECTION_COLUMNS: tuple[str, ...] = (
    "employee_id", "action", "method", "submitted_at", "signed_form_received_at",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS employees (
    employee_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    slack_user_id TEXT,
    country TEXT NOT NULL,
    level INTEGER NOT NULL,
    worker_type TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_employees_email ON employees (lower(email));
CREATE INDEX IF NOT EXISTS idx_employees_slack ON employees (slack_user_id);
CREATE TABLE IF NOT EXISTS grants (
    employee_id TEXT NOT NULL,
    grant_number TEXT NOT NULL,
    grant_date TEXT NOT NULL,
    grant_type TEXT NOT NULL,
    plan TEXT NOT NULL,
    exercise_price TEXT NOT NULL,
    granted INTEGER NOT NULL,
    exercised INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    expiration_date TEXT NOT NULL,
    multi_year_grant INTEGER NOT NULL,
    PRIMARY KEY (employee_id, grant_number)
);
CREATE INDEX IF NOT EXISTS idx_grants_employee ON grants (employee_id);
CREATE TABLE IF NOT EXISTS grid (
    exercise_price TEXT NOT NULL,
    expiration_date TEXT NOT NULL,
    multi_year_grant INTEGER NOT NULL,
    average_closing_price TEXT NOT NULL,
    price_per_option TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rates (
    country TEXT PRIMARY KEY,
    top_marginal_rate TEXT NOT NULL,
    basis TEXT,
    source TEXT
);
CREATE TABLE IF NOT EXISTS rulings (
    country TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS elections (
    employee_id TEXT NOT NULL,
    action TEXT NOT NULL,
    method TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    signed_form_received_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_elections_employee ON elections (employee_id, submitted_at);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""

# Migration 31: the employees import's optional `time_zone` column (IANA name; empty = by country).
TIME_ZONE_COLUMN = "ALTER TABLE employees ADD COLUMN time_zone TEXT;"

# A person's grants in the order estimates list them, every column in the index: the single
# estimate's query reads them from the index alone, already sorted (no table look-ups, no sort).
PERSON_GRANTS_INDEX = (
    "CREATE INDEX IF NOT EXISTS idx_grants_person ON grants (employee_id, grant_date, grant_number, "
    "grant_type, plan, exercise_price, granted, exercised, cancelled, expiration_date, multi_year_grant);"
)

# A person's estimate input as one value, the JSON array employee_with_grants reads: the employee's
# columns, then their grants (after employee_id, the rest of GRANT_COLUMNS, one array each) in the
# covering index's order. `key` is what the grants' employee_id must equal.
_GRANT_JSON_COLUMNS = GRANT_COLUMNS[1:]


def _person_json(key: str) -> str:
    return (f"'[' || json_array({', '.join('employees.' + c for c in EMPLOYEE_COLUMNS)}) || ',' || "
            f"(SELECT json_group_array(json_array({', '.join(_GRANT_JSON_COLUMNS)})) FROM grants "
            f"WHERE employee_id = {key}) || ']'")


# Migration 19: each person's value above, kept by SQLite itself (building it, mostly the grants'
# json_group_array, was most of a single estimate's query). Any write to a person's employee row or
# grants deletes their document, by trigger, so no writer can leave one stale; reads fall back to
# building the value when there is none, so a missing document costs time, never correctness.
# Imports, the demo build and this migration fill the missing ones (fill_person_docs).
# Whose document a write drops: each trigger's name, event and the person(s) the changed row names.
_PERSON_DOC_TRIGGERS = (("inserted", "INSERT", "= NEW.employee_id"), ("deleted", "DELETE", "= OLD.employee_id"),
                        ("updated", "UPDATE", "IN (OLD.employee_id, NEW.employee_id)"))
PERSON_DOCS_SCHEMA = """
CREATE TABLE IF NOT EXISTS person_docs (
    employee_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) WITHOUT ROWID;
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS person_docs_{row}_{name} AFTER {event} ON {table} BEGIN\n"
    f"    DELETE FROM person_docs WHERE employee_id {who};\nEND;\n"
    for table, row in (("grants", "grant"), ("employees", "employee")) for name, event, who in _PERSON_DOC_TRIGGERS)
# The kinds whose rows make up the documents: replacing one drops them all.
PERSON_KINDS = frozenset({"employees", "grants"})


def open_db(path: str | Path, *, create: bool = True) -> Database:
    """Open (creating if needed, unless create=False) the database, every table up to date (bot.db)."""
    from bot.db import connect

    return connect(path, create=create)


# --- writes -------------------------------------------------------------------------

# A replacement is written into a staging table in short transactions, pausing between them
# for longer than SQLite's busy handler sleeps (100 ms at most), so another connection's write
# always finds the lock free within one chunk and a pause; then one short transaction swaps the
# tables by renaming them. Nobody waits for the whole of a 2.7-million-row import.
CHUNK_SECONDS = 0.25
CHUNK_PAUSE_SECONDS = 0.11
_BATCH_ROWS = 2_000
SMALL_TABLE_ROWS = 100_000   # a table this small is dropped at once (well under 0.1 s)
_DOCS_BATCH = 200            # person documents per statement: each holds all of a person's grants


def replace_rows(db: Database, kind: str, rows: Iterable[Sequence[Any]],
                 columns: Sequence[str], *, chunk_seconds: float = CHUNK_SECONDS,
                 pause_seconds: float = CHUNK_PAUSE_SECONDS) -> None:
    """Replace every row of one kind: all or nothing, without holding the write lock for long.

    Inside a transaction the caller already holds (the demo build writes two kinds at
    once), the rows are replaced within it instead.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown data kind: {kind}")
    insert = f"INSERT INTO {{table}} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    if db.conn.in_transaction:
        with write_transaction(db), _triggers_set_aside(db, kind):
            db.conn.execute(f"DELETE FROM {kind}")
            db.conn.executemany(insert.format(table=kind), rows)
            _touch(db, kind)
        return   # the caller fills the person documents once, at the end of its transaction
    staging, retired = f"{kind}_staging", f"{kind}_retired"
    _retire(db, staging, chunk_seconds, pause_seconds)   # left by an import that was killed
    _retire(db, retired, chunk_seconds, pause_seconds)
    with write_transaction(db):
        for statement in _staging_schema(db, kind, staging):
            db.conn.execute(statement)
    try:
        source = iter(rows)
        sql = insert.format(table=staging)
        while True:
            started = time.monotonic()
            with write_transaction(db):
                more = True
                while time.monotonic() - started < chunk_seconds:
                    batch = list(itertools.islice(source, _BATCH_ROWS))
                    if batch:
                        db.conn.executemany(sql, batch)
                    if len(batch) < _BATCH_ROWS:
                        more = False
                        break
            if not more:
                break
            time.sleep(pause_seconds)
        if kind in PERSON_KINDS:
            # The swap deletes every person document; at once, 57,500 of them for 2.7 million grants
            # held the write lock 1.6 s. Deleted beforehand, a chunk at a time, they leave the swap
            # little to do: until the fill, reads build each person's value (slower, never wrong).
            _delete_in_chunks(db, "person_docs", "employee_id", _DOCS_BATCH, chunk_seconds, pause_seconds)
        with write_transaction(db), _triggers_set_aside(db, kind):
            db.conn.execute(f"ALTER TABLE {kind} RENAME TO {retired}")
            db.conn.execute(f"ALTER TABLE {staging} RENAME TO {kind}")
            _touch(db, kind)
    except BaseException:
        with contextlib.suppress(Exception):
            _retire(db, staging, chunk_seconds, pause_seconds)
        raise
    if kind in PERSON_KINDS:
        try:
            fill_person_docs(db, chunk_seconds=chunk_seconds, pause_seconds=pause_seconds)
        except Exception:   # the rows are in: without documents reads are slower, not wrong
            log.warning("person documents not filled after the %s import", kind, exc_info=True)
    _retire(db, retired, chunk_seconds, pause_seconds)


@contextlib.contextmanager
def _triggers_set_aside(db: Database, kind: str) -> Iterator[None]:
    """Inside the caller's transaction: the table's triggers dropped for the block and created again
    after it (on whichever table then has the name), and, for a kind the person documents are made
    of, every document deleted.

    A replacement rewrites every row, so firing a trigger per row would only delete the same
    documents one by one; and renaming a table takes its triggers along to the retired copy, so
    the staging table swapped in would have none.
    """
    triggers = db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                               (kind,)).fetchall()
    for name, _ in triggers:
        db.conn.execute(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        db.conn.execute(sql)
    if kind in PERSON_KINDS:
        db.conn.execute("DELETE FROM person_docs")


_FILL_PERSON_DOCS = (
    f"INSERT INTO person_docs (employee_id, doc) SELECT employee_id, {_person_json('employees.employee_id')} "
    "FROM employees WHERE (?1 IS NULL OR employee_id > ?1) AND (?2 IS NULL OR employee_id <= ?2) "
    "AND NOT EXISTS (SELECT 1 FROM person_docs d WHERE d.employee_id = employees.employee_id)"
)
# People per statement of a chunked fill: 500 with 2.7 million grants is about 30 ms, so a
# transaction overruns chunk_seconds by little (2,000 held the write lock up to 0.5 s).
_FILL_BATCH_PEOPLE = 500
_FILL_UPPER_BOUND = ("SELECT employee_id FROM employees WHERE (?1 IS NULL OR employee_id > ?1) "
                     "ORDER BY employee_id LIMIT 1 OFFSET ?2")


def fill_person_docs(db: Database, *, chunk_seconds: float | None = None,
                     pause_seconds: float = CHUNK_PAUSE_SECONDS) -> int:
    """Build the missing person documents; returns how many were built.

    In one statement (inside the caller's transaction, if one is open, else its own), or with
    chunk_seconds, in transactions of about that long with pauses between them, as replace_rows
    writes, so that no other writer waits for all of a large population.
    """
    conn = db.conn
    if chunk_seconds is None or conn.in_transaction:
        with write_transaction(db):
            return conn.execute(_FILL_PERSON_DOCS, (None, None)).rowcount
    built, low, done = 0, None, False
    while not done:
        started = time.monotonic()
        with write_transaction(db):
            while True:   # at least one batch per transaction, however short chunk_seconds is
                row = conn.execute(_FILL_UPPER_BOUND, (low, _FILL_BATCH_PEOPLE - 1)).fetchone()
                high = None if row is None else row[0]
                built += conn.execute(_FILL_PERSON_DOCS, (low, high)).rowcount
                done, low = high is None, high
                if done or time.monotonic() - started >= chunk_seconds:
                    break
        if not done:
            time.sleep(pause_seconds)
    return built


def _retire(db: Database, table: str, chunk_seconds: float, pause_seconds: float) -> None:
    """Drop a table without holding the write lock for long: dropping 2.7 million rows at once
    takes most of a second, and so does dropping one of their indexes (1.45 s measured for the
    grants' covering index), so the rows go a chunk at a time, indexes and all, and the emptied
    table last."""
    exists = db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if exists is None:
        return
    rows = db.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    if rows > SMALL_TABLE_ROWS:   # a smaller one is dropped in a few milliseconds: at once
        _delete_in_chunks(db, table, "rowid", _BATCH_ROWS, chunk_seconds, pause_seconds)
    with write_transaction(db):
        db.conn.execute(f"DROP TABLE IF EXISTS {table}")


def _delete_in_chunks(db: Database, table: str, key: str, batch: int, chunk_seconds: float,
                      pause_seconds: float) -> None:
    """Every row of a table deleted in transactions of about chunk_seconds, pausing between them."""
    delete = f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} LIMIT {batch})"
    while True:
        started = time.monotonic()
        with write_transaction(db):
            while True:
                if db.conn.execute(delete).rowcount < batch:
                    return
                if time.monotonic() - started >= chunk_seconds:
                    break
        time.sleep(pause_seconds)


def _staging_schema(db: Database, kind: str, staging: str) -> list[str]:
    """The live table's own CREATE statements (as migrations left it), for the staging table.

    SQLite cannot rename an index, and the live table's index names are taken while
    both tables exist, so each index alternates between its name and name + "_b".
    Triggers are left out: the staging table is filled without them, and the swap
    moves the live table's triggers over to it (_triggers_set_aside).
    """
    rows = db.conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
        "AND type IN ('table', 'index') ORDER BY type = 'index', name", (kind,)).fetchall()
    out = []
    for kind_of, name, sql in rows:
        if kind_of == "table":
            out.append(re.sub(rf"^CREATE TABLE \"?{kind}\"?", f"CREATE TABLE {staging}", sql))
        elif kind_of == "index":
            other = name[:-2] if name.endswith("_b") else f"{name}_b"
            out.append(re.sub(rf"^CREATE (UNIQUE )?INDEX \"?{re.escape(name)}\"? ON \"?{kind}\"?",
                              lambda m: f"CREATE {m.group(1) or ''}INDEX {other} ON {staging}", sql))
    return out


def _touch(db: Database, kind: str) -> None:
    """Record when a kind of data last changed (caches of derived figures key on it)."""
    db.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (f"{kind}_version", f"{time.time_ns()}"),
    )


def set_meta(db: Database, key: str, value: str) -> None:
    with write_transaction(db):
        db.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def meta(db: Database, key: str) -> str | None:
    row = db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def version(db: Database, kind: str) -> str:
    """An opaque stamp that changes whenever that kind of data is replaced."""
    return meta(db, f"{kind}_version") or "0"


# --- reads --------------------------------------------------------------------------

_EMPLOYEE_SELECT = f"SELECT {', '.join(EMPLOYEE_COLUMNS)} FROM employees"
_GRANT_SELECT = f"SELECT {', '.join(GRANT_COLUMNS)} FROM grants"


_make_employee = positional_constructor(Employee)
_make_grant = positional_constructor(Grant)


def _employee(row: Sequence[Any]) -> Employee:
    # employee_id, name, email, slack_user_id, country, level, worker_type, status
    return _make_employee(row[0], row[1], row[2], row[3] or None, row[4], int(row[5]), row[6], row[7])


# A population has few distinct prices and dates: parse each string once.
_DECIMALS: dict[str, Decimal] = {}
_DATES: dict[str, date] = {}
_PARSE_CACHE_LIMIT = 50_000


def _dec(text: str) -> Decimal:
    value = _DECIMALS.get(text)
    if value is None:
        if len(_DECIMALS) >= _PARSE_CACHE_LIMIT:
            _DECIMALS.clear()
        value = _DECIMALS[text] = Decimal(text)
    return value


def _day(text: str) -> date:
    value = _DATES.get(text)
    if value is None:
        if len(_DATES) >= _PARSE_CACHE_LIMIT:
            _DATES.clear()
        value = _DATES[text] = date.fromisoformat(text)
    return value


def _grant(row: Sequence[Any]) -> Grant:
    eid, number, granted_on, kind, plan, price, granted, exercised, cancelled, expires, myg = row
    return _make_grant(eid, number, _day(granted_on), kind, plan, _dec(price), granted, exercised, cancelled,
                       _day(expires), bool(myg))


employee_from_row = _employee   # a row in EMPLOYEE_COLUMNS order, as stored or as an import reads it
grant_from_row = _grant         # a row in GRANT_COLUMNS order


def employee(db: Database, employee_id: str) -> Employee | None:
    row = db.conn.execute(f"{_EMPLOYEE_SELECT} WHERE employee_id = ?", (employee_id,)).fetchone()
    return None if row is None else _employee(row)


# The person and their grants in one value (_person_json): one column instead of nine, since Python's
# sqlite3 asks SQLite for each column's type, bytes and text, each under the connection's mutex. The
# stored document (migration 19) when there is one: the triggers keep one only for a person whose rows
# are unchanged since it was built, and none for an employee who is not there. Else the value built
# from the rows (building it was 44k of a read's 76k instructions, in callgrind). The
# grants come unordered (the covering index gives them in its order, but nothing relies on it: they
# are sorted below).
_DOC_SELECT = "SELECT doc FROM person_docs WHERE employee_id = ?"
_PERSON_SELECT = f"SELECT {_person_json('?1')} FROM employees WHERE employee_id = ?1"
_EMPLOYEE_OF_SELECT = f"{_EMPLOYEE_SELECT} WHERE employee_id = ?"
_GRANTS_OF_SELECT = f"{_GRANT_SELECT} WHERE employee_id = ? ORDER BY grant_date, grant_number"

# Records are immutable, so a row read again gives the records built the first time: building
# the Employee and its Grants (eleven fields, two parsed) cost more than the query. Keyed on the
# text exactly as read, so a changed employee or grant is a new key and can never give an old
# record.
_PEOPLE: dict[str, tuple[Employee, tuple[Grant, ...]]] = {}
_PEOPLE_CACHE_LIMIT = 20_000
_LEVEL = EMPLOYEE_COLUMNS.index("level")
_by_date_and_number = itemgetter(1, 0)   # a JSON grant's (grant_date, grant_number): estimate order


def _person_records(db: Database, text: str) -> tuple[Employee, tuple[Grant, ...]]:
    """The records of one _PERSON_SELECT value (a cache miss)."""
    person, values = json.loads(text)
    if type(person[_LEVEL]) is int:
        found = _employee(person)
    else:
        # Not an INTEGER in the level column (never written by the importers): JSON would print a
        # REAL to 15 digits, so such a person is read as the values SQLite stores.
        found = _employee(db.conn.execute(_EMPLOYEE_OF_SELECT, (person[0],)).fetchone())
    eid = found.employee_id
    # ISO dates and BINARY-collated text sort in Python as in SQLite's ORDER BY grant_date, grant_number.
    values.sort(key=_by_date_and_number)
    make, day, dec = _make_grant, _day, _dec
    grants: list[Grant] = []
    for number, granted_on, kind, plan, price, granted, exercised, cancelled, expires, myg in values:
        if not type(granted) is type(exercised) is type(cancelled) is type(myg) is int:
            # The same for a REAL in a grant's INTEGER column.
            return found, tuple(_grant(r) for r in db.conn.execute(_GRANTS_OF_SELECT, (eid,)))
        grants.append(make(eid, number, day(granted_on), kind, plan, dec(price), granted, exercised, cancelled,
                           day(expires), bool(myg)))
    return found, tuple(grants)


def employee_with_grants(db: Database, employee_id: str) -> tuple[Employee, list[Grant]] | None:
    """An employee and their grants from one value: their stored document, else the value built in
    one query (the hot path of single estimates)."""
    row = db.conn.execute(_DOC_SELECT, (employee_id,)).fetchone()
    if row is None:
        row = db.conn.execute(_PERSON_SELECT, (employee_id,)).fetchone()
        if row is None:
            return None
    text = row[0]
    found = _PEOPLE.get(text)
    if found is None:
        if len(_PEOPLE) >= _PEOPLE_CACHE_LIMIT:
            _PEOPLE.clear()
        found = _PEOPLE[text] = _person_records(db, text)
    return found[0], list(found[1])


def employee_by_email(db: Database, email: str) -> Employee | None:
    """Case-insensitive: mail systems do not preserve the case people type."""
    row = db.conn.execute(
        f"{_EMPLOYEE_SELECT} WHERE lower(email) = lower(?)", (email.strip(),)
    ).fetchone()
    return None if row is None else _employee(row)


def employee_by_slack_id(db: Database, slack_user_id: str) -> Employee | None:
    row = db.conn.execute(f"{_EMPLOYEE_SELECT} WHERE slack_user_id = ?", (slack_user_id,)).fetchone()
    return None if row is None else _employee(row)


def employees_on_slack(db: Database, limit: int) -> list[Employee]:
    """Employees with a Slack user id on record, the first limit of them by id (the Slack directory's load)."""
    return [_employee(r) for r in db.conn.execute(
        f"{_EMPLOYEE_SELECT} WHERE slack_user_id IS NOT NULL AND slack_user_id != '' ORDER BY employee_id LIMIT ?",
        (limit,))]


def employees(db: Database) -> list[Employee]:
    return [_employee(r) for r in db.conn.execute(f"{_EMPLOYEE_SELECT} ORDER BY employee_id")]


def employee_ids(db: Database) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT employee_id FROM employees ORDER BY employee_id")]


def grants_for(db: Database, employee_id: str) -> list[Grant]:
    rows = db.conn.execute(
        f"{_GRANT_SELECT} WHERE employee_id = ? ORDER BY grant_date, grant_number", (employee_id,)
    )
    return [_grant(r) for r in rows]


_ELECTION_SELECT = f"SELECT {', '.join(ELECTION_COLUMNS)} FROM elections"


def _election(row: Sequence[Any]) -> ElectionRecord:
    return ElectionRecord(row[0], row[1], row[2], datetime.fromisoformat(row[3]),
                          datetime.fromisoformat(row[4]) if row[4] else None)


def elections_of(db: Database, employee_id: str) -> list[ElectionRecord]:
    """Every recorded election and withdrawal of one employee, oldest first."""
    rows = db.conn.execute(f"{_ELECTION_SELECT} WHERE employee_id = ? ORDER BY submitted_at", (employee_id,))
    return [_election(r) for r in rows]


def time_zones(db: Database) -> dict[str, str]:
    """Employees who have a time zone of their own (employees.csv `time_zone`), by employee id."""
    rows = db.conn.execute("SELECT employee_id, time_zone FROM employees WHERE coalesce(time_zone, '') != ''")
    return {eid: zone for eid, zone in rows}


def all_elections(db: Database) -> dict[str, list[ElectionRecord]]:
    """Every employee's election records, oldest first (one query, for planning over a population)."""
    out: dict[str, list[ElectionRecord]] = {}
    for row in db.conn.execute(f"{_ELECTION_SELECT} ORDER BY employee_id, submitted_at"):
        out.setdefault(row[0], []).append(_election(row))
    return out


# The grants that MAY be Eligible Options (plan, outstanding, a price not far below $33 as a float
# pre-filter); bot.calc applies the exact rules to what this keeps.
_CANDIDATE_GRANTS = ("plan IN ('1991', '2001', 'visio', 'sar1997') AND granted - exercised - cancelled > 0"
                     " AND CAST(exercise_price AS REAL) >= 32.99")
# Of the candidates, one per distinct (plan, exercise price, expiration date): a population has a hundred or so.
_PLAN, _PRICE, _EXPIRES = (GRANT_COLUMNS.index(c) for c in ("plan", "exercise_price", "expiration_date"))
_CANDIDATE_TERMS_SELECT = (f"SELECT {', '.join(GRANT_COLUMNS)} FROM grants WHERE rowid IN "
                           f"(SELECT min(rowid) FROM grants WHERE {_CANDIDATE_GRANTS} "
                           "GROUP BY plan, exercise_price, expiration_date) ORDER BY rowid")


def candidate_grant_terms(db: Database) -> list[tuple[tuple[str, str, str], Grant]]:
    """One candidate grant (all_grants(candidates_only=True)) of each distinct (plan, exercise price,
    expiration date) among them, with those terms as stored (employees_holding takes them), for
    deciding each once."""
    out: list[tuple[tuple[str, str, str], Grant]] = []
    for row in db.conn.execute(_CANDIDATE_TERMS_SELECT):
        grant = _grant(row)
        out.append(((row[_PLAN], row[_PRICE], row[_EXPIRES]), grant))
    return out


def employees_with_candidates(db: Database, excluding: Sequence[tuple[str, str, str]] = ()) -> list[Employee]:
    """The employees (in id order) holding a candidate grant (all_grants(candidates_only=True)) whose
    (plan, exercise price, expiration date), as stored, is not one of `excluding`."""
    sql = (f"{_EMPLOYEE_SELECT} WHERE EXISTS (SELECT 1 FROM grants WHERE grants.employee_id = employees.employee_id "
           f"AND {_CANDIDATE_GRANTS}")
    if excluding:
        terms = ", ".join(["(?, ?, ?)"] * len(excluding))
        sql += f" AND (plan, exercise_price, expiration_date) NOT IN (VALUES {terms})"
    rows = db.conn.execute(sql + ") ORDER BY employee_id", [value for term in excluding for value in term])
    return [_employee(row) for row in rows]


def all_grants(db: Database, *, candidates_only: bool = False) -> dict[str, list[Grant]]:
    """Every employee's grants, for population totals (one query, not one per employee).

    candidates_only keeps the grants that MAY be Eligible Options (plan, outstanding,
    a price not far below $33 as a float pre-filter); bot.calc applies the exact rules.
    """
    sql = _GRANT_SELECT
    if candidates_only:
        sql += f" WHERE {_CANDIDATE_GRANTS}"
    out: dict[str, list[Grant]] = {}
    for row in db.conn.execute(sql + " ORDER BY employee_id, grant_date, grant_number"):
        grant = _grant(row)
        bucket = out.get(grant.employee_id)
        if bucket is None:
            out[grant.employee_id] = [grant]
        else:
            bucket.append(grant)
    return out


def count(db: Database, kind: str) -> int:
    if kind not in KINDS:
        raise ValueError(f"unknown data kind: {kind}")
    return int(db.conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0])


def grid_points(db: Database) -> list[GridPoint]:
    rows = db.conn.execute(f"SELECT {', '.join(GRID_COLUMNS)} FROM grid")
    return [
        GridPoint(
            series=SeriesKey(Decimal(p), date.fromisoformat(e), bool(m)),
            average_closing_price=Decimal(acp),
            price_per_option=Decimal(price),
        )
        for p, e, m, acp, price in rows
    ]


def shipped_rates() -> dict[str, Decimal]:
    """The documented 2003 top marginal rates shipped in bot/data/top_marginal_rates.csv."""
    with data_path("top_marginal_rates.csv").open(encoding="utf-8", newline="") as fh:
        return {row["country"]: Decimal(row["top_marginal_rate"]) for row in csv.DictReader(fh)}


def rates(db: Database) -> dict[str, Decimal]:
    """Imported top marginal rates; the shipped table when none were imported."""
    rows = db.conn.execute("SELECT country, top_marginal_rate FROM rates").fetchall()
    if not rows:
        return shipped_rates()
    return {country: Decimal(rate) for country, rate in rows}


def rulings(db: Database, settings: Settings) -> dict[str, str]:
    """Tax ruling status per ruling country: configuration, overridden by `sotp import rulings`."""
    out = {str(k): str(v) for k, v in settings.rulings.items()}
    for country, status in db.conn.execute("SELECT country, status FROM rulings"):
        out[country] = status
    return out
