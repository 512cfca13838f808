"""The relay adapter against real SMTP servers: kept connections, STARTTLS with AUTH, what each answer means."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult
from email_world import ALICE, serve_args

from bot.channels.email.adapter import EmailAdapter
from bot.channels.email.compose import load_texts
from bot.channels.email.inbox import message_id_key
from bot.channels.email.settings import email_settings
from bot.channels.email.threads import MessageIds
from bot.config import load_settings
from bot.db import Connections
from bot.delivery import DeliveryWorker, Failed, RetryAfter, Sent
from bot.outbox import Outbound, Outbox


def adapter_for(db_path: Path, relay_port: int, clock, **section) -> EmailAdapter:
    settings = load_settings().with_overrides(db_path=db_path)
    raw = dict(settings.raw)
    raw["email"] = {**raw["email"], **section}
    settings = dataclasses.replace(settings, raw=raw)
    config = email_settings(settings, serve_args("127.0.0.1:0", relay_port))
    connections = Connections(db_path)
    return EmailAdapter(connections, config, ids=MessageIds(message_id_key(connections.db()), "microsoft.com"),
                        texts=load_texts(), titles=lambda s: None, staff_lead="Staff about {ticket}:", clock=clock)


def reminders(db_path: Path, clock, *keys: str) -> None:
    outbox = Outbox(Connections(db_path).db())
    for key in keys:
        outbox.enqueue(Outbound(key, "email", ALICE, "reminder", {"subject": key, "text": "Decide in time."},
                                employee_id="E1"), clock())


async def deliver_one(adapter: EmailAdapter, clock):
    """Claim the one pending row and hand it to the adapter; the adapter's connections are closed after."""
    try:
        row = Outbox(adapter.connections.db()).claim("email", clock())[0]
        return row, await adapter.deliver(row)
    finally:
        await adapter.aclose()


async def deliver_all(adapter: EmailAdapter, clock) -> DeliveryWorker:
    worker = DeliveryWorker(adapter.connections, adapter, clock=clock, lease=timedelta(seconds=60))
    await worker.run_once()
    return worker


async def test_one_connection_carries_many_messages(db_path, relay, clock):
    reminders(db_path, clock, "r1", "r2", "r3")
    adapter = adapter_for(db_path, relay.port, clock, relay_connections=1)
    try:
        worker = await deliver_all(adapter, clock)
    finally:
        await adapter.aclose()
    assert [r.message["Subject"] for r in relay.received] == ["r1", "r2", "r3"]
    assert (len(relay.sessions), worker.delivered) == (1, 3)


@pytest.fixture
def tls(tmp_path: Path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server, bundle


class TlsSink:
    def __init__(self) -> None:
        self.received: list[tuple[str, bool, bool]] = []

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"sotp", b"s3cret")
        return AuthResult(success=ok, handled=False)   # not handled: aiosmtpd answers 535 itself

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, session.ssl is not None, bool(session.authenticated)))
        return "250 OK"


async def start_tls_relay(context: ssl.SSLContext, sink: TlsSink):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="relay.test", tls_context=context, require_starttls=True, auth_required=True,
                     authenticator=sink.authenticator), "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_the_relay_is_reached_over_starttls_with_a_login(db_path, clock, tls, monkeypatch):
    context, bundle = tls
    sink = TlsSink()
    server, port = await start_tls_relay(context, sink)
    monkeypatch.setenv("SOTP_SMTP_PASSWORD", "s3cret")
    reminders(db_path, clock, "r1")
    adapter = adapter_for(db_path, port, clock, relay_security="starttls", relay_user="sotp",
                          relay_ca_file=str(bundle))
    try:
        worker = await deliver_all(adapter, clock)
    finally:
        await adapter.aclose()
        server.close()
    assert (worker.delivered, sink.received) == (1, [("compchng@microsoft.com", True, True)])


async def test_a_wrong_password_is_a_temporary_failure_not_a_lost_message(db_path, clock, tls, monkeypatch):
    context, bundle = tls
    sink = TlsSink()
    server, port = await start_tls_relay(context, sink)
    monkeypatch.setenv("SOTP_SMTP_PASSWORD", "wrong")
    reminders(db_path, clock, "r1")
    adapter = adapter_for(db_path, port, clock, relay_security="starttls", relay_user="sotp",
                          relay_ca_file=str(bundle))
    try:
        _, result = await deliver_one(adapter, clock)
    finally:
        server.close()
    assert isinstance(result, RetryAfter)
    assert result.reason.startswith(f"relay 127.0.0.1:{port}: SMTPAuthenticationError")
    assert sink.received == []


