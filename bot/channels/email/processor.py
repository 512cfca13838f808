"""The inbound processor: every received email screened, answered by the core, and marked, in one transaction.

For each row of the inbound ledger still `received` (after a restart: every one
not finished), in one BEGIN IMMEDIATE transaction: the screening rules decide
whether it may get an automatic reply at all; an unreadable message is
quarantined as a compchng ticket; a reply in a ticket's thread (the subject's
tag, or In-Reply-To/References naming one of the ticket's messages) is handed
to the core with that ticket, which adds it there; anything else is the core's
ordinary turn. The turn's outbox rows, its audit records and the row's new
status commit together, so a crash leaves the message either fully handled or
untouched, and it is never answered twice.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, TypeVar

from bot import store
from bot.audit import AuditEvent, AuditLog
from bot.channels.email.compose import EmailTexts
from bot.channels.email.inbox import Inbox, InboundRow
from bot.channels.email.parse import Headers, ParsedMail, Unreadable, bounced_message_id, parse, read_headers
from bot.channels.email.rules import Mail, ScreenPolicy
from bot.channels.email.screen import screen
from bot.channels.email.threads import MessageIds, bare_subject, ticket_in_subject
from bot.db import Connections, Database, DatabaseUnavailable, write_transaction
from bot.delivery import nap
from bot.outbox import Outbox, OutboxError, OutboxRow, backoff
from bot.queue import Queue
from handlers.cleaning import clean_message
from handlers.hardening import storable
from handlers.messages import Incoming

log = logging.getLogger("sotp.email")

T = TypeVar("T")
MAX_ATTEMPTS = 5            # a message whose turn failed this often goes to the queue as unreadable
# Rows answered in one transaction at most, and for how long it may hold the write lock: one commit
# (and one wake of the delivery worker) for several turns, while the listener's commits still get in.
TOGETHER_ROWS = 16
TOGETHER_SECONDS = 0.05


class _BatchGone(Exception):
    """SQLite ended the batch's transaction by itself (a full disk, an I/O error): none of it was kept."""


@dataclass(frozen=True)
class Outcome:
    status: str             # done | no-reply | quarantined | retry
    rule: str
    replies: int = 0
    ticket: str | None = None


