"""The one way the assistant opens its SQLite database.

A service calls the conversation core from worker threads and from an asyncio
loop, so connections are per thread (`Connections`), never shared. Schemas are
created and migrated once, by version (`PRAGMA user_version`), so that opening a
database for reading never needs the write lock: during a long import a reader
must not wait on it. Every connection runs in WAL mode with a busy timeout and
with recursive triggers on (so that `REPLACE` fires the audit trail's delete
protection). SQLite's own errors (locked, read-only, not a database) become
`DatabaseUnavailable` errors a person can read; the CLI prints them in one line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

log = logging.getLogger("sotp.db")

# Each attempt at the write lock waits this long inside SQLite (its busy handler backs off
# between tries); a write then tries again a few times, with jittered pauses, before it
# gives up with DatabaseBusy.
BUSY_TIMEOUT_MS = 2000
WRITE_ATTEMPTS = 3
FILE_MODE = 0o600   # the database holds personal data: readable by its owner only
_SAVEPOINT = "sotp_nested"


class Database:
    """One SQLite connection, as every store takes it.

    The stores write their own SQL and their own transactions (`write_transaction`), so
    all they need of a database object is its connection and `execute`. sqlite-utils'
    Database used to play this part; importing it (pluggy, click, dateutil, numpy)
    cost a one-shot `sotp ask` 0.12-0.16 s of CPU, a fifth of the command, for
    nothing the stores called. Recursive triggers are on, so that `REPLACE` fires
    the audit trail's delete protection.
    """

    __slots__ = ("conn", "busy_timeout_ms", "_writers")

    def __init__(self, conn: sqlite3.Connection, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        conn.execute("PRAGMA recursive_triggers = on")
        self.conn = conn
        self.busy_timeout_ms = busy_timeout_ms
        self._writers: threading.RLock | None = None     # this process's queue for the file's write lock

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator["Database"]:
        """The block as one write transaction (a savepoint inside one already open)."""
        with write_transaction(self):
            yield self


# Rows per INSERT statement of insert_rows (each row's values are that many more parameters).
ROWS_PER_INSERT = 1000


def insert_rows(db: Database, insert: str, rows: Sequence[Sequence[Any]], *, on_conflict: str = "") -> int:
    """`insert` VALUES (?, ...), (?, ...), ... `on_conflict` for many rows, in as few statements as fit;
    returns the rows inserted (sqlite3_changes: not those skipped by on_conflict, nor a trigger's).

    The same rows, in the same order, as executemany(insert + " VALUES (?, ...)", rows), and so the same
    ids and the same triggers fired row by row; but SQLite's work per statement (reset, halt, and for a
    table with triggers, such as the audit trail, the statement journal of every page it touches) is
    done once per chunk of ROWS_PER_INSERT rows instead of once per row: a reminder wave's 185,000 rows
    cost half the CPU.
    """
    if not rows:
        return 0
    width = len(rows[0])
    per = max(1, min(ROWS_PER_INSERT, db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    changed = 0
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        params = [value for row in chunk for value in row]
        if len(params) != width * len(chunk):
            raise ValueError(f"insert_rows: every row needs {width} values")
        changed += db.conn.execute(_insert_sql(insert, width, len(chunk), on_conflict), params).rowcount
    return changed


@functools.lru_cache(maxsize=64)
def _insert_sql(insert: str, width: int, count: int, on_conflict: str) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return f"{insert} VALUES {', '.join([row] * count)}{' ' + on_conflict if on_conflict else ''}"


@contextlib.contextmanager
def page_cache(db: Database, kib: int) -> Iterator[None]:
    """The connection's page cache at least `kib` KiB for the block (PRAGMA cache_size), then as it was.

    SQLite's default of 2 MiB is smaller than one transaction of a reminder wave writes
    (2,000 employees: about 6 MB of outbox, audit and index pages), so it wrote dirty pages to
    the WAL before the commit, one write each, and read some back: 15% of the wave's SQLite CPU.
    """
    before = int(db.conn.execute("PRAGMA cache_size").fetchone()[0])
    if before > 0:      # pages
        current = before * int(db.conn.execute("PRAGMA page_size").fetchone()[0]) // 1024
    else:               # KiB
        current = -before
    if current >= kib:
        yield
        return
    db.conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA cache_size = {before}")


@contextlib.contextmanager
def checkpoints_apart(db: Database, *, every: float = 0.05) -> Iterator[Callable[[], None]]:
    """For a long run of big commits: the WAL is checkpointed by a thread of its own, not in each COMMIT.

    SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, so a
    reminder wave (a 6 MB commit per batch) paid for one after every batch, between planning
    that batch and the next. Here the connection's automatic checkpoint is off for the block and
    a thread with a connection of its own runs PASSIVE checkpoints (which never take the write
    lock nor wait for readers; sqlite3 releases the interpreter lock meanwhile), every `every`
    seconds or when woken by the callable the block gets (after a commit). At the end the
    thread stops, one last checkpoint runs here, and the automatic checkpoint is as it was.
    """
    conn = db.conn
    before = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    path = path_of(db)
    wake, stop = threading.Event(), threading.Event()

    def checkpoints() -> None:
        own = connect(path, create=False, migrate=False)
        try:
            while not stop.is_set():
                wake.wait(every)
                wake.clear()
                try:
                    own.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:      # busy or gone: the next round, or the last one, does it
                    log.debug("background checkpoint of %s: %s", path, exc)
        finally:
            own.close()

    conn.execute("PRAGMA wal_autocheckpoint = 0")
    thread = threading.Thread(target=checkpoints, name="wal-checkpoints", daemon=True)
    thread.start()
    try:
        yield wake.set
    finally:
        stop.set()
        wake.set()
        thread.join()
        conn.execute(f"PRAGMA wal_autocheckpoint = {before}")
        if not conn.in_transaction:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


class DatabaseUnavailable(Exception):
    """The database cannot be used right now; the message says what to do."""


class DatabaseMissing(DatabaseUnavailable):
    pass


class DatabaseBusy(DatabaseUnavailable):
    pass


class DatabaseReadOnly(DatabaseUnavailable):
    pass


class DatabaseCorrupt(DatabaseUnavailable):
    pass


def translate(exc: sqlite3.Error, path: str | Path) -> DatabaseUnavailable | None:
    """The readable error for one of SQLite's own, or None if it is a bug of ours (bad SQL)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseBusy(f"the database {path} is busy (another program is writing to it); "
                            "nothing was changed: try again in a moment")
    if "readonly" in text or "read-only" in text:
        return DatabaseReadOnly(read_only_message(path) or
                                f"the database {path} is read-only for this user; nothing was changed")
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return DatabaseCorrupt(f"{path} is not a usable SQLite database (corrupt or another kind of file); "
                               "nothing was changed")
    if "unable to open" in text and (message := read_only_message(path)):
        # WAL mode writes its -wal and -shm files beside the database: a folder that cannot be
        # written fails as "unable to open database file", which would not tell anyone why.
        return DatabaseReadOnly(message)
    if "unable to open" in text or "disk i/o" in text:
        return DatabaseUnavailable(f"the database {path} cannot be opened ({exc}); nothing was changed")
    if "no such table" in text:
        return DatabaseCorrupt(f"the database {path} is missing a table ({exc}); it was changed by hand "
                               "or by another program: see `sotp audit verify`")
    return None


