"""The SMTP listener: the company's mail server hands the alias's mail over here (aiosmtpd).

Only the alias (and the other accepted addresses) are taken: any other
recipient gets 550 at RCPT. A message over the size limit gets 552 (aiosmtpd's
data_size_limit, announced in EHLO as SIZE, so a client that honours it is
refused at MAIL FROM already). A message is answered 250 only after its raw
bytes are committed to the inbound ledger; any failure before that answers 451,
so the sending server keeps the message and tries again: nothing accepted is
ever lost. The listener does nothing else; the processor reads the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.channels.email.inbox import Arrival, Inbox
from bot.channels.email.parse import made_up_message_id, read_headers
from bot.channels.email.settings import EmailSettings
from bot.db import Connections

log = logging.getLogger("sotp.email")

IDENT = "SOTP Assistant (compchng)"
GROUP_COMMIT = 32        # messages committed together at most


# An address as nearly every server writes it in MAIL FROM and RCPT TO: <local@domain>, dot-atoms only
# (no quoting, comments, route or IP literal), then the parameters. aiosmtpd reads every address with
# the email package's header parser (and defines a typing class on each call): a millisecond of the
# listener's CPU per message went there. For this form that parser returns the text as it stands.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*(?=[^ \t(]|$)")


class PlainAddressSMTP(SMTP):
    """aiosmtpd's SMTP with a fast path for plain addresses (anything else goes to aiosmtpd's own parser)."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        found = _PLAIN_ADDRESS.match(arg)
        if found is None:
            return super()._getaddr(arg)
        address = found.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, arg[found.end():]       # the parser takes the blanks after ">" with the address


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class InboundMailHandler:
    """aiosmtpd handler: RCPT checks the recipient, DATA stores the message, errors become 451."""

    def __init__(self, connections: Connections, accept: frozenset[str], *, domain: str,
                 on_stored: Callable[[], None] = lambda: None, clock: Callable[[], datetime] = _utc_now) -> None:
        self.connections = connections
        self.accept = frozenset(a.lower() for a in accept)
        self.domain = domain
        self.on_stored = on_stored
        self.clock = clock
        self.accepted = 0
        self.duplicates = 0
        self.refused = 0
        self.in_flight = 0           # messages being stored right now (a stop waits for them)
        self.last_error: str | None = None
        # One thread writes the ledger, with a connection that syncs every commit to disk
        # (synchronous=FULL): a 250 means the message survives a power cut, not just a crash.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="email-smtp-in")
        self._waiting: list[tuple[Arrival, asyncio.Future[tuple[int, bool]]]] = []
        self._committing = False

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.strip().lower() not in self.accept:
            self.refused += 1
            log.info("smtp refused recipient %s from peer=%s", address, session.peer)
            return f"550 5.1.1 <{address}>: no such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _store_many(self, arrivals: list[Arrival]) -> list[tuple[int, bool]]:
        db = self.connections.db()
        db.conn.execute("PRAGMA synchronous = FULL")
        return Inbox(db).accept_many(arrivals, self.clock())

    async def _store(self, arrival: Arrival) -> tuple[int, bool]:
        """Group commit: what arrives while a commit runs is committed together in the next one."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[int, bool]] = loop.create_future()
        self._waiting.append((arrival, done))
        if not self._committing:
            self._committing = True
            loop.create_task(self._commit_waiting())
        return await done

    async def _commit_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:GROUP_COMMIT], self._waiting[GROUP_COMMIT:]
                try:
                    results = await loop.run_in_executor(self._executor, self._store_many, [a for a, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), result in zip(batch, results):
                    if not done.done():
                        done.set_result(result)
        finally:
            self._committing = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        headers = read_headers(raw)
        message_id = headers.message_id or made_up_message_id(raw, self.domain)
        arrival = Arrival(
            message_id=message_id, mail_from=(envelope.mail_from or "").strip("<>"),
            rcpt_tos=tuple(envelope.rcpt_tos), raw=raw, peer=str(session.peer[0]) if session.peer else "",
            from_addr=headers.from_addr, subject=headers.subject[:1000] or None, in_reply_to=headers.in_reply_to,
            references=headers.references[-50:])
        self.in_flight += 1
        try:
            row_id, new = await self._store(arrival)
        finally:
            self.in_flight -= 1
        if not new:
            self.duplicates += 1
            log.info("smtp message_id=%s already received as row=%d: accepted again, stored once", message_id, row_id)
            return f"250 2.0.0 OK: already received as {row_id}"
        self.accepted += 1
        log.info("smtp accepted row=%d message_id=%s bytes=%d peer=%s", row_id, message_id, len(raw),
                 arrival.peer)
        self.on_stored()
        return f"250 2.0.0 OK: queued as {row_id}"

    async def handle_exception(self, error: Exception) -> str:
        """Anything that went wrong: the sender keeps the message and tries again later."""
        self.last_error = f"{type(error).__name__}: {error}"
        log.error("smtp session failed (answered 451): %s", self.last_error)
        return "451 4.3.0 Temporary failure: please try again later"

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class SmtpListener:
    """The listener as a `sotp serve` component: serves until stop, then stops taking connections."""

    name = "email-smtp-in"

    def __init__(self, handler: InboundMailHandler, config: EmailSettings) -> None:
        self.handler = handler
        self.config = config
        self.listening: str | None = None
        self.server: asyncio.base_events.Server | None = None

    def factory(self) -> SMTP:
        return PlainAddressSMTP(self.handler, data_size_limit=self.config.max_bytes, enable_SMTPUTF8=True,
                    hostname=self.config.hostname, ident=IDENT, timeout=300)

    async def start(self) -> asyncio.base_events.Server:
        # aiosmtpd logs every SMTP command (with addresses) at INFO; ours says what matters, once.
        if not log.isEnabledFor(logging.DEBUG):
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self.factory, self.config.listen.host, self.config.listen.port)
        sock = self.server.sockets[0].getsockname()
        self.listening = f"{sock[0]}:{sock[1]}"
        log.info("smtp listening on %s for %s (limit %d bytes)", self.listening, ", ".join(sorted(self.handler.accept)),
                 self.config.max_bytes)
        return self.server

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            for _ in range(100):          # let a message being stored get its 250 (up to 5 s)
                if not self.handler.in_flight:
                    break
                await asyncio.sleep(0.05)
            self.server = None
            log.info("smtp listener on %s closed", self.listening)
        self.listening = None

    def health(self) -> dict[str, Any]:
        return {"listening": self.listening, "accepted": self.handler.accepted,
                "duplicates": self.handler.duplicates, "refused_recipients": self.handler.refused,
                "last_error": self.handler.last_error}
