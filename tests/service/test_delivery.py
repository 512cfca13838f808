"""Delivery workers: sent once, retried with backoff, and a worker killed mid-send loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.db import Connections
from bot.delivery import DeliveryWorker, Failed, RetryAfter, Sent
from bot.outbox import Outbound, Outbox, OutboxRow

NOW = datetime(2003, 11, 10, 17, 0, tzinfo=timezone.utc)


class Recorder:
    """A channel at the edge of the system: it records what it was asked to send, and answers as told."""

    name = "email"

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    async def deliver(self, row: OutboxRow):
        answer = self.answers.pop(0) if self.answers else Sent(f"<{row.key}@sotp>")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Sent):
            self.sent.append(row.key)
        return answer

    async def aclose(self) -> None:
        pass


def enqueue(db_path: Path, *keys: str) -> None:
    outbox = Outbox(Connections(db_path).db())
    for key in keys:
        outbox.enqueue(Outbound(key, "email", "alice@example.com", "reminder", {"text": key}), NOW)


def run_once(worker: DeliveryWorker) -> int:
    return asyncio.run(worker.run_once())


def test_a_delivered_row_is_marked_sent_with_the_channels_id(db_path):
    enqueue(db_path, "r1")
    adapter = Recorder()
    assert run_once(DeliveryWorker(Connections(db_path), adapter, clock=lambda: NOW)) == 1
    row = Outbox(Connections(db_path).db()).by_key("r1")
    assert (row.status, row.provider_ref, adapter.sent) == ("sent", "<r1@sotp>", ["r1"])


def test_a_temporary_failure_is_retried_after_the_backoff_and_then_sent(db_path):
    enqueue(db_path, "r1")
    adapter = Recorder(RetryAfter("421 service not available"))
    clock = [NOW]
    worker = DeliveryWorker(Connections(db_path), adapter, clock=lambda: clock[0])
    run_once(worker)
    assert run_once(worker) == 0                       # not due yet
    clock[0] = NOW + timedelta(seconds=3)              # the first backoff is 2 s +- 20%
    run_once(worker)
    assert adapter.sent == ["r1"]


def test_a_rate_limit_waits_exactly_its_retry_after(db_path):
    enqueue(db_path, "r1")
    worker = DeliveryWorker(Connections(db_path), Recorder(RetryAfter("429 ratelimited", 30)), clock=lambda: NOW)
    run_once(worker)
    assert Outbox(Connections(db_path).db()).by_key("r1").not_before == NOW + timedelta(seconds=30)


def test_an_adapter_that_raises_is_a_temporary_failure(db_path):
    enqueue(db_path, "r1")
    worker = DeliveryWorker(Connections(db_path), Recorder(ConnectionRefusedError("relay down")), clock=lambda: NOW)
    run_once(worker)
    row = Outbox(Connections(db_path).db()).by_key("r1")
    assert (row.status, row.last_error) == ("pending", "ConnectionRefusedError: relay down")


def test_a_permanent_failure_is_not_retried(db_path):
    enqueue(db_path, "r1")
    adapter = Recorder(Failed("550 5.1.1 no such user"))
    worker = DeliveryWorker(Connections(db_path), adapter, clock=lambda: NOW + timedelta(days=1))
    run_once(worker)
    assert run_once(worker) == 0 and adapter.sent == []
    assert Outbox(Connections(db_path).db()).by_key("r1").status == "failed"


def test_the_worker_wakes_when_told_and_stops_when_asked(db_path):
    async def main() -> list[str]:
        adapter = Recorder()
        worker = DeliveryWorker(Connections(db_path), adapter, idle_poll=30)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.1)
        await asyncio.to_thread(enqueue, db_path, "r1")
        worker.wake()
        for _ in range(100):
            if adapter.sent:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)
        return adapter.sent

    Connections(db_path)                             # create the database
    assert asyncio.run(main()) == ["r1"]


CHILD = textwrap.dedent("""
    import asyncio, sys
    from datetime import datetime, timezone
    from bot.db import Connections
    from bot.delivery import DeliveryWorker

    class Hangs:
        name = "email"
        async def deliver(self, row):
            print("sending", row.key, flush=True)
            await asyncio.Event().wait()          # killed here, between the claim and the send
        async def aclose(self):
            pass

    from datetime import timedelta
    worker = DeliveryWorker(Connections(sys.argv[1]), Hangs(), lease=timedelta(seconds=2))
    asyncio.run(worker.run_once())
""")


def test_a_worker_killed_between_claim_and_send_leaves_the_row_to_be_sent_once(db_path):
    enqueue(db_path, "r1")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path)], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=Path(__file__).resolve().parents[2])
    assert child.stdout is not None and child.stdout.readline() == "sending r1\n"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    claimed = Outbox(Connections(db_path).db()).by_key("r1")
    assert (claimed.status, claimed.attempts) == ("pending", 1) and claimed.claim_token is not None
    adapter = Recorder()
    early = DeliveryWorker(Connections(db_path), adapter, clock=lambda: datetime.now(timezone.utc))
    assert run_once(early) == 0                       # the dead worker's claim is still live
    time.sleep(2.1)
    assert run_once(early) == 1 and run_once(early) == 0
    assert adapter.sent == ["r1"]
    assert Outbox(Connections(db_path).db()).by_key("r1").status == "sent"
