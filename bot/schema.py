"""Every table of the assistant's database, created and changed by numbered migrations.

`PRAGMA user_version` records the last migration applied. Opening an up-to-date
database only reads that number, so it never waits for the write lock; a
database behind the code is migrated once, in one BEGIN IMMEDIATE transaction,
by whichever process opens it first. Each table's SQL stays in the module that
owns the table; this list only orders them. A migration is never edited once
released: a change is a new migration at the end.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Callable

from bot.db import Database

log = logging.getLogger("sotp.db")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


def script(sql: str) -> Callable[[Database], None]:
    """A migration that runs a module's SQL script, statement by statement."""
    def apply(db: Database) -> None:
        for statement in _statements(sql):
            db.conn.execute(statement)
    return apply


def _statements(sql: str) -> list[str]:
    """Split a script on the semicolons that end statements (triggers keep their inner ones)."""
    out: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if current.strip() and sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def _migrations() -> tuple[Migration, ...]:
    from bot import audit, conversations, ledger, outbox, preferences, queue, store
    from bot.channels.slack import store as slack_store
    from bot.reminders import store as reminders

    return (
        Migration(1, "imported data: employees, grants, grid, rates, rulings, elections", script(store.SCHEMA)),
        Migration(2, "compchng queue: tickets and their messages", script(queue.SCHEMA)),
        Migration(3, "audit trail", script(audit.SCHEMA)),
        Migration(4, "conversation state", script(conversations.SCHEMA)),
        Migration(5, "one outbox for every outgoing message", outbox.migrate_from_ticket_outbox),
        Migration(6, "messages answered, by channel message id", script(ledger.SCHEMA)),
        Migration(7, "audit trail: hash chain, head record, insert order", audit.migrate_to_chain),
        Migration(8, "employees' preferences (Slack reminders, tracking)", script(preferences.SCHEMA)),
        Migration(9, "Slack: users looked up (the link to their employee), ticket posts in the staff channel",
                  script(slack_store.SCHEMA)),
        Migration(10, "reminders: deadline versions, reminders sent, confirmations, final results",
                  script(reminders.SCHEMA)),
        Migration(11, "employees: an optional time zone of their own", script(store.TIME_ZONE_COLUMN)),
        Migration(12, "outbox: replies claimed before bulk reminders", script(outbox.PRIORITY_SCHEMA)),
        Migration(13, "email gateway: the inbound ledger and the Message-ID key", _email_inbox),
        Migration(14, "conversation state per answered message, for replies in its thread",
                  script(conversations.THREAD_SCHEMA)),
        Migration(15, "grants: a covering index for one person's grants, in estimate order",
                  script(store.PERSON_GRANTS_INDEX)),
        Migration(16, "the Averaging Period's closing prices (sotp import closes)", _closes),
        Migration(17, "Slack: the inbound ledger (DMs, mentions and /sotp stored before the ack)", _slack_inbound),
        Migration(18, "outbox: a wave's shared paragraphs stored once, referenced from its rows",
                  script(outbox.PARTS_SCHEMA)),
        Migration(19, "person documents: each employee and their grants as one stored value, kept by triggers",
                  _person_docs),
    )


def _person_docs(db: Database) -> None:
    from bot import store

    script(store.PERSON_DOCS_SCHEMA)(db)
    store.fill_person_docs(db)


def _email_inbox(db: Database) -> None:
    from bot.channels.email import inbox

    script(inbox.SCHEMA)(db)


def _closes(db: Database) -> None:
    from bot import tracking

    script(tracking.SCHEMA)(db)


def _slack_inbound(db: Database) -> None:
    from bot.channels.slack import inbound

    script(inbound.SCHEMA)(db)


def latest_version() -> int:
    return _migrations()[-1].version


def migrate(db: Database) -> int:
    """Apply what is missing; returns the version now. Reads only, when nothing is missing."""
    return apply_migrations(db, _migrations())


def apply_migrations(db: Database, migrations: tuple[Migration, ...]) -> int:
    """migrate() for any file with numbered migrations of its own (the Slack inbound ledger's file)."""
    from bot.db import path_of, write_transaction

    target = migrations[-1].version
    current = int(db.conn.execute("PRAGMA user_version").fetchone()[0])
    if current >= target:
        return current
    with write_transaction(db):
        current = int(db.conn.execute("PRAGMA user_version").fetchone()[0])   # another process may have won
        for migration in migrations:
            if migration.version > current:
                log.info("migrating %s to version %d: %s", path_of(db), migration.version, migration.name)
                migration.apply(db)
                db.conn.execute(f"PRAGMA user_version = {migration.version}")
    return target
