"""Crashes and restarts: a gateway killed with SIGKILL in the middle of a send, and a restart with mail waiting."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from email_world import ALICE, config_file, question, send, settle, start_gateway

from bot.channels.email.__main__ import free_port, spawn, wait_listening
from bot.channels.email.inbox import Inbox
from bot.db import Connections
from bot.outbox import Outbox


def start_process(db_path: Path, config: Path, port: int, relay_port: int, log: Path) -> subprocess.Popen[bytes]:
    return spawn(db_path, config, f"127.0.0.1:{port}", f"127.0.0.1:{relay_port}", log)


async def test_a_gateway_killed_mid_send_resumes_without_loss_or_duplicate(db_path, relay, tmp_path):
    config = config_file(tmp_path, relay_timeout=2, delivery_lease=5)
    port, log = free_port(), tmp_path / "gateway.log"
    ids = [f"<crash{n}@example.com>" for n in range(4)]
    relay.hold = asyncio.Event()                 # the relay takes the first DATA and does not answer yet
    proc = start_process(db_path, config, port, relay.port, log)
    try:
        await wait_listening(port, proc)
        for mid in ids:
            await send(port, question(f"When is the election deadline? {mid}", message_id=mid))
        await asyncio.wait_for(relay.holding.wait(), 30)
        os.kill(proc.pid, signal.SIGKILL)        # in the middle of a send: the relay has the data, no 250 yet
        proc.wait(10)
        await asyncio.sleep(0.3)
        hold, relay.hold = relay.hold, None
        hold.set()
        await asyncio.sleep(0.3)
        assert relay.abandoned >= 1
        accepted_before = [r.message["In-Reply-To"] for r in relay.received]

        proc = start_process(db_path, config, port, relay.port, log)
        await wait_listening(port, proc)
        await relay.wait_for(len(ids), timeout=30)
        await asyncio.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
    replied = [r.message["In-Reply-To"] for r in relay.received]
    assert sorted(replied) == sorted(ids), log.read_text()[-3000:]
    assert len(set(replied)) == len(replied)
    assert replied[:len(accepted_before)] == accepted_before
    db = Connections(db_path).db()
    assert Inbox(db).counts() == {"done": 4}
    assert {r.status for r in Outbox(db).rows(channel="email")} == {"sent"}
    # the same Message-ID each time a row was tried: the retry after the crash is the same email
    assert {r.provider_ref for r in Outbox(db).rows(channel="email")} == {r.message["Message-ID"] for r in relay.received}


async def test_mail_accepted_before_a_restart_is_answered_after_it(db_path, relay, clock, tmp_path):
    first = await start_gateway(db_path, relay.port, clock, tmp_path)
    first.stop.set()                             # only the listener runs: the processor and worker are stopped
    await asyncio.gather(*first.tasks[1:])
    listener = first.gateway.listener
    first.stop.clear()
    serving = asyncio.create_task(listener.run(first.stop))
    while not listener.listening:
        await asyncio.sleep(0.01)
    port = int(listener.listening.rsplit(":", 1)[1])
    for n in range(3):
        await send(port, question(f"When is the election deadline? {n}", message_id=f"<wait{n}@example.com>"))
    first.stop.set()
    await serving
    first.connections.close()
    assert Inbox(Connections(db_path).db()).counts() == {"received": 3}
    assert relay.received == []

    second = await start_gateway(db_path, relay.port, clock, tmp_path)
    try:
        await settle(second)
        await asyncio.sleep(0.1)
    finally:
        await second.close()
    assert sorted(r.message["In-Reply-To"] for r in relay.received) == [f"<wait{n}@example.com>" for n in range(3)]
    assert all(r.rcpt_tos == [ALICE] for r in relay.received)
