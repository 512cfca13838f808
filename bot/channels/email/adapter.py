"""The email channel adapter: every outgoing email of the system, through one relay, with aiosmtplib.

Answers, staff replies, ticket notices, reminders and confirmations are all
outbox rows of channel "email"; DeliveryWorker claims them and calls deliver().
The SMTP connections to the relay stay open across messages (a small pool, one
message at a time on each). What the relay says decides the row's fate: 250 is
Sent, with the Message-ID kept as the row's provider_ref; a 4xx answer, a
refused or dropped connection or a timeout is RetryAfter (the outbox backs off
exponentially, with jitter); a 5xx answer to the message or its recipient is
Failed, which the outbox records in the audit trail. The Message-ID comes from
the row itself, so a retry after a crash sends the same id again.

Privacy is checked again here: a row carrying personal replies goes only to the
address on record of the employee it belongs to, or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any, Awaitable, Callable, Mapping

import aiosmtplib

from bot import store
from bot.channels.email.compose import EmailTexts, Sender, Thread, compose, flatten
from bot.channels.email.inbox import Inbox
from bot.channels.email.settings import EmailSettings
from bot.channels.email.threads import MessageIds
from bot.db import Connections
from bot.delivery import DeliveryResult, Failed, RetryAfter, Sent
from bot.outbox import OutboxRow
from handlers.outgoing import render

log = logging.getLogger("sotp.email")

IDLE_CHECK = 30.0     # seconds: a connection idle longer is checked with NOOP before it is used

# A row ready to send: its message, and its bytes when the envelope is ASCII (None: send_message flattens it).
Prepared = tuple[EmailMessage, bytes | None]


class _Relay:
    """One SMTP connection to the relay, opened when first needed and again after it broke."""

    def __init__(self, config: EmailSettings) -> None:
        self.config = config
        self.client: aiosmtplib.SMTP | None = None
        self.last_used = 0.0

    def _new_client(self) -> aiosmtplib.SMTP:
        c = self.config
        context = None
        if c.relay_security != "none":
            context = ssl.create_default_context(cafile=c.relay_ca_file or None)
        return aiosmtplib.SMTP(
            hostname=c.relay.host, port=c.relay.port, timeout=c.relay_timeout, local_hostname=c.hostname,
            use_tls=c.relay_security == "tls", start_tls=c.relay_security == "starttls", tls_context=context,
            username=c.relay_user or None, password=(c.relay_password or None) if c.relay_user else None)

    async def ready(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            if time.monotonic() - self.last_used <= IDLE_CHECK:
                return self.client
            try:
                await self.client.noop()
                return self.client
            except (aiosmtplib.SMTPException, OSError):
                self.close()
        self.close()
        self.client = self._new_client()
        await self.client.connect()
        log.info("smtp connected to relay %s (%s)", self.config.relay, self.config.relay_security)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except Exception:
                pass
        self.client = None

    async def quit(self) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await asyncio.wait_for(self.client.quit(), 5)
            except Exception:
                pass
        self.close()


def _ascii(*addresses: str) -> bool:
    return all(a.isascii() for a in addresses)


def _code_result(code: int, text: str, what: str) -> DeliveryResult:
    reason = f"{what}: {code} {' '.join(str(text).split())}"
    return Failed(reason) if code >= 500 else RetryAfter(reason)


class EmailAdapter:
    name = "email"

    def __init__(self, connections: Connections, config: EmailSettings, *, ids: MessageIds, texts: EmailTexts,
                 titles: Callable[[str], str | None], staff_lead: str, clock: Callable[[], Any],
                 chart: Callable[[str], Awaitable[bytes | None]] | None = None,
                 section_texts: Mapping[str, str] | None = None) -> None:
        self.connections = connections
        self.section_texts = section_texts or {}   # id -> text: an email cites the sections it quotes
        # Employee id -> their Total Payment chart (PNG), drawn at send time and awaited without holding
        # a thread (the chart process's future): a chart waiting in a thread on a busy machine held one
        # of the few that every claim and sent mark also needs.
        self.chart = chart
        self.config = config
        self.ids = ids
        self.texts = texts
        self.titles = titles
        self.staff_lead = staff_lead
        self.clock = clock
        self.sender = Sender(config.mail_from, config.from_name, config.subject_tag)
        self._pool: asyncio.Queue[_Relay] | None = None
        self._relays = [_Relay(config) for _ in range(config.relay_connections)]
        self._composing: ThreadPoolExecutor | None = None

    # ---------------------------------------------------------------- preparing
    def _thread_for(self, row: OutboxRow) -> Thread | None:
        """A ticket's mail (a staff reply, a notice) threads under the employee's latest email on it."""
        if row.kind == "reply" or not row.ticket:
            return None
        latest = Inbox(self.connections.db()).latest_of_ticket(row.ticket)
        if latest is None:
            return None
        return Thread(latest.subject or "", latest.message_id, latest.references)

    def _privacy_problem(self, row: OutboxRow, private: bool) -> str | None:
        """Personal content goes to the employee's address on record only (a ticket's requester who is
        on no record gets the staff reply at the address they wrote from)."""
        if not private:
            return None
        if row.employee_id is None:
            return "personal replies without an employee to send them to" if row.kind == "reply" else None
        employee = store.employee(self.connections.db(), row.employee_id)
        if employee is None or not employee.email:
            return f"employee {row.employee_id} has no email address on record"
        if employee.email.strip().lower() != row.recipient.strip().lower():
            return f"personal replies to {row.recipient}, not the address on record of {row.employee_id}"
        return None

    def _checked(self, row: OutboxRow) -> tuple[list[Any], str | None] | Failed:
        """The row's replies and the employee whose chart it carries (None: no chart), or why it must not
        be sent (reads the database: call it from a worker thread)."""
        replies = render(row.kind, row.payload, self.staff_lead)
        wanted = (row.payload.get("chart") or {}).get("employee_id")
        charted = row.kind == "reply" and wanted is not None and wanted == row.employee_id
        # The chart is personal data: its row must pass the address-on-record check like any private reply.
        problem = self._privacy_problem(row, charted or any(r.privacy == "private" for r in replies))
        if problem is not None:
            return Failed(f"privacy: {problem}; not sent")
        return replies, wanted if charted else None

    def _composed(self, row: OutboxRow, replies: list[Any], chart_png: bytes | None) -> EmailMessage:
        return compose(row, replies, message_id=self.ids.for_row(row.id, row.key), sender=self.sender,
                       texts=self.texts, titles=self.titles, now=self.clock(), thread=self._thread_for(row),
                       chart_png=chart_png, section_texts=self.section_texts)

    # ---------------------------------------------------------------- sending
    def _get_pool(self) -> asyncio.Queue[_Relay]:
        if self._pool is None:
            self._pool = asyncio.Queue()
            for relay in self._relays:
                self._pool.put_nowait(relay)
        return self._pool

    async def deliver(self, row: OutboxRow) -> DeliveryResult:
        return await self.send_prepared(row, await self.prepare_ahead(row))

    async def prepare_ahead(self, row: OutboxRow) -> Prepared | Failed:
        """The row's message and its bytes, made before a relay connection is taken (EmailDeliveryWorker
        prepares rows while others are being sent), or why it must not be sent. The bytes are made in the
        composing thread, once, not on the event loop; a chart is awaited between the two steps."""
        loop = asyncio.get_running_loop()
        checked = await loop.run_in_executor(self._composer(), self._checked, row)
        if isinstance(checked, Failed):
            return checked
        replies, wanted = checked
        chart_png = await self.chart(wanted) if wanted is not None and self.chart is not None else None
        return await loop.run_in_executor(self._composer(), self._compose_flat, row, replies, chart_png)

    def _composer(self) -> ThreadPoolExecutor:
        """The one thread that composes: with every claimed row prepared at once, the default pool's
        threads all composed together and kept the event loop (the SMTP listener) from the interpreter
        lock; one thread composes as fast (the work is Python, under that lock), the rest wait in line."""
        if self._composing is None:
            self._composing = ThreadPoolExecutor(1, thread_name_prefix="email-compose")
        return self._composing

    def _compose_flat(self, row: OutboxRow, replies: list[Any], chart_png: bytes | None) -> Prepared:
        """The message, and its bytes as send_message would make them (see compose.flatten)."""
        message = self._composed(row, replies, chart_png)
        return message, flatten(message) if _ascii(self.config.mail_from, row.recipient) else None

    async def send_prepared(self, row: OutboxRow, prepared: Prepared | Failed) -> DeliveryResult:
        """Send a row prepare_ahead() made, over one of the kept relay connections."""
        if isinstance(prepared, Failed):
            return prepared
        message, flat = prepared
        message_id = str(message["Message-ID"])
        pool = self._get_pool()
        relay = await pool.get()
        try:
            return await self._send(relay, message, row, message_id, flat)
        finally:
            relay.last_used = time.monotonic()
            pool.put_nowait(relay)

    async def _send(self, relay: _Relay, message: EmailMessage, row: OutboxRow, message_id: str,
                    flat: bytes | None = None) -> DeliveryResult:
        try:
            client = await relay.ready()
            if flat is not None and client.supports_extension("8BITMIME"):
                # What send_message does for an ASCII envelope and an 8BITMIME relay, with bytes made already.
                await client.sendmail(self.config.mail_from, [row.recipient], flat, mail_options=["BODY=8BITMIME"])
            else:
                await client.send_message(message, sender=self.config.mail_from, recipients=[row.recipient])
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPHeloError) as exc:
            relay.close()   # the relay or our settings, not this message: try again later
            return RetryAfter(f"relay {self.config.relay}: {type(exc).__name__}: {exc}")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return _code_result(refused.code, refused.message, f"recipient {row.recipient} refused")
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:
                relay.close()
            return _code_result(exc.code, exc.message, f"relay refused the message ({type(exc).__name__})")
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            relay.close()
            return RetryAfter(f"relay {self.config.relay}: {type(exc).__name__}: {exc}")
        return Sent(message_id)

    async def aclose(self) -> None:
        for relay in self._relays:
            await relay.quit()
        if self._composing is not None:
            self._composing.shutdown(wait=False)
            self._composing = None
