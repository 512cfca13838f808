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


async def test_a_row_no_turn_handed_over_is_sent_while_turns_keep_handing_theirs_over(app):
    from bot.db import write_transaction
    from bot.outbox import Outbound
    from handlers.outgoing import reply_to_json
    from handlers.reply import Reply

    # Enqueued without a wake (as a retry whose backoff ends), amid a stream of handed-over answers that
    # each wake the worker: it still claims what is due (when its nap ends by the row's not-before time,
    # or, when never idle, every idle_poll).
    db = app.context.connections.db()
    with write_transaction(db):
        Outbox(db).enqueue(Outbound(key="unwoken-1", channel="slack", recipient="U0PAT", kind="reply",
                                    payload={"replies": [reply_to_json(Reply("other", ("a note for Pat",)))],
                                             "mode": "dm"}), app.context.clock())
    for _ in range(40):
        await app.dm("when is the election deadline?")
        await asyncio.sleep(0.05)
        if any(c.params["channel"] == "U0PAT" for c in app.slack.of("chat.postMessage")):
            break
    await app.settle()
    assert [c.params["channel"] for c in app.slack.of("chat.postMessage")].count("U0PAT") == 1


async def test_a_sent_mark_that_finds_the_lock_taken_waits_in_a_thread_while_the_loop_keeps_acking(app, db_path):
    from bot.channels.slack.worker import RECORD_PAUSES

    worker = app.deps.worker
    response = await app.deps.conversation.ahandle(_dm(3), handover=worker.handover())
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        worker.take(response.claimed)
        await app.slack.wait_for("chat.postMessage")
        await asyncio.sleep(sum(RECORD_PAUSES) + 0.2)          # every try on the loop has found the lock taken
        row = Outbox(app.context.connections.db()).by_key(response.outbox_keys[0])
        assert row.status == "pending"                         # not marked: the lock is still held
        await app.dm("when is the election deadline?", ts="1067860800.000901")   # acked (200): the loop is free
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await app.settle()
    row = Outbox(app.context.connections.db()).by_key(response.outbox_keys[0])
    assert (row.status, row.attempts) == ("sent", 1)
