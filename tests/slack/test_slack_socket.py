"""Socket Mode against a local WebSocket server: events are acked and answered; a dead link is replaced."""

import asyncio
import json
import time

from slack_world import start_app


async def _send_dm(slack, envelope_id, ts, text="when is the election deadline?"):
    ws = slack.sockets[-1]
    await ws.send_str(json.dumps({
        "envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
        "retry_attempt": 0, "retry_reason": "",
        "payload": {"token": "legacy", "team_id": "T0SOTP", "api_app_id": "A0SOTP", "type": "event_callback",
                    "event_id": f"Ev{envelope_id}", "event_time": int(time.time()),
                    "event": {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
                              "text": text, "ts": ts, "event_ts": ts}}}))


async def _until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_socket_mode_acks_the_envelope_and_answers_in_the_dm(db_path, clock, slack, monkeypatch, tmp_path):
    app = await start_app(db_path, clock, slack, monkeypatch, tmp_path, slack_mode="socket")
    try:
        assert slack.connections_opened == 1
        await _until(lambda: slack.sockets)
        await _send_dm(slack, "env-1", "1067860800.000040")
        (post,) = await slack.wait_for("chat.postMessage")
        assert post.params["channel"] == "D0ALICE" and post.params["blocks"][0]["text"]["text"] == "From Q21 of the Notice:"
        await _until(lambda: any(a.get("envelope_id") == "env-1" for a in slack.socket_acks))
    finally:
        await app.close()


async def test_a_dead_connection_is_replaced_and_events_keep_being_answered(db_path, clock, slack, monkeypatch,
                                                                            tmp_path):
    app = await start_app(db_path, clock, slack, monkeypatch, tmp_path, slack_mode="socket", watchdog_seconds=0.2)
    try:
        await _until(lambda: slack.sockets)
        await slack.sockets[-1].close()                     # Slack drops the link
        await _until(lambda: slack.connections_opened >= 2 and not slack.sockets[-1].closed)
        await _send_dm(slack, "env-2", "1067860800.000041")
        await slack.wait_for("chat.postMessage")
        assert app.inbound.health()["listening"] == "connected"
    finally:
        await app.close()


async def test_the_watchdog_replaces_a_link_the_sdk_did_not_notice(db_path, clock, slack, monkeypatch, tmp_path):
    app = await start_app(db_path, clock, slack, monkeypatch, tmp_path, slack_mode="socket", watchdog_seconds=0.2)
    try:
        await _until(lambda: slack.sockets)
        client = app.inbound.handler.client
        client.auto_reconnect_enabled = client.default_auto_reconnect_enabled = False   # the SDK goes silent
        await slack.sockets[-1].close()
        await _until(lambda: app.inbound.reconnects >= 1 and slack.connections_opened >= 2)
        await _until(lambda: not slack.sockets[-1].closed)
        await _send_dm(slack, "env-3", "1067860800.000042")
        await slack.wait_for("chat.postMessage")
    finally:
        await app.close()
