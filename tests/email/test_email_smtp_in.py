"""The SMTP listener on 127.0.0.1, driven by smtplib: who is accepted, what is refused, what is kept."""

from __future__ import annotations

import asyncio
import smtplib
from email import policy
from pathlib import Path

import pytest
from email_world import ALIAS, ALICE, question, serve_args

from bot.channels.email.inbox import Inbox
from bot.channels.email.settings import email_settings
from bot.channels.email.smtp_in import InboundMailHandler, SmtpListener
from bot.config import load_settings
from bot.db import Connections


@pytest.fixture
async def listener(db_path: Path):
    settings = load_settings().with_overrides(db_path=db_path)
    config = email_settings(settings, serve_args("127.0.0.1:0", 2526, smtp_accept=["stockadmin@microsoft.com"]))
    connections = Connections(db_path)
    handler = InboundMailHandler(connections, config.accept, domain="microsoft.com")
    smtp = SmtpListener(handler, config)
    await smtp.start()
    smtp.port = int(smtp.listening.rsplit(":", 1)[1])
    yield smtp
    await smtp.stop()
    handler.close()
    connections.close()


def sendmail(port: int, message, *, sender: str = ALICE, to: list[str] | None = None) -> dict:
    data = message.as_bytes(policy=policy.SMTP) if hasattr(message, "as_bytes") else message
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(sender, to or [ALIAS], data)


async def in_thread(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


def rows(db_path: Path):
    db = Connections(db_path).db()
    return [Inbox(db).get(i) for (i,) in db.conn.execute("SELECT id FROM email_inbound ORDER BY id")]


async def test_a_message_is_in_the_ledger_when_the_250_arrives(listener, db_path):
    msg = question("When is the deadline?", message_id="<kept@example.com>")
    assert await in_thread(sendmail, listener.port, msg) == {}
    [row] = rows(db_path)
    assert (row.message_id, row.status, row.mail_from, row.rcpt_tos) == ("<kept@example.com>", "received", ALICE, (ALIAS,))
    assert row.raw == msg.as_bytes(policy=policy.SMTP)
    assert (row.from_addr, row.subject) == (ALICE, "SOTP question")


async def test_a_recipient_that_is_not_the_alias_is_refused_at_rcpt(listener, db_path):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await in_thread(sendmail, listener.port, question("hi"), to=["ceo@microsoft.com"])
    assert refused.value.recipients["ceo@microsoft.com"][0] == 550
    assert rows(db_path) == []


async def test_another_accepted_address_is_taken_and_a_refused_one_beside_it_is_not(listener, db_path):
    refused = await in_thread(sendmail, listener.port, question("hi"), to=["StockAdmin@microsoft.com", "ceo@microsoft.com"])
    assert refused == {"ceo@microsoft.com": (550, b"5.1.1 <ceo@microsoft.com>: no such recipient here")}
    assert rows(db_path)[0].rcpt_tos == ("StockAdmin@microsoft.com",)


async def test_a_15_mb_message_is_refused_with_552_at_mail_from(listener, db_path):
    big = question(("y" * 76 + "\n") * 200_000)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        await in_thread(sendmail, listener.port, big)
    assert refused.value.smtp_code == 552
    assert rows(db_path) == []


async def test_a_15_mb_message_sent_without_announcing_its_size_is_refused_with_552_after_data(listener, db_path):
    big = question(("y" * 76 + "\n") * 200_000).as_bytes(policy=policy.SMTP)
    assert len(big) > 15_000_000

    def send_without_size() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
            client.ehlo()
            client.mail(ALICE)
            client.rcpt(ALIAS)
            return client.data(big)

    code, _ = await in_thread(send_without_size)
    assert code == 552
    assert rows(db_path) == []


async def test_the_same_message_id_sent_twice_is_accepted_twice_and_stored_once(listener, db_path):
    msg = question("When is the deadline?", message_id="<twice@example.com>")
    await in_thread(sendmail, listener.port, msg)
    await in_thread(sendmail, listener.port, msg)
    assert [r.message_id for r in rows(db_path)] == ["<twice@example.com>"]
    assert listener.handler.duplicates == 1


async def test_a_message_without_message_id_gets_a_stable_one(listener, db_path):
    raw = b"From: alice.smith@example.com\r\nTo: compchng@microsoft.com\r\nSubject: x\r\n\r\nWhen?\r\n"
    await in_thread(sendmail, listener.port, raw)
    await in_thread(sendmail, listener.port, raw)
    [row] = rows(db_path)
    assert row.message_id.endswith("@no-message-id.microsoft.com>")


async def test_the_null_envelope_sender_is_kept_as_empty(listener, db_path):
    await in_thread(sendmail, listener.port, question("bounce"), sender="")
    assert rows(db_path)[0].mail_from == ""


async def test_a_store_that_fails_answers_451_so_the_sender_keeps_the_message(listener, db_path):
    db = Connections(db_path).db()
    db.conn.execute("CREATE TRIGGER full BEFORE INSERT ON email_inbound BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(smtplib.SMTPDataError) as failed:
        await in_thread(sendmail, listener.port, question("When?"))
    assert failed.value.smtp_code == 451
    db.conn.execute("DROP TRIGGER full")
    assert rows(db_path) == []
    assert "disk full" in listener.handler.last_error


def test_addresses_in_mail_and_rcpt_are_read_as_aiosmtpd_reads_them():
    from aiosmtpd.smtp import SMTP

    from bot.channels.email.smtp_in import PlainAddressSMTP

    ours, theirs = PlainAddressSMTP(object()), SMTP(object())
    for arg in ["<alice@microsoft.com>", "<a.b+tag@ex-ample.com> SIZE=1234 BODY=8BITMIME", "<a@b.c>\t X=1",
                "<>", '<"a b"@c.d>', "<a..b@c.d>", "<a@[1.2.3.4]>", "<@route:a@b.c>", "a@b.c", "<a@b.c> (note) X",
                "<a@b.c>x", "<é@b.c>", "<" + "x" * 70 + "@b.c>"]:
        assert ours._getaddr(arg) == theirs._getaddr(arg), arg