def _folder_read_only(folder: Path) -> str | None:
    """Why no file can be created in this folder (SQLite's -wal and -shm), or None."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"it is on a read-only file system ({folder})"
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return (f"its folder {folder} cannot be written by this user, and SQLite keeps its journal files "
                "beside the database")
    return None


def read_only_message(path: str | Path) -> str | None:
    """Why this user cannot write the database (folder or file), in words, or None if nothing is read-only."""
    path = Path(path)
    if (why := _folder_read_only(path.parent)) is not None:
        return f"the database {path} is read-only: {why}; nothing was changed"
    if path.exists() and not os.access(path, os.W_OK):
        return f"the database {path} is read-only for this user; nothing was changed"
    return None


@contextlib.contextmanager
def readable_errors(path: str | Path) -> Iterator[None]:
    """Turn SQLite's operational errors raised inside the block into DatabaseUnavailable."""
    try:
        yield
    except sqlite3.Error as exc:
        better = translate(exc, path)
        if better is None:
            raise
        raise better from exc


def _create_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    os.close(fd)


def connect(path: str | Path, *, create: bool = True, migrate: bool = True,
            busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """A new connection for the calling thread, the schema brought up to date.

    create=False refuses a path that does not exist (nothing is created). SQLite
    gives the -wal and -shm files the database file's own permissions.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseMissing(f"no database at {path}")
        _create_file(path)
    with readable_errors(path):
        # check_same_thread=False only so that Connections.close() may close every thread's
        # connection at shutdown; each connection is still used by the thread that made it.
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_ms / 1000,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = Database(conn, busy_timeout_ms)
            if migrate:
                from bot.schema import migrate as run_migrations

                run_migrations(db)
        except BaseException:
            conn.close()
            raise
    return db


def connect_read_only(path: str | Path, *,
                      busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """A connection that never writes, for the commands that only read (a copy on read-only media).

    The file is opened with `mode=ro` and never migrated: a database older than the code is
    brought up to date by an ordinary connection when that can write, and refused in one line
    when it cannot. In a folder this user cannot write, SQLite could not make the -shm file a
    WAL reader needs, so the file is opened as `immutable` (no locks, no -shm); unless a -wal
    file holds changes not yet in the database: those are read with `mode=ro` alone, since
    `immutable` would silently ignore them.
    """
    from bot.schema import latest_version

    path = Path(path)
    if not path.exists():
        raise DatabaseMissing(f"no database at {path}")
    wal = path.with_name(path.name + "-wal")
    immutable = _folder_read_only(path.parent) is not None and not (wal.exists() and wal.stat().st_size)
    uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")
    with readable_errors(path):
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            db = Database(conn, busy_timeout_ms)
        except BaseException:
            conn.close()
            raise
    if version >= latest_version():
        return db
    db.close()
    try:
        return connect(path, create=False)      # older than the code: migrate it, if it can be written
    except DatabaseReadOnly:
        raise DatabaseReadOnly(
            f"the database {path} was written by an older version of the assistant (schema version {version}, "
            f"this version needs {latest_version()}) and cannot be brought up to date because it is read-only; "
            "open a writable copy of it once with any sotp command") from None


def path_of(db: Database) -> Path:
    """The file a connection is open on (to open more connections to it)."""
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2])


@contextlib.contextmanager
def write_transaction(db: Database, *, attempts: int = WRITE_ATTEMPTS,
                      sleep: Callable[[float], None] = time.sleep) -> Iterator[Database]:
    """BEGIN IMMEDIATE ... COMMIT, or a savepoint inside a transaction already open.

    The write lock is taken before the first read, so a check and the change it
    allows cannot be split by another writer. A busy database is retried with
    jittered backoff, then DatabaseBusy.
    """
    conn = db.conn
    if conn.in_transaction:
        # One fixed name: savepoints nest, and RELEASE / ROLLBACK TO a name act on the innermost one
        # of that name, which is this block's (a connection is used by one thread). A new name per
        # block made every SAVEPOINT a new statement for SQLite to prepare, and pushed the prepared
        # statements of the turn out of the connection's cache.
        name = _SAVEPOINT
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        return
    writers = _writers_of(db)
    if not writers.acquire(timeout=db.busy_timeout_ms / 1000):
        raise DatabaseBusy(f"the database {path_of(db)} is busy (another thread of this program is writing "
                           "to it); nothing was changed: try again in a moment")
    try:
        begin_immediate(db, attempts=attempts, sleep=sleep)
        with _committed(db):
            yield db
    finally:
        writers.release()


@contextlib.contextmanager
def _committed(db: Database) -> Iterator[None]:
    """The block of a transaction already begun: COMMIT after it, ROLLBACK if it (or the COMMIT) fails."""
    conn = db.conn
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        better = translate(exc, path_of(db))
        if better is None:
            raise
        raise better from exc


@contextlib.contextmanager
def write_if_free(db: Database) -> Iterator[bool]:
    """BEGIN IMMEDIATE ... COMMIT only if the write lock is free this moment: yields True inside the
    transaction, or False (nothing begun) when another thread or process holds the lock.

    For a short write from an event loop, which must never wait for the lock (another process's
    turn may hold it for milliseconds): try now, and hand the write to a thread if it is taken.
    The connection's own automatic checkpoint is off (SQLite runs it inside the COMMIT that
    crosses 1,000 WAL pages, 5-10 ms here): the other connections' commits checkpoint the file.
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write_if_free inside an open transaction")
    writers = _writers_of(db)
    if not writers.acquire(blocking=False):
        yield False
        return
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
            begun = True
        except sqlite3.OperationalError as exc:
            if not isinstance(translate(exc, ""), DatabaseBusy):
                raise
            begun = False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(db.busy_timeout_ms)}")
        if not begun:
            yield False
            return
        with _committed(db):
            yield True
    finally:
        writers.release()