@pytest.mark.parametrize("answer, outcome", [
    ("550 5.1.1 unknown user", Failed), ("450 4.2.1 mailbox busy", RetryAfter), ("552 5.3.4 too big", Failed),
])
async def test_what_the_relay_answers_decides_the_rows_fate(db_path, relay, clock, answer, outcome):
    relay.refuse_rcpt = answer
    reminders(db_path, clock, "r1")
    adapter = adapter_for(db_path, relay.port, clock)
    _, result = await deliver_one(adapter, clock)
    assert isinstance(result, outcome)
    assert result.reason == f"recipient {ALICE} refused: {answer}"


async def test_a_relay_that_is_not_there_is_a_temporary_failure(db_path, clock):
    reminders(db_path, clock, "r1")
    adapter = adapter_for(db_path, 1, clock)
    _, result = await deliver_one(adapter, clock)
    assert isinstance(result, RetryAfter)


async def test_a_personal_reply_addressed_elsewhere_than_the_record_is_never_sent(db_path, relay, clock):
    outbox = Outbox(Connections(db_path).db())
    payload = {"replies": [{"intent": "estimate", "parts": ["Your estimated Total Payment: $2,500.00"],
                            "sections": [], "confidence": 1.0, "privacy": "private", "ticket": None, "choices": []}],
               "reply_ref": "<q@x>", "in_reply_to": "<q@x>", "metadata": {"subject": "x"}}
    outbox.enqueue(Outbound("reply:email:<q@x>:0", "email", "attacker@evil.example", "reply", payload,
                            employee_id="E1"), clock())
    adapter = adapter_for(db_path, relay.port, clock)
    _, result = await deliver_one(adapter, clock)
    assert result == Failed("privacy: personal replies to attacker@evil.example, not the address on record of E1; "
                            "not sent")
    assert relay.received == []


async def test_a_sent_row_reports_its_message_id(db_path, relay, clock):
    reminders(db_path, clock, "r1")
    adapter = adapter_for(db_path, relay.port, clock)
    row, result = await deliver_one(adapter, clock)
    assert result == Sent(relay.received[0].message["Message-ID"])
    assert result.provider_ref == adapter.ids.for_row(row.id, row.key)


def chart_row(db_path: Path, clock, recipient: str) -> None:
    payload = {"replies": [{"intent": "estimate", "parts": ["Your estimate."], "privacy": "public"}],
               "chart": {"employee_id": "E1"}}
    Outbox(Connections(db_path).db()).enqueue(Outbound("c1", "email", recipient, "reply", payload,
                                                       employee_id="E1"), clock())


async def test_a_chart_row_to_an_address_not_on_record_is_refused_and_nothing_is_drawn(db_path, relay, clock):
    chart_row(db_path, clock, "attacker@evil.example")
    drawn: list[str] = []
    adapter = adapter_for(db_path, relay.port, clock)
    adapter.chart = lambda employee_id: drawn.append(employee_id) or b"png"
    _, result = await deliver_one(adapter, clock)
    assert isinstance(result, Failed) and result.reason.startswith("privacy: personal replies to attacker@evil")
    assert (drawn, relay.received) == ([], [])


async def test_a_chart_row_to_the_address_on_record_is_sent_with_the_picture(db_path, relay, clock):
    chart_row(db_path, clock, ALICE)
    adapter = adapter_for(db_path, relay.port, clock)

    async def chart(employee_id: str) -> bytes:
        return b"\x89PNG-for-" + employee_id.encode()

    adapter.chart = chart
    _, result = await deliver_one(adapter, clock)
    assert isinstance(result, Sent)
    [part] = relay.received[0].message.iter_attachments()
    assert (part.get_content_type(), part.get_content()) == ("image/png", b"\x89PNG-for-E1")


async def test_rows_whose_claims_ran_out_while_the_relay_was_slow_are_each_sent_once(db_path, relay, clock):
    from bot.channels.email.worker import EmailDeliveryWorker

    reminders(db_path, clock, "r1", "r2")
    adapter = adapter_for(db_path, relay.port, clock, relay_connections=1)
    worker = EmailDeliveryWorker(adapter.connections, adapter, clock=clock, lease=timedelta(seconds=60),
                                 concurrency=1, idle_poll=0.02)
    relay.hold = asyncio.Event()
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop))
    try:
        await asyncio.wait_for(relay.holding.wait(), 10)
        clock.advance(seconds=61)            # both claims have run out: r1 is at the relay, r2 waits for it
        await asyncio.sleep(0.3)             # idle polls meanwhile: a claim would take both rows again
        relay.hold.set()
        await relay.wait_for(2)
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await adapter.aclose()
    assert [r.message["Subject"] for r in relay.received] == ["r1", "r2"]
    assert [row.status for row in Outbox(Connections(db_path).db()).rows(channel="email")] == ["sent", "sent"]
