"""The Slack inbound ledger: a DM, a mention or a /sotp command is stored before Slack gets its ack.

Slack does not deliver an acked event again, so a process that dies between the
ack and the turn's commit would lose the message for good. The listeners'
store step writes the raw event here (one INSERT) and only then acks; the work
runs after the ack and marks the row done once its turn committed. Rows still
pending (a crash, a kill -9, a turn that failed) are taken up again at start-up
and then every few seconds; the core's ledger answers a message id once, so a
row worked twice sends nothing twice. A key already stored (Slack's retry of an
event) is acked and not worked again. Rows are never deleted, as email_inbound's.

The ledger is a SQLite file of its own beside the database (`sotp.db` ->
`sotp-slack-inbound.db`, ledger_path): the store before an ack then never waits for
the write lock that every turn of the core holds on the database. Measured with it in
the database, under load the acks queued behind the turns past Slack's 3 seconds,
and Slack sent the events again. Pending rows that an older version left in the
database's own slack_inbound table are moved here at start-up (adopt_legacy).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from pathlib import Path

from bot.db import Connections, Database, checkpoints_apart, write_transaction
from bot.groupcommit import GroupCommit
from bot.schema import Migration, apply_migrations, script

log = logging.getLogger("sotp.slack.inbound")

KINDS: tuple[str, ...] = ("message", "command")
SETTLE_SECONDS = 5.0         # a pending row younger than this is still being worked by its own task
EVERY_SECONDS = 5.0          # how often pending rows are looked for
FLUSH_SECONDS = 0.25         # done marks are written together, at most this late
CHECKPOINT_SECONDS = 1.0     # how often a thread checkpoints the file's WAL (never the loop, in a commit)
MAX_ATTEMPTS = 5             # a row whose work fails this often is set aside as failed (and logged)

# The ledger file's first migration (MIGRATIONS), and migration 17 of the database, whose table
# older versions wrote (adopt_legacy moves what they left pending).
SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_inbound (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('message', 'command')),
    received_at  REAL NOT NULL,
    bot_user_id  TEXT,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    processed_at REAL,
    note         TEXT
);
CREATE INDEX IF NOT EXISTS slack_inbound_pending ON slack_inbound (received_at, id) WHERE status = 'pending';
"""

MIGRATIONS = (Migration(1, "Slack: the inbound ledger in a file of its own", script(SCHEMA)),)

Work = Callable[[Mapping[str, Any], "str | None"], Awaitable[None]]


def ledger_path(db_path: str | Path) -> Path:
    """The ledger's file, beside the database it belongs to: `sotp.db` -> `sotp-slack-inbound.db`."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}-slack-inbound{path.suffix or '.db'}")


def _migrate(db: Database) -> None:
    apply_migrations(db, MIGRATIONS)


def open_ledger(db_path: str | Path) -> Connections:
    """Per-thread connections to the ledger's file (created, and its schema brought up to date)."""
    return Connections(ledger_path(db_path), schema=_migrate)


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    body: dict[str, Any]
    bot_user_id: str | None
    attempts: int


def event_key(event: Mapping[str, Any]) -> str:
    """The core's message id of a message event (a retry and a mention's two events share it)."""
    return f"{event.get('channel')}:{event.get('ts')}"


def command_key(body: Mapping[str, Any]) -> str:
    return f"{body.get('channel_id') or body.get('user_id')}:command:{body.get('trigger_id')}"


