"""A small world for the email gateway, and the real SMTP servers around it, all on 127.0.0.1.

Employees (their addresses on record are what the gateway answers to):
  E1 Alice Smith  alice.smith@example.com  United States, level 62, 1,000 options at $33.00
  E2 Diego Ruiz   druiz@example.com        Spain, level 69, 20,000 options at $33.00
Pricing Grid: $33.00 expiring 2010-04-24 at ACP $0/$20/$30/$40: 0.00, 0.50, 2.50, 6.00.

RelaySink is the company's relay as the gateway sees it: an aiosmtpd server that
keeps every message it accepted, and can be told to refuse, to hold a message
(for a kill in the middle of a send) or to go away and come back on its port.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

from bot.config import load_settings

import worlds

ALIAS = "compchng@microsoft.com"
ALICE = "alice.smith@example.com"
DIEGO = "druiz@example.com"
STRANGER = "someone@gmail.example"

EMPLOYEES = f"""employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,{ALICE},U0ALICE,United States,62,employee,active
E2,Diego Ruiz,{DIEGO},,Spain,69,employee,active
"""
GRANTS = """employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,expiration_date,multi_year_grant
E1,0001,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E2,0101,2000-04-24,NSO,1991,33.00,20000,0,0,2010-04-24,0
"""
GRID = """exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option
33.00,2010-04-24,0,0.00,0.0000
33.00,2010-04-24,0,20.00,0.5000
33.00,2010-04-24,0,30.00,2.5000
33.00,2010-04-24,0,40.00,6.0000
"""
START = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)   # 9:00 AM Pacific, during the Election Period


def build_world(folder: Path) -> Path:
    return worlds.build_world(folder, employees=EMPLOYEES, grants=GRANTS, grid=GRID)


class ProgramClock:
    """Time running from 9:00 AM Pacific on 3 November 2003 at the speed of the real clock."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.t0 = time.monotonic()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=time.monotonic() - self.t0) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def question(text: str, *, sender: str = ALICE, subject: str = "SOTP question", message_id: str | None = None,
             **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ALIAS
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or email.utils.make_msgid(domain="example.com")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


@dataclass
class Received:
    envelope_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


class _SinkHandler:
    def __init__(self, sink: "RelaySink") -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.refuse_rcpt:
            return self.sink.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        if sink.hold is not None:
            sink.holding.set()
            try:
                await sink.hold.wait()
            except asyncio.CancelledError:   # the client went away before it could hear the 250
                sink.abandoned += 1
                raise
            if server.transport is None or server.transport.is_closing():
                sink.abandoned += 1
                return "451 client gone"
        if sink.refuse_data:
            return sink.refuse_data
        sink.sessions.add(id(session))
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message,
                                      envelope.original_content))
        sink.arrived.set()
        return "250 OK"


class RelaySink:
    """An SMTP relay on 127.0.0.1 that keeps what it accepted; stop() and start() keep its port."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse_rcpt: str | None = None
        self.refuse_data: str | None = None
        self.hold: asyncio.Event | None = None
        self.holding = asyncio.Event()
        self.abandoned = 0
        self.sessions: set[int] = set()      # SMTP sessions that delivered (a kept connection is one)
        self.arrived = asyncio.Event()
        self.port = 0
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        handler = _SinkHandler(self)
        self.server = await loop.create_server(lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
        return self.received


def serve_args(listen: str, relay_port: int, **extra: Any) -> argparse.Namespace:
    values: dict[str, Any] = dict(no_email=False, smtp_listen=listen, smtp_relay=f"127.0.0.1:{relay_port}",
                                  mail_from=None, smtp_accept=None, smtp_max_bytes=None, smtp_relay_security=None,
                                  smtp_relay_user=None, auto_reply_limit=None)
    values.update(extra)
    return argparse.Namespace(**values)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def config_file(folder: Path, **email_settings: Any) -> Path:
    """A deployment's TOML file with an [email] section (short timeouts for the tests)."""
    # The processor stays in the test's process unless a test asks for a process of its own.
    values = {"relay_timeout": 2, "delivery_lease": 5, "processor_process": False, **email_settings}
    lines = ["[email]"] + [f"{k} = {_toml(v)}" for k, v in values.items()]
    lines += ["[serve]", f'state_dir = "{folder / "state"}"']
    path = folder / "sotp.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Running:
    """The gateway's components running on the test's own loop."""

    gateway: Any
    conversation: Any
    connections: Any
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def port(self) -> int:
        listening = self.gateway.listener.listening
        assert listening is not None
        return int(listening.rsplit(":", 1)[1])

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.connections.close()


async def start_gateway(db_path: Path, relay_port: int, clock: ProgramClock, folder: Path,
                        **email_settings: Any) -> Running:
    from bot.channels.email.gateway import build_gateway
    from bot.db import Connections
    from bot.serve import ServeContext
    from handlers.core import Conversation

    settings = load_settings(config_file(folder, **email_settings)).with_overrides(db_path=db_path)
    connections = Connections(db_path)
    conversation = Conversation(connections, settings, clock=clock)
    context = ServeContext(settings, connections, conversation, clock, serve_args("127.0.0.1:0", relay_port),
                           folder / "state")
    gateway = build_gateway(context)
    stop = asyncio.Event()
    running = Running(gateway, conversation, connections, stop)
    running.tasks = [asyncio.create_task(c.run(stop)) for c in gateway.components]
    for _ in range(200):
        if gateway.listener.listening:
            break
        await asyncio.sleep(0.01)
    return running


async def settle(running: Running, timeout: float = 10.0) -> None:
    """Wait until every received email is processed and every email row is sent or failed."""
    from bot.channels.email.inbox import Inbox
    from bot.outbox import Outbox

    def busy() -> bool:
        db = running.connections.db()
        waiting = Inbox(db).counts().get("received", 0)
        pending = Outbox(db).depth().by_channel.get("email", 0)
        return bool(waiting or pending)

    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(busy):
        if time.monotonic() > deadline:
            raise AssertionError("the gateway did not settle")
        await asyncio.sleep(0.02)


async def send(running_or_port: Any, message: EmailMessage | bytes, *, sender: str | None = None,
               recipients: list[str] | None = None) -> None:
    import aiosmtplib

    port = running_or_port if isinstance(running_or_port, int) else running_or_port.port
    if isinstance(message, bytes):
        await aiosmtplib.send(message, sender=sender or ALICE, recipients=recipients or [ALIAS],
                              hostname="127.0.0.1", port=port, timeout=30)
    else:
        await aiosmtplib.send(message, sender=sender, recipients=recipients, hostname="127.0.0.1", port=port,
                              timeout=30)
