"""email.processor_process: the inbound processor in a spawned process; every email answered once."""

from __future__ import annotations

import asyncio

from email_world import ALICE, START, question, send, settle, start_gateway

from bot.channels.email.inbox import Inbox
from bot.clock import DemoClock


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


async def test_an_email_answered_by_the_processor_process_gets_one_reply(db_path, relay, tmp_path):
    # The clock goes to the child too: the demo clock (a dataclass) pickles.
    running = await start_gateway(db_path, relay.port, DemoClock.starting(START), tmp_path, processor_process=True)
    try:
        processor = running.gateway.processor
        for _ in range(1200):                  # the child loads the knowledge before it says it is ready
            if processor.health()["process"] == "running":
                break
            await asyncio.sleep(0.05)
        assert processor.health()["process"] == "running"
        await send(running, question("When is the election deadline?", subject="Deadline"))
        (reply,) = await relay.wait_for(1, timeout=30)
        assert reply.rcpt_tos == [ALICE]
        assert body(reply).startswith("From Q21 of the Notice:")
        await settle(running)
        await asyncio.sleep(0.2)
        assert len(relay.received) == 1
        assert Inbox(running.connections.db()).counts() == {"done": 1}
        assert processor.health()["processed"] == {"done": 1}
    finally:
        await running.close()


async def test_an_email_is_still_answered_once_when_the_processor_process_was_killed(db_path, relay, tmp_path):
    running = await start_gateway(db_path, relay.port, DemoClock.starting(START), tmp_path, processor_process=True)
    try:
        processor = running.gateway.processor
        for _ in range(1200):
            if processor.process is not None and processor.health()["process"] == "running":
                break
            await asyncio.sleep(0.05)
        child = processor.process
        child.kill()
        await asyncio.to_thread(child.join, 10)
        await send(running, question("When is the election deadline?", subject="Deadline"))
        (reply,) = await relay.wait_for(1, timeout=30)
        assert body(reply).startswith("From Q21 of the Notice:")
        await settle(running)
        await asyncio.sleep(0.2)
        assert len(relay.received) == 1
        assert processor.health()["process"] == "off"
        assert Inbox(running.connections.db()).counts() == {"done": 1}
    finally:
        await running.close()
