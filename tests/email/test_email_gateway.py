"""End to end on 127.0.0.1: real messages into the gateway's listener, replies out at the relay sink."""

from __future__ import annotations

import asyncio

import aiosmtplib
from email_world import ALIAS, ALICE, question


async def send(gateway, message) -> None:
    await aiosmtplib.send(message, hostname="127.0.0.1", port=gateway.port, timeout=10)


async def test_a_question_gets_one_threaded_reply(gateway, relay):
    msg = question("When is the election deadline?", subject="Deadline", message_id="<q1@example.com>")
    await send(gateway, msg)
    received = await relay.wait_for(1)
    await asyncio.sleep(0.3)
    assert len(relay.received) == 1
    reply = received[0].message
    assert received[0].rcpt_tos == [ALICE]
    assert reply["Subject"] == "Re: Deadline"
    assert reply["In-Reply-To"] == "<q1@example.com>"
    assert reply["References"] == "<q1@example.com>"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["X-Loop"] == ALIAS
    print(reply.get_body(("plain",)).get_content())
