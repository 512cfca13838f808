"""Delivery of Slack outbox rows: rate limits pause everyone, permanent errors fail, privacy holds."""

import asyncio

from bot.channels.slack.ratelimit import TokenBucket
from bot.outbox import Outbound, Outbox


async def test_a_429_pauses_every_call_for_its_retry_after_and_the_row_waits_as_long(app, clock):
    app.slack.answer_next("chat.postMessage", status=429, retry_after=30)
    await app.dm("when is the election deadline?")
    (limited,) = await app.slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)
    row = next(Outbox(app.db).rows(channel="slack", kind="reply"))
    assert (row.status, row.last_error) == ("pending", "slack: ratelimited")
    assert (row.not_before - clock()).total_seconds() == 30
    assert 29 < app.deps.api.bucket.paused_for() <= 30
    del limited


async def test_a_permanent_slack_error_fails_the_row_and_is_audited(app):
    app.slack.answer_next("chat.postMessage", error="channel_not_found")
    await app.dm("when is the election deadline?")
    await app.slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)
    row = next(Outbox(app.db).rows(channel="slack", kind="reply"))
    assert (row.status, row.last_error) == ("failed", "slack: channel_not_found")


async def test_an_ephemeral_reply_the_channel_cannot_show_goes_to_the_askers_dm(app):
    app.slack.answer_next("chat.postEphemeral", error="user_not_in_channel")
    await app.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "ts": "1067860800.000030",
                     "text": "<@UBOT> estimate my total payment at $27"})
    await app.slack.wait_for("chat.postEphemeral")
    posts = await app.slack.wait_for("chat.postMessage", 2)
    private = [p for p in posts if p.params["channel"] != "C0GENERAL"]
    assert [p.params["channel"] for p in private] == ["U0ALICE"]
    assert "$2,800.00" in private[0].blocks_text()
    assert private[0].blocks_text().startswith("This answer is private, so it was sent to you in a direct message.")


async def test_a_private_reply_addressed_to_a_channel_thread_is_refused_not_posted(app, clock):
    payload = {"replies": [{"intent": "estimate", "parts": ["Your Total Payment: $2,800.00"], "privacy": "private"}],
               "reply_ref": "1.1", "in_reply_to": "C0GENERAL:1.1", "metadata": {}, "mode": "thread",
               "conversation": "C0GENERAL"}
    await asyncio.to_thread(lambda: Outbox(app.db).enqueue(
        Outbound("reply:slack:test:0", "slack", "C0GENERAL", "reply", payload), clock()))
    app.deps.wake()
    await asyncio.sleep(0.3)
    row = Outbox(app.db).by_key("reply:slack:test:0")
    assert (row.status, row.last_error) == ("failed", "refused: a private reply addressed to a channel others read")
    assert app.slack.of("chat.postMessage") == []


async def test_the_token_bucket_spends_its_burst_then_keeps_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    for _ in range(3):
        await bucket.acquire()
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    now[0] = 0.5                           # half a second at 2 a second: one more token
    await asyncio.wait_for(waiter, 2)


async def test_a_pause_holds_every_caller_until_it_ends():
    now = [0.0]
    bucket = TokenBucket(rate=0, burst=1, clock=lambda: now[0])
    bucket.pause(30)
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done() and bucket.paused_for() == 30
    now[0] = 30.0
    await asyncio.wait_for(waiter, 2)


async def test_a_reply_due_after_the_client_closed_stays_pending_and_opens_no_session_of_its_own(app):
    await app.deps.api.aclose()
    await app.dm("when is the election deadline?")
    await asyncio.sleep(0.3)
    row = next(Outbox(app.db).rows(channel="slack", kind="reply"))
    assert (row.status, row.last_error) == ("pending", "ConnectionError: the Slack client is closed: the service is stopping")
    assert app.deps.api.client.session.closed
    assert app.slack.of("chat.postMessage") == []
