"""A turn's Slack rows go to the delivery worker with the turn's answer, claimed already: no claim of its own."""

import asyncio
import sqlite3

from bot.outbox import Outbox
from handlers.messages import Incoming


def _dm(n: int) -> Incoming:
    return Incoming("slack", "U0ALICE", "when is the election deadline?", message_id=f"D0ALICE:1067860800.00{n:04d}")


async def test_a_handed_over_row_is_posted_while_another_writer_holds_the_database(app, db_path):
    worker = app.deps.worker
    response = await app.deps.conversation.ahandle(_dm(1), handover=worker.handover())
    assert len(response.claimed) == 1
    # A claim would need the write lock: a handed-over row is posted without one, and marked sent after.
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        worker.take(response.claimed)
        calls = await app.slack.wait_for("chat.postMessage")
        assert [c.params["channel"] for c in calls] == ["U0ALICE"]      # a DM by user id
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await app.settle()
    row = Outbox(app.context.connections.db()).by_key(response.outbox_keys[0])
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_dms_answer_is_posted_once_and_marked_sent_with_one_attempt(app):
    await app.dm("when is the election deadline?")
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    rows = list(Outbox(app.context.connections.db()).rows(channel="slack"))
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)]
    assert len(app.slack.of("chat.postMessage")) == 1


async def test_rows_of_a_handover_never_taken_are_released_and_sent(app):
    worker = app.deps.worker
    handover = worker.handover()
    # A turn committed under this handover in a process that died before answering: nothing was taken.
    await app.deps.conversation.ahandle(_dm(2), handover=handover)
    await asyncio.to_thread(worker.release, handover.token)
    calls = await app.slack.wait_for("chat.postMessage")
    await app.settle()
    assert [c.params["channel"] for c in calls] == ["U0ALICE"]      # a DM by user id


async def test_a_worker_that_is_not_running_offers_no_handover(app):
    from bot.channels.slack.worker import SlackDeliveryWorker

    idle = SlackDeliveryWorker(app.context.connections, app.deps.worker.adapter)
    assert idle.handover() is None
