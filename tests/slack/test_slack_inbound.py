"""A DM, mention or /sotp is stored before its ack, and a stored one is answered once, even across a crash."""

import asyncio
import sqlite3

from bot.channels.slack.inbound import SlackInboundLedger, event_key, ledger_path, open_ledger
from bot.db import Connections

from slack_world import start_app

DM = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
      "text": "when is the election deadline?", "ts": "1067860800.000701", "event_ts": "1067860800.000701"}


def _rows(db_path) -> list[tuple[str, str, str]]:
    """The ledger's rows, from its own file beside the database."""
    connections = open_ledger(db_path)
    try:
        return [tuple(r) for r in connections.db().conn.execute(
            "SELECT key, kind, status FROM slack_inbound ORDER BY id")]
    finally:
        connections.close()


async def test_a_dm_is_stored_before_its_ack_and_marked_done_once_answered(app, db_path):
    await app.dm("when is the election deadline?", ts="1067860800.000702")
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    await app.inbound.inbound.flush()
    assert _rows(db_path) == [("D0ALICE:1067860800.000702", "message", "done")]


async def test_a_command_is_stored_before_its_ack(app, db_path):
    status, _ = await app.command("deadline")
    assert status == 200
    await app.slack.wait_for("response_url")
    await app.settle()
    await app.inbound.inbound.flush()
    assert [(kind, status) for _, kind, status in _rows(db_path)] == [("command", "done")]


async def test_slacks_retry_of_a_stored_event_is_not_stored_again(app, db_path):
    assert (await app.event(DM, event_id="Ev7"))[0] == 200
    assert (await app.event(DM, event_id="Ev7", retry=1))[0] == 200
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    assert len(_rows(db_path)) == 1 and len(app.slack.of("chat.postMessage")) == 1


async def test_a_stored_but_unprocessed_event_is_answered_once_after_a_restart(db_path, clock, slack, monkeypatch,
                                                                              tmp_path):
    connections = open_ledger(db_path)
    SlackInboundLedger(connections).store("message", event_key(DM), DM, "UBOT")   # the process died after this
    connections.close()
    harness = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    try:
        calls = await slack.wait_for("chat.postMessage")
        await harness.settle()
    finally:
        await harness.close()
    assert [(c.params["channel"], c.params.get("thread_ts")) for c in calls] == [("D0ALICE", None)]
    assert len(slack.of("chat.postMessage")) == 1
    assert _rows(db_path) == [(event_key(DM), "message", "done")]


async def test_an_acked_dm_whose_work_never_ran_is_answered_after_a_restart(db_path, clock, slack, monkeypatch,
                                                                           tmp_path):
    first = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    first.inbound.inbound.start = lambda *a, **k: None      # the process dies between the ack and the turn
    try:
        assert (await first.event(DM))[0] == 200
        await first.settle()
    finally:
        await first.close()
    assert slack.of("chat.postMessage") == []
    assert _rows(db_path) == [(event_key(DM), "message", "pending")]
    second = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    try:
        await slack.wait_for("chat.postMessage")
        await second.settle()
    finally:
        await second.close()
    assert [c.params["channel"] for c in slack.of("chat.postMessage")] == ["D0ALICE"]
    assert _rows(db_path) == [(event_key(DM), "message", "done")]


async def test_a_row_answered_but_not_yet_marked_done_sends_nothing_twice_after_a_restart(
        db_path, clock, slack, monkeypatch, tmp_path):
    first = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    try:
        assert (await first.event(DM))[0] == 200
        await slack.wait_for("chat.postMessage")
        await first.settle()
    finally:
        await first.close()
    connections = open_ledger(db_path)        # the process died after the turn, before the done mark
    connections.db().conn.execute("UPDATE slack_inbound SET status = 'pending', processed_at = NULL")
    connections.close()
    second = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    try:
        await second.settle()
        await second.inbound.inbound.flush()
    finally:
        await second.close()
    assert len(slack.of("chat.postMessage")) == 1
    assert _rows(db_path) == [(event_key(DM), "message", "done")]


async def test_stores_that_arrive_together_are_committed_together_each_with_its_own_answer(app, db_path):
    import asyncio

    inbound = app.inbound.inbound
    events = [dict(DM, ts=f"1067860800.{n:06d}") for n in range(900, 930)]
    # The same key twice in one batch, and a key an earlier transaction stored: stored once each.
    first = await inbound.store("message", event_key(events[0]), events[0], "UBOT")
    ids = await asyncio.gather(*(inbound.store("message", event_key(e), e, "UBOT") for e in events),
                               inbound.store("message", event_key(events[5]), events[5], "UBOT"))
    assert first is not None and ids[0] is None and ids[-1] is None
    assert len(set(ids[1:-1])) == len(events) - 1 and None not in ids[1:-1]
    keys = [key for key, _, _ in _rows(db_path)]
    assert keys == [event_key(e) for e in events]


def test_the_ledger_is_a_file_of_its_own_beside_the_database(tmp_path):
    assert ledger_path(tmp_path / "sotp.db") == tmp_path / "sotp-slack-inbound.db"
    assert ledger_path(tmp_path / "people") == tmp_path / "people-slack-inbound.db"


async def test_a_dm_is_stored_and_acked_while_a_turn_holds_the_databases_write_lock(app, db_path):
    # Another process's long write (a turn, an import) holds the database's lock: the store before
    # the ack writes another file, so Slack gets its ack now, and the answer follows the lock.
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        ts = await app.dm("when is the election deadline?")
        assert _rows(db_path) == [(f"D0ALICE:{ts}", "message", "pending")]
        assert app.slack.of("chat.postMessage") == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    await app.inbound.inbound.flush()
    assert _rows(db_path) == [(f"D0ALICE:{ts}", "message", "done")]


async def test_a_row_an_older_version_left_pending_in_the_database_is_moved_and_answered_once(
        db_path, clock, slack, monkeypatch, tmp_path):
    connections = Connections(db_path)      # where versions before the ledger's own file stored it
    SlackInboundLedger(connections).store("message", event_key(DM), DM, "UBOT")
    connections.close()
    harness = await start_app(db_path, clock, slack, monkeypatch, tmp_path)
    try:
        await slack.wait_for("chat.postMessage")
        await harness.settle()
        await harness.inbound.inbound.flush()
    finally:
        await harness.close()
    assert len(slack.of("chat.postMessage")) == 1
    assert _rows(db_path) == [(event_key(DM), "message", "done")]
    connections = Connections(db_path)
    try:
        assert [tuple(r) for r in connections.db().conn.execute("SELECT key, status, note FROM slack_inbound")] == [
            (event_key(DM), "done", "moved to the ledger file")]
    finally:
        connections.close()


async def test_stores_on_the_event_loop_leave_the_ledgers_wal_checkpoints_to_a_thread(app, db_path):
    # A store runs on the loop; SQLite's own checkpoint inside a COMMIT would stall every request.
    await app.dm("when is the election deadline?", ts="1067860800.000703")
    inbound = app.inbound.inbound
    loop_connection = inbound.ledger.connections.db().conn
    assert loop_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    inbound.close(final=False)
    sqlites_own = sqlite3.connect(":memory:").execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert loop_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == sqlites_own