# Threads of one process that write the same file queue on one lock of this process, woken the moment
# the writer before them commits: in SQLite's busy handler they slept in growing steps (1, 2, 5, 10 ...
# 100 ms) and overshot the release, while the thread that had just committed took the lock again.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def _writers_of(db: Database) -> threading.RLock:
    """This process's lock for db's file (reentrant: a thread with a second connection to the same file
    goes on to SQLite's own lock, and gets DatabaseBusy from it as before)."""
    lock = db._writers
    if lock is None:
        key = os.path.realpath(path_of(db))
        with _WRITERS_LOCK:
            lock = _WRITERS.setdefault(key, threading.RLock())
        db._writers = lock
    return lock


# Waiting for another process's write lock: BEGIN IMMEDIATE is tried again after pauses growing from
# 0.2 ms to 2 ms (SQLite's busy handler sleeps up to 100 ms at a time, long past the release).
_POLL_FIRST = 0.0002
_POLL_MAX = 0.002


def _begin(db: Database) -> None:
    """BEGIN IMMEDIATE, waiting up to the connection's busy timeout for the write lock, in short pauses."""
    conn = db.conn
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + db.busy_timeout_ms / 1000
        pause = _POLL_FIRST
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not isinstance(translate(exc, ""), DatabaseBusy) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(_POLL_MAX, pause * 2)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(db.busy_timeout_ms)}")