def question_text(mail: ParsedMail, tag: str) -> str:
    """What the employee asked: the body without quotes, signature and disclaimer; else the subject."""
    return clean_message(mail.text, whole_if_empty=False) or bare_subject(mail.headers.subject, tag)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class InboundProcessor:
    """Works through the inbound ledger until stopped; wake() (from any thread) makes it look at once."""

    name = "email-inbound"

    def __init__(self, connections: Connections, conversation: Any, *, policy: ScreenPolicy, ids: MessageIds,
                 texts: EmailTexts, tag: str, clock: Callable[[], datetime] = _utc_now, batch: int = 50,
                 idle_poll: float = 5.0, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.connections = connections
        self.conversation = conversation
        self.policy = policy
        self.ids = ids
        self.texts = texts
        self.tag = tag
        self.clock = clock
        self.batch = batch
        self.idle_poll = idle_poll
        self.max_attempts = max_attempts
        self.counts: dict[str, int] = {}
        self.last_error: str | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="email-inbound")
        self._batching = threading.local()        # set while this thread answers rows in one transaction
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ service
    def wake(self) -> None:
        """Safe from any thread; from the loop's own (the listener, after each message stored) the event
        is set directly, without a trip through the loop's self-pipe."""
        if self._loop is not None and self._event is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                self._event.set()
            else:
                self._loop.call_soon_threadsafe(self._event.set)

    def deferring(self, wake: Callable[[], None]) -> Callable[[], None]:
        """wake(), except from inside a batch: the rows of a turn can only be claimed after the batch
        commits, so the turns' wakes are one wake after the commit (the core wakes after each turn)."""

        def maybe_wake() -> None:
            if getattr(self._batching, "active", False):
                self._batching.woken = True
            else:
                wake()

        return maybe_wake

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()
        log.info("inbound processor started")
        try:
            while not stop.is_set():
                self._event.clear()
                try:
                    handled = await self._in_thread(self.run_once)
                except Exception as exc:   # the database, most likely: say so, wait, try again
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.error("inbound processor: %s", self.last_error)
                    handled = 0
                if not handled:
                    await self._sleep(stop)
        finally:
            log.info("inbound processor stopped")

    async def _sleep(self, stop: asyncio.Event) -> None:
        assert self._event is not None
        try:
            due = await self._in_thread(lambda: Inbox(self.connections.db()).next_due())
        except Exception:
            due = None
        await nap(self._event, stop, due, self.clock(), self.idle_poll)

    def health(self) -> dict[str, Any]:
        try:
            waiting: int | None = Inbox(self.connections.db()).counts().get("received", 0)
        except Exception:   # a health report never fails the service
            waiting = None
        return {"waiting": waiting, "processed": dict(self.counts), "last_error": self.last_error}

    # --------------------------------------------------------------- one message
    def run_once(self) -> int:
        """Process the received rows that are due (in this thread); returns how many were looked at."""
        ids = Inbox(self.connections.db()).due(self.clock(), self.batch)
        start = 0
        while start < len(ids):
            start += self._process_together(ids[start:start + TOGETHER_ROWS])
        return len(ids)

    def _process_together(self, ids: list[int]) -> int:
        """The first rows of ids in one transaction, each in a savepoint of its own; returns how many.

        A turn that fails is rolled back to its savepoint and recorded as a failed attempt, as
        process() does; a database error ends the batch (nothing of it is kept) and its rows are
        processed one by one instead. A crash anywhere leaves every row of the batch untouched.
        """
        if len(ids) == 1:
            self.process(ids[0])
            return 1
        db = self.connections.db()
        inbox = Inbox(db)
        # Read and parsed before the write lock is taken (as process() does): the lock is held for the
        # turns alone, and the listener's stores and the sent marks get in between two batches.
        try:
            read = [(row_id, self._read_row(inbox, row_id)) for row_id in ids]
        except Exception as exc:    # parse() never raises but Unreadable: a bug, or the database
            log.warning("inbound batch of %d rows could not be read (%s: %s): processing them one by one",
                        len(ids), type(exc).__name__, exc)
            for row_id in ids:
                self.process(row_id)
            return len(ids)
        outcomes: list[Outcome] = []
        taken = 0
        deadline = time.monotonic() + TOGETHER_SECONDS
        self._batching.active, self._batching.woken = True, False
        try:
            with write_transaction(db):
                for row_id, found in read:
                    taken += 1
                    outcome = self._one_of_batch(db, row_id, found)
                    if not db.conn.in_transaction:
                        raise _BatchGone("the transaction was rolled back by SQLite")
                    if outcome is not None:
                        outcomes.append(outcome)
                    if time.monotonic() >= deadline:
                        break
        except Exception as exc:
            self._batching.active = False
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("inbound batch of %d rows rolled back (%s): processing them one by one", taken,
                        self.last_error)
            for row_id in ids[:taken]:
                self.process(row_id)
            return taken
        finally:
            self._batching.active = False
        for outcome in outcomes:
            self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if self._batching.woken or any(o.replies for o in outcomes):
            waker = getattr(self.conversation, "wakers", {}).get("email")
            if waker is not None:
                waker()            # after the commit: the rows are there to claim
        return taken

    def _read_row(self, inbox: Inbox, row_id: int) -> tuple[InboundRow, ParsedMail | Unreadable] | None:
        """A row still waiting, and its message parsed; None if it is not (or no longer) waiting."""
        row = inbox.get(row_id)
        if row is None or row.status != "received":
            return None
        return row, self._read(row)

    def _one_of_batch(self, db: Database, row_id: int,
                      found: tuple[InboundRow, ParsedMail | Unreadable] | None) -> Outcome | None:
        """One row of a batch (read before the lock; _process checks again that it is still waiting)."""
        now = self.clock()
        if found is None:
            return None
        row, read = found
        try:
            with write_transaction(db):              # a savepoint: this row's turn alone is undone
                return self._process(db, row, read, now)
        except (sqlite3.Error, DatabaseUnavailable, _BatchGone):
            raise
        except Exception as exc:   # a bug in this row's turn: recorded as a failed attempt, the batch goes on
            if not db.conn.in_transaction:
                raise
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("inbound email row=%d could not be processed: %s", row_id, self.last_error, exc_info=True)
            with write_transaction(db):
                return self._retry(db, row, self.last_error, now)

    def process(self, row_id: int) -> Outcome | None:
        """One row, in one transaction. None: it was not (or no longer) waiting."""
        db, now = self.connections.db(), self.clock()
        try:
            row = Inbox(db).get(row_id)
            if row is None or row.status != "received":
                return None
            read = self._read(row)           # parsing needs no lock: done before the write transaction
            with write_transaction(db):
                outcome = self._process(db, row, read, now)
        except Exception as exc:   # a bug, or the database: nothing of the attempt was kept
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("inbound email row=%d could not be processed: %s", row_id, self.last_error, exc_info=True)
            outcome = self._failed_attempt(db, row_id, now, self.last_error)
        if outcome is None:
            return None
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if outcome.replies:
            waker = getattr(self.conversation, "wakers", {}).get("email")
            if waker is not None:
                waker()            # after the commit: the rows are there to claim
        return outcome

    @staticmethod
    def _read(row: InboundRow) -> ParsedMail | Unreadable:
        try:
            return parse(row.raw)
        except Unreadable as exc:
            return exc

    def _process(self, db: Database, row: InboundRow, read: ParsedMail | Unreadable,
                 now: datetime) -> Outcome | None:
        inbox = Inbox(db)
        if not inbox.is_waiting(row.id):        # another process got to it first
            return None
        headers = read.headers if isinstance(read, ParsedMail) else read_headers(row.raw)
        since = now - timedelta(minutes=self.policy.auto_reply_window_minutes)
        decision = screen(Mail(headers, row.mail_from), self.policy, lambda sender: inbox.replies_since(sender, since))
        if not decision.answer:
            note = self._record_unanswered(db, row, headers, decision.rule, now)
            inbox.finish(row.id, "no-reply", now, rule=decision.rule, note=note, from_addr=headers.from_addr)
            log.info("inbound email row=%d message_id=%s not answered: %s", row.id, row.message_id, decision.rule)
            return Outcome("no-reply", decision.rule)
        if isinstance(read, Unreadable):
            return self._quarantine(db, row, headers, str(read), now)
        mail = read
        ticket = self._thread_ticket(db, mail.headers)
        metadata = {"subject": mail.headers.subject,
                    "references": " ".join([*mail.headers.references, row.message_id][-20:])}
        if ticket:
            metadata["ticket"] = ticket
        if mail.attachments:
            metadata["attachments"] = ", ".join(a.filename for a in mail.attachments)
        assert mail.headers.from_addr is not None   # parse() refuses mail without one
        incoming = Incoming("email", mail.headers.from_addr, question_text(mail, self.tag),
                            message_id=row.message_id, reply_ref=row.message_id, metadata=metadata,
                            thread=self._answered(db, mail.headers))
        response = self.conversation.handle(incoming)
        if response.error:
            return self._retry(db, row, f"the turn failed: {response.error}", now)
        answered_ticket = next((r.ticket for r in response.replies if r.ticket), None)
        rule = "duplicate" if response.duplicate else ("ticket-reply" if ticket and answered_ticket == ticket
                                                       else "answered")
        inbox.finish(row.id, "done", now, rule=rule, ticket=answered_ticket, replies=len(response.outbox_keys),
                     from_addr=mail.headers.from_addr,
                     note=f"body from {mail.source}" + (f"; attachments: {metadata['attachments']}"
                                                        if mail.attachments else ""))
        log.info("inbound email row=%d message_id=%s %s replies=%d ticket=%s", row.id, row.message_id, rule,
                 len(response.outbox_keys), answered_ticket)
        return Outcome("done", rule, len(response.outbox_keys), answered_ticket)

    # ---------------------------------------------------------------- threading
    def _our_rows(self, db: Database, headers: Headers) -> Iterator[OutboxRow]:
        """The outbox rows of our own emails this one refers to, newest reference first (ids verified)."""
        outbox = Outbox(db)
        for ref in _references(headers):
            row_id = self.ids.row_id(ref)
            if row_id is None:
                continue
            try:
                sent = outbox.get(row_id)
            except OutboxError:
                continue
            if self.ids.verify(ref, sent.id, sent.key):
                yield sent

    def _thread_ticket(self, db: Database, headers: Headers) -> str | None:
        """The ticket this email answers: the subject's tag, else a Message-ID of one of its messages."""
        tagged = ticket_in_subject(headers.subject, self.tag)
        if tagged:
            return tagged
        ticket = next((sent.ticket for sent in self._our_rows(db, headers) if sent.ticket), None)
        if ticket:
            return ticket
        return Inbox(db).ticket_of(_references(headers))

    def _answered(self, db: Database, headers: Headers) -> str:
        """The email whose answer this one replies to ("" if none): the core continues from what that
        answer said. The newest reference that is one of our answers (its row keeps the Message-ID it
        answered), else an In-Reply-To naming an email we received (a reply to one's own message)."""
        answer = next((sent for sent in self._our_rows(db, headers) if sent.kind == "reply"), None)
        if answer is not None:
            return str(answer.payload.get("in_reply_to") or "")
        if headers.in_reply_to and Inbox(db).has_message(headers.in_reply_to):
            return headers.in_reply_to
        return ""

    # ------------------------------------------------------- not answered, unreadable
    def _employee_id(self, db: Database, address: str | None) -> str | None:
        found = store.employee_by_email(db, address) if address else None
        return found.employee_id if found else None

    def _record_unanswered(self, db: Database, row: InboundRow, headers: Headers, rule: str,
                           now: datetime) -> str | None:
        """The audit record of a message that gets no reply; returns a note (what a bounce was about)."""
        note = None
        if rule in ("delivery-report", "empty-envelope-sender", "system-sender", "failed-recipients"):
            bounced = bounced_message_id(row.raw)
            row_id = self.ids.row_id(bounced) if bounced else None
            if bounced and row_id is not None:
                try:
                    sent = Outbox(db).get(row_id)
                    if self.ids.verify(bounced, sent.id, sent.key):
                        note = f"bounce of {bounced}: outbox row {sent.id} ({sent.kind}) to {sent.recipient}"
                except OutboxError:
                    pass
        sender = headers.from_addr or row.mail_from or "<>"
        text = f"[not answered: {rule}] Subject: {headers.subject}\nMessage-ID: {row.message_id}"
        if note:
            text += f"\n{note}"
        AuditLog(db).record(AuditEvent(now, "in", "no-reply", "email", storable(sender),
                                       self._employee_id(db, headers.from_addr), None, (), None, storable(text)))
        return note

    def _quarantine(self, db: Database, row: InboundRow, headers: Headers, reason: str,
                    now: datetime) -> Outcome:
        """A message nobody can answer automatically: a compchng ticket, so a person reads it."""
        sender = headers.from_addr or row.mail_from or "unknown sender"
        employee_id = self._employee_id(db, headers.from_addr)
        audit = AuditLog(db)
        text = self.texts.text("unreadable.ticket", reason=reason, sender=sender, subject=headers.subject or "(none)",
                               message_id=row.message_id, row=row.id)
        ticket, _ = Queue(db, audit).open_or_append(
            requester_employee_id=employee_id, requester_address=sender, channel="email", category="other",
            text=storable(text), now=now)
        audit.record(AuditEvent(now, "in", "unreadable", "email", storable(sender), employee_id, None, (), ticket.id,
                                storable(f"[not read: {reason}] Subject: {headers.subject}\nMessage-ID: {row.message_id}")))
        Inbox(db).finish(row.id, "quarantined", now, rule="unreadable", note=reason[:2000], ticket=ticket.id)
        log.warning("inbound email row=%d message_id=%s quarantined as %s: %s", row.id, row.message_id, ticket.id,
                    reason)
        return Outcome("quarantined", "unreadable", 0, ticket.id)

    def _retry(self, db: Database, row: InboundRow, reason: str, now: datetime) -> Outcome:
        attempts = Inbox(db).retry_later(row.id, now, backoff(row.attempts + 1), reason)
        if attempts >= self.max_attempts:
            return self._quarantine(db, row, read_headers(row.raw), f"{reason} ({attempts} attempts)", now)
        log.warning("inbound email row=%d message_id=%s: %s; trying again later (attempt %d)", row.id,
                    row.message_id, reason, attempts)
        return Outcome("retry", "failed")

    def _failed_attempt(self, db: Database, row_id: int, now: datetime, reason: str) -> Outcome | None:
        try:
            with write_transaction(db):
                row = Inbox(db).get(row_id)
                if row is None or row.status != "received":
                    return None
                return self._retry(db, row, reason, now)
        except Exception as exc:
            log.error("inbound email row=%d: could not record the failed attempt either: %s", row_id, exc)
            raise


def _references(headers: Headers) -> list[str]:
    """The Message-IDs an email refers to, the one it replies to first, then References newest first."""
    return [r for r in (headers.in_reply_to, *reversed(headers.references)) if r]
