"""Requests signed as Slack signs them reach the app over HTTP; anything else is refused with 401."""

import json
import time

from bot.channels.slack.localslack import event_body, signed


async def test_url_verification_is_answered_with_the_challenge(app):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    status, text = await app.post(body, signed(body))
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_a_bad_signature_is_refused_with_401_and_nothing_is_answered(app):
    body = event_body({"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
                       "text": "when is the deadline?", "ts": "1067860800.000001"})
    status, _ = await app.post(body, signed(body, secret="not-the-secret"))
    assert status == 401
    await app.settle()
    assert app.slack.of("chat.postMessage") == []


async def test_a_timestamp_older_than_five_minutes_is_refused_with_401(app):
    body = event_body({"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
                       "text": "when is the deadline?", "ts": "1067860800.000002"})
    status, _ = await app.post(body, signed(body, timestamp=int(time.time()) - 6 * 60))
    assert status == 401
    await app.settle()
    assert app.slack.of("chat.postMessage") == []


async def test_an_event_is_acknowledged_before_the_answer_is_worked_out(app):
    started = time.monotonic()
    status, _ = await app.event({"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
                                 "text": "when is the election deadline?", "ts": "1067860800.000003"})
    acked = time.monotonic() - started
    assert status == 200 and acked < 3.0
    await app.slack.wait_for("chat.postMessage")


async def test_slacks_retry_of_an_event_is_answered_once(app):
    event = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
             "text": "when is the election deadline?", "ts": "1067860800.000004"}
    assert (await app.event(event, event_id="Ev1"))[0] == 200
    await app.slack.wait_for("chat.postMessage")
    assert (await app.event(event, event_id="Ev1", retry=1))[0] == 200
    assert (await app.event(event, event_id="Ev1", retry=2))[0] == 200
    await app.settle()
    assert len(app.slack.of("chat.postMessage")) == 1


async def test_the_mention_and_the_channel_message_of_one_message_are_answered_once(app):
    said = {"channel": "C0GENERAL", "user": "U0ALICE", "text": "<@UBOT> when is the election deadline?",
            "ts": "1067860800.000005"}
    await app.event({"type": "app_mention", **said})
    await app.event({"type": "message", "channel_type": "channel", **said})
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    assert len(app.slack.of("chat.postMessage")) == 1


async def test_an_event_of_a_kind_the_app_does_not_subscribe_to_is_not_acknowledged(app):
    status, _ = await app.event({"type": "reaction_added", "user": "U0ALICE", "reaction": "thumbsup",
                                 "item": {"type": "message", "channel": "C1", "ts": "1.1"}, "event_ts": "1.2"})
    assert status == 404


async def test_healthz_answers_the_service_health(app):
    async with app.http.get(f"{app.url}/healthz") as response:
        report = await response.json()
    assert response.status == 200
    assert report["ok"] is True and report["slack"]["mode"] == "http" and report["slack"]["listening"] == "listening"
    assert report["outbox"]["pending"] == 0