def begin_immediate(db: Database, *, attempts: int = WRITE_ATTEMPTS,
                    sleep: Callable[[float], None] = time.sleep) -> None:
    """Take the write lock, waiting and retrying while another writer holds it."""
    for attempt in range(1, attempts + 1):
        try:
            _begin(db)
            return
        except sqlite3.OperationalError as exc:
            better = translate(exc, path_of(db))
            if not isinstance(better, DatabaseBusy):
                if better is None:
                    raise
                raise better from exc
            if attempt == attempts:
                raise better from exc
            pause = min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random())
            log.warning("database busy, retrying the write lock in %.2f s (attempt %d of %d)",
                        pause, attempt, attempts)
            sleep(pause)


class _Local(threading.local):
    db: Database | None = None


class Connections:
    """One connection per thread to one database file, the schema migrated once.

    A connection in SQLite may only be used by the thread that made it; a service
    calls the core from several. Opening costs well under a millisecond.
    """

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 schema: Callable[[Database], None] | None = None) -> None:
        """schema: what brings a file other than the assistant's database up to date (e.g. the Slack
        inbound ledger's own file); None runs the database's migrations (bot/schema.py)."""
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = _Local()
        self._all: list[Database] = []
        self._lock = threading.Lock()
        db = connect(self.path, create=create, migrate=schema is None, busy_timeout_ms=busy_timeout_ms)
        if schema is not None:
            try:
                schema(db)
            except BaseException:
                db.close()
                raise
        self._adopt(db)

    @classmethod
    def around(cls, db: Database) -> "Connections":
        """Use an open connection for the calling thread and new ones to its file elsewhere."""
        self = cls.__new__(cls)
        self.path = path_of(db)
        self.busy_timeout_ms = BUSY_TIMEOUT_MS
        self._local = _Local()
        self._all = []
        self._lock = threading.Lock()
        from bot.schema import migrate as run_migrations

        run_migrations(db)
        self._adopt(db, owned=False)
        return self

    def _adopt(self, db: Database, *, owned: bool = True) -> None:
        self._local.db = db
        if owned:
            with self._lock:
                self._all.append(db)

    def db(self) -> Database:
        """This thread's connection."""
        db = self._local.db
        if db is None:
            db = connect(self.path, create=False, migrate=False, busy_timeout_ms=self.busy_timeout_ms)
            self._adopt(db)
        return db

    def close(self) -> None:
        """Close every connection this object opened (call once the threads are done)."""
        with self._lock:
            for db in self._all:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._all.clear()
        self._local.db = None
