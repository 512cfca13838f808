"""The staff channel: new tickets posted with Claim and Resolve, staff-only actions, atomic claims, the relay."""

import asyncio

from bot.audit import AuditLog
from bot.channels.slack.store import SlackStore
from bot.queue import Queue

from slack_world import STAFF_CHANNEL


# An update whose ticket message is still being posted waits 5 s for it (SlackAdapter._ticket_notice):
# on a busy machine that, and the post, can outlast wait_for's default 10 s.
UPDATE_WAIT = 30.0


async def _ticket(app, text="human my grant 0003 is missing from the Tool"):
    await app.command(text)
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == STAFF_CHANNEL
    return post


async def test_a_new_ticket_is_posted_to_the_staff_channel_with_claim_and_resolve_and_no_figures(app):
    post = await _ticket(app)
    text = post.blocks_text()
    assert "CC-000001: missing-options" in text or "CC-000001: " in text
    assert "E1 Alice Smith (United States, Employee Level 62)" in text
    assert "> I want to talk to a person: my grant 0003 is missing from the Tool" in text
    assert post.buttons() == ["Claim", "Resolve"]
    assert "$" not in text


async def test_a_click_by_someone_not_on_staff_is_refused_privately(app):
    post = await _ticket(app)
    claim = post.button("Claim")
    await app.click(user="U0PAT", channel=STAFF_CHANNEL, action_id="ticket_claim", value=claim["value"])
    (refusal,) = await app.slack.wait_for("chat.postEphemeral")
    assert (refusal.params["user"], refusal.params["channel"]) == ("U0PAT", STAFF_CHANNEL)
    assert refusal.blocks_text() == "Only Microsoft Stock Services staff can claim or resolve tickets."
    assert Queue(app.db).get("CC-000001").status == "open"


async def test_a_claim_updates_the_posted_message(app):
    post = await _ticket(app)
    await app.click(user="U0STAFF1", channel=STAFF_CHANNEL, action_id="ticket_claim", value="CC-000001")
    (update,) = await app.slack.wait_for("chat.update", timeout=UPDATE_WAIT)
    assert (update.params["channel"], update.params["ts"]) == (STAFF_CHANNEL, "1067860800.000001")
    assert "Claimed by <@U0STAFF1>" in update.blocks_text() and update.buttons() == ["Resolve"]
    assert Queue(app.db).get("CC-000001").assignee == "U0STAFF1"
    del post


async def test_two_staff_claiming_at_once_one_wins_and_the_other_is_told_who_has_it(app):
    await _ticket(app)
    await asyncio.gather(
        app.click(user="U0STAFF1", channel=STAFF_CHANNEL, action_id="ticket_claim", value="CC-000001"),
        app.click(user="U0STAFF2", channel=STAFF_CHANNEL, action_id="ticket_claim", value="CC-000001"))
    (told,) = await app.slack.wait_for("chat.postEphemeral")
    winner = Queue(app.db).get("CC-000001").assignee
    loser = ({"U0STAFF1", "U0STAFF2"} - {winner}).pop()
    assert told.params["user"] == loser
    assert told.blocks_text() == f"CC-000001 is already claimed by <@{winner}>."


async def test_a_staff_reply_in_the_tickets_thread_reaches_the_requester_in_their_dm_once(app):
    post = await _ticket(app)
    await app.dm("when is the election deadline?")             # the app learns Alice's DM channel
    await app.slack.wait_for("chat.postMessage", 2)
    await app.settle()
    reply = {"type": "message", "channel": STAFF_CHANNEL, "channel_type": "channel", "user": "U0STAFF1",
             "text": "We re-sent the grant record; it shows in the Tool now.", "ts": "1067860900.000050",
             "thread_ts": "1067860800.000001"}
    await app.event(reply)
    await app.event(reply, retry=1)                            # Slack delivers it again
    relayed = (await app.slack.wait_for("chat.postMessage", 3))[2]
    assert relayed.params["channel"] == "D0ALICE"
    assert relayed.blocks_text().startswith("Microsoft Stock Services replied about ticket CC-000001:\n"
                                            "> We re-sent the grant record; it shows in the Tool now.")
    await app.settle()
    assert len([c for c in app.slack.of("chat.postMessage") if c.params["channel"] == "D0ALICE"]) == 2
    staff = [m for m in Queue(app.db).messages("CC-000001") if m.author_kind == "staff"]
    assert [(m.author, m.text) for m in staff] == [("U0STAFF1", "We re-sent the grant record; it shows in the Tool now.")]
    assert [e.kind for e in AuditLog(app.db).all()].count("staff-reply") == 1
    del post


async def test_a_non_staff_reply_in_the_thread_is_not_relayed(app):
    await _ticket(app)
    await app.event({"type": "message", "channel": STAFF_CHANNEL, "channel_type": "channel", "user": "U0PAT",
                     "text": "I think it is fine", "ts": "1067860900.000051", "thread_ts": "1067860800.000001"})
    await app.settle()
    assert [m.author_kind for m in Queue(app.db).messages("CC-000001")] == ["employee"]


async def test_resolve_updates_the_message_and_removes_the_buttons(app):
    await _ticket(app)
    await app.click(user="U0STAFF2", channel=STAFF_CHANNEL, action_id="ticket_resolve", value="CC-000001")
    (update,) = await app.slack.wait_for("chat.update", timeout=UPDATE_WAIT)
    assert "Resolved by <@U0STAFF2>" in update.blocks_text() and update.buttons() == []
    assert Queue(app.db).get("CC-000001").status == "resolved"


async def test_a_ticket_changed_outside_slack_is_updated_in_the_channel_too(app):
    await _ticket(app)
    await app.settle()
    await asyncio.to_thread(lambda: Queue(app.db).claim("CC-000001", "Pat from Stock Services", app.context.clock()))
    (update,) = await app.slack.wait_for("chat.update", timeout=UPDATE_WAIT)
    assert "Claimed by Pat from Stock Services" in update.blocks_text()
    assert SlackStore(app.db).post_of(1).ts == "1067860800.000001"