class SlackInboundLedger:
    """The table's reads and writes (each a single statement on the calling thread's connection)."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def store(self, kind: str, key: str, body: Mapping[str, Any], bot_user_id: str | None) -> int | None:
        """One INSERT, committed; the new row's id, or None when the key is stored already."""
        return self.store_many([(kind, key, body, bot_user_id)])[0]

    def store_many(self, items: list[tuple[str, str, Mapping[str, Any], str | None]]) -> list[int | None]:
        """Each (kind, key, body, bot_user_id) INSERTed, all in one transaction: each new row's id, or None
        for a key stored already (by an earlier transaction or earlier in this one).

        In write_transaction so that a busy database is waited for and retried as every
        writer does, rather than failing the request at the first busy timeout. One commit
        for every request that came in meanwhile: each INSERT alone took the write lock the
        turns hold most of the time, and waited for it.
        """
        db = self.connections.db()
        now = time.time()
        ids: list[int | None] = []
        with write_transaction(db):
            for kind, key, body, bot_user_id in items:
                cursor = db.conn.execute(
                    "INSERT INTO slack_inbound (key, kind, received_at, bot_user_id, body) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING", (key, kind, now, bot_user_id, json.dumps(body)))
                ids.append(int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None)
        return ids

    def finish(self, ids: list[int]) -> None:
        if ids:
            marks = ", ".join("?" * len(ids))
            db = self.connections.db()
            with write_transaction(db):
                db.conn.execute(f"UPDATE slack_inbound SET status = 'done', processed_at = ? WHERE id IN ({marks}) "
                                "AND status = 'pending'", (time.time(), *ids))

    def failed(self, row_id: int, note: str) -> int:
        """Count a failed attempt; the row is set aside after MAX_ATTEMPTS. Returns the attempts so far."""
        db = self.connections.db()
        with write_transaction(db):
            db.conn.execute(
                "UPDATE slack_inbound SET attempts = attempts + 1, note = ?, "
                "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE status END "
                "WHERE id = ? AND status = 'pending'", (note[:2000], MAX_ATTEMPTS, row_id))
        found = db.conn.execute("SELECT attempts FROM slack_inbound WHERE id = ?", (row_id,)).fetchone()
        return int(found[0]) if found else 0

    def pending(self, older_than: float, limit: int = 100) -> list[Pending]:
        """Pending rows received before that moment (unix seconds), oldest first."""
        return [Pending(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in self.connections.db().conn.execute(
            "SELECT id, kind, body, bot_user_id, attempts FROM slack_inbound WHERE status = 'pending' "
            "AND received_at <= ? ORDER BY received_at, id LIMIT ?", (older_than, limit))]

    def adopt_legacy(self, database: Connections) -> int:
        """Move the rows an older version left pending in the database's own slack_inbound table here.

        Copied first, then marked moved there: a crash between the two copies nothing twice (the key
        is unique), and the next start marks them. Returns how many were pending there.
        """
        main = database.db()
        rows = main.conn.execute("SELECT key, kind, received_at, bot_user_id, body, attempts FROM slack_inbound "
                                 "WHERE status = 'pending' ORDER BY received_at, id").fetchall()
        if not rows:
            return 0
        with write_transaction(self.connections.db()) as db:
            db.conn.executemany("INSERT INTO slack_inbound (key, kind, received_at, bot_user_id, body, attempts) "
                                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING", rows)
        with write_transaction(main):
            main.conn.executemany("UPDATE slack_inbound SET status = 'done', processed_at = ?, "
                                  "note = 'moved to the ledger file' WHERE key = ? AND status = 'pending'",
                                  [(time.time(), row[0]) for row in rows])
        log.info("slack inbound: %d pending rows moved from the database to %s", len(rows), self.connections.path)
        return len(rows)

    def counts(self) -> dict[str, int]:
        return {status: int(n) for status, n in self.connections.db().conn.execute(
            "SELECT status, count(*) FROM slack_inbound GROUP BY status")}


class Inbound:
    """Store before the ack, work after it, resume what a dead process left pending."""

    def __init__(self, deps: Any) -> None:
        self.deps = deps
        self.ledger = SlackInboundLedger(open_ledger(deps.connections.path))
        self.work: dict[str, Work] = {}          # kind -> what the listener does with a stored row
        self.active: set[int] = set()            # rows this process is working now
        self._done: list[int] = []
        self._flushing: asyncio.Task[None] | None = None
        self.resumed = 0
        self._pool: ThreadPoolExecutor | None = None
        # The stores before each ack, and the marks of rows done, are written on the event loop: only
        # this process writes the file and a commit takes ~0.02 ms, less than a thread hop costs (in
        # `sotp bench slack` at 300 events/s, the service's threads slept and woke 13.7-17.1 times an
        # event with the writer thread, 7.2-12.2 without it).
        self._stores: GroupCommit[tuple[str, str, Mapping[str, Any], str | None], int | None] = GroupCommit(
            self._store_many, inline=True)
        self._apart: contextlib.ExitStack | None = None

    def _store_many(self, items: list[tuple[str, str, Mapping[str, Any], str | None]]) -> list[int | None]:
        """On the loop, whose connection leaves WAL checkpoints to a thread: SQLite runs one inside the
        COMMIT that crosses 1,000 WAL pages (about every 2 s at 300 events a second), and one took
        5-10 ms here, with every request of the loop waiting."""
        if self._apart is None:
            self._apart = contextlib.ExitStack()
            self._apart.enter_context(checkpoints_apart(self.ledger.connections.db(), every=CHECKPOINT_SECONDS))
        return self.ledger.store_many(items)

    def _writer(self) -> ThreadPoolExecutor:
        """Its own thread, for the longer work (the look for pending rows, the move of an older
        version's rows): never behind turns in the default pool."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="slack-inbound")
        return self._pool

    def close(self, *, final: bool = True) -> None:
        """Stop the writer and checkpoint threads; final (the service stops, not a restart of the component)
        closes the file too."""
        if self._apart is not None:
            self._apart.close()
            self._apart = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if final:
            self.ledger.connections.close()

    def on(self, kind: str, work: Work) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.work[kind] = work

    async def store(self, kind: str, key: str, body: Mapping[str, Any], bot_user_id: str | None) -> int | None:
        """Called before the ack: the row's id, or None for a key already stored (nothing to work).

        Returns once the row is committed. Requests that arrive while a store is being
        written are committed together in the next one (group commit).
        """
        return await self._stores.submit((kind, key, body, bot_user_id))

    def start(self, row_id: int, kind: str, body: Mapping[str, Any], bot_user_id: str | None) -> None:
        """Work a stored row after the ack, as a task the component waits for at shutdown."""
        if row_id in self.active:   # resume() and the listener both came for it: once is enough
            return
        self.active.add(row_id)
        self.deps.track(self._run(row_id, kind, body, bot_user_id), f"slack.{kind}")

    async def _run(self, row_id: int, kind: str, body: Mapping[str, Any], bot_user_id: str | None) -> None:
        try:
            await self.work[kind](body, bot_user_id)
        except Exception as exc:
            attempts = await asyncio.to_thread(self.ledger.failed, row_id, f"{type(exc).__name__}: {exc}")
            log.warning("slack inbound row=%d failed (attempt %d of %d): %s", row_id, attempts, MAX_ATTEMPTS,
                        type(exc).__name__)
            return
        finally:
            self.active.discard(row_id)
        self._done.append(row_id)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Mark the finished rows done, all in one UPDATE (a row left pending by a crash is only re-asked)."""
        ids, self._done = self._done, []
        if ids:
            try:
                self.ledger.finish(ids)     # one UPDATE: on the loop, as the stores
            except Exception as exc:     # the database busy: they are marked on the next flush
                self._done = ids + self._done
                log.warning("slack inbound: could not mark %d rows done: %s", len(ids), type(exc).__name__)

    async def adopt_legacy(self) -> int:
        """At start-up: what an older version left pending in the database's table, worked from here."""
        return await asyncio.get_running_loop().run_in_executor(self._writer(), self.ledger.adopt_legacy,
                                                                self.deps.connections)

    async def resume(self, older_than: float) -> int:
        """Work the pending rows received before that moment that no task of this process is working."""
        await self.flush()
        rows = await asyncio.get_running_loop().run_in_executor(self._writer(), self.ledger.pending, older_than)
        started = 0
        for row in rows:
            if row.id in self.active or row.id in self._done or row.kind not in self.work:
                continue
            log.info("slack inbound row=%d resumed (%s, attempt %d)", row.id, row.kind, row.attempts + 1)
            self.start(row.id, row.kind, row.body, row.bot_user_id)
            started += 1
        self.resumed += started
        return started

    async def run(self, stop: asyncio.Event, *, first: bool = True) -> None:
        """At start-up (first) everything pending is from a process before this one; then every EVERY_SECONDS."""
        if first:
            try:
                await self.resume(time.time())
            except Exception as exc:
                log.error("slack inbound: resume failed: %s: %s", type(exc).__name__, exc)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), EVERY_SECONDS)
                break
            except asyncio.TimeoutError:
                pass
            try:
                await self.resume(time.time() - SETTLE_SECONDS)
            except Exception as exc:     # keep going: the next tick tries again
                log.error("slack inbound: resume failed: %s: %s", type(exc).__name__, exc)

    def health(self) -> dict[str, Any]:
        return {"inbound_active": len(self.active), "inbound_resumed": self.resumed}
