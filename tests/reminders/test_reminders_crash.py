"""Killed processes: a pass killed half way, and a service killed after enqueueing, repeat nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot import store
from bot.db import Connections
from bot.delivery import DeliveryWorker, Sent
from bot.outbox import OutboxRow
from reminders_world import World, at

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2003-11-06T09:00:00-05:00"

KILLED_MID_PASS = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    from bot import store
    from bot.config import load_settings
    from bot.reminders import run
    calls = {"n": 0}
    record = run.ReminderStore.record
    def record_then_die(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:                 # inside the third batch's transaction, before its commit
            os.kill(os.getpid(), signal.SIGKILL)
        return record(self, rows)
    run.ReminderStore.record = record_then_die
    settings = load_settings()
    settings = settings.with_overrides(db_path=sys.argv[1])
    raw = dict(settings.raw); raw["reminders"] = {**raw["reminders"], "batch_size": 40}
    import dataclasses
    settings = dataclasses.replace(settings, raw=raw)
    run.Planner(store.open_db(sys.argv[1]), settings).run(datetime.fromisoformat(sys.argv[2]))
""")

KILLED_WHILE_SENDING = textwrap.dedent("""
    import asyncio, sys, time
    from datetime import datetime
    from bot import store
    from bot.config import load_settings
    from bot.db import Connections
    from bot.delivery import DeliveryWorker, Sent
    from bot.reminders.run import Planner
    path, as_of, log = sys.argv[1], sys.argv[2], sys.argv[3]
    report = Planner(store.open_db(path), load_settings().with_overrides(db_path=path)).run(
        datetime.fromisoformat(as_of))
    print(report.enqueued, flush=True)
    class Adapter:
        name = "email"
        def __init__(self):
            self.n = 0
        async def deliver(self, row):
            self.n += 1
            if self.n == 10:               # the tenth send hangs: the process is killed during it
                with open(log, "a") as fh:
                    fh.write("hanging\\n")
                await asyncio.sleep(3600)
            with open(log, "a") as fh:
                fh.write(row.key + "\\n")
            return Sent(f"<{row.key}>")
        async def aclose(self):
            pass
    worker = DeliveryWorker(Connections(path), Adapter(), batch=5)
    asyncio.run(worker.run(asyncio.Event()))
""")


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def reminder_emails(world: World) -> Counter[tuple[str, str]]:
    return Counter((r[3], json.loads(r[5])["reminder"]) for r in world.rows(kind="reminder", channel="email"))


def test_a_pass_killed_half_way_leaves_its_committed_batches_and_the_next_pass_does_the_rest(world):
    world.db.close()
    done = subprocess.run([sys.executable, "-c", KILLED_MID_PASS, str(world.path), AS_OF], cwd=ROOT, env=env(),
                          capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()
    world.db = store.open_db(world.path)
    survivors = reminder_emails(world)
    assert set(survivors) == {(eid, "7d") for eid in world.eligible[:80]}     # two batches of 40 committed
    world.planner().run(at(AS_OF) + timedelta(minutes=1))
    emails = reminder_emails(world)
    assert emails == Counter({(eid, "7d"): 1 for eid in world.eligible})
    superseded = world.db.conn.execute("SELECT count(*) FROM reminders WHERE kind = '14d' AND outcome = 'superseded'")
    assert superseded.fetchone()[0] == len(world.eligible)


class Recorder:
    name = "email"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def deliver(self, row: OutboxRow) -> Sent:
        self.sent.append(row.key)
        return Sent(f"<{row.key}>")

    async def aclose(self) -> None:
        pass


def test_a_service_killed_between_enqueueing_and_sending_repeats_nothing(world, tmp_path):
    world.db.close()
    log = tmp_path / "sent.log"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WHILE_SENDING, str(world.path), AS_OF, str(log)],
                             cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while not (log.exists() and "hanging" in log.read_text()):
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never reached the hanging send"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
    first = [line for line in log.read_text().splitlines() if line != "hanging"]
    assert len(first) == 9

    world.db = store.open_db(world.path)
    again = world.planner().run(at(AS_OF) + timedelta(minutes=5), force=True)
    assert again.enqueued == 0

    later = datetime.now(timezone.utc) + timedelta(minutes=5)      # past the dead worker's claim
    recorder = Recorder()
    worker = DeliveryWorker(Connections(world.path), recorder, clock=lambda: later, batch=500)
    while asyncio.run(worker.run_once()):
        pass
    every = first + recorder.sent
    keys = [r[0] for r in world.rows(channel="email")]
    assert Counter(every) == Counter(keys)            # each email delivered once, across both processes
    assert not set(first) & set(recorder.sent)


def test_a_batch_another_planner_recorded_while_it_was_planned_is_planned_again_and_repeats_nothing(world):
    """Two planners at once, the other's clock later (the 3d reminder due): it records every reminder between
    the first's read before its transaction and the transaction; the first reads the record again under the
    lock and plans again: no 7d reminder after the 3d one, nothing twice."""
    first = world.planner(batch_size=100)
    other = store.open_db(world.path)
    read = first.store.logged
    calls = {"n": 0}

    def logged_then_the_other_planner_runs(version, low, high):
        found = read(version, low, high)
        calls["n"] += 1
        if calls["n"] == 1:                      # the first batch's read before its transaction
            from reminders_world import with_reminders
            from bot.reminders.run import Planner
            Planner(other, with_reminders(world.settings, batch_size=100)).run(at("2003-11-10T09:00-05:00"))
        return found

    first.store.logged = logged_then_the_other_planner_runs
    report = first.run(at(AS_OF), force=True)
    other.close()
    assert report.enqueued == 0
    assert reminder_emails(world) == Counter({(eid, "3d"): 1 for eid in world.eligible})
    audited = world.db.conn.execute("SELECT count(*) FROM audit WHERE kind = 'reminder'").fetchone()[0]
    assert audited == len(world.eligible)
    recorded = world.db.conn.execute("SELECT outcome, count(*) FROM reminders WHERE kind = '7d' GROUP BY outcome")
    assert recorded.fetchall() == [("superseded", len(world.eligible))]
