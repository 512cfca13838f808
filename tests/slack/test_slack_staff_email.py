"""A staff reply in the staff channel goes to the requester on the ticket's own channel: here, email."""

from __future__ import annotations

from bot.outbox import Outbox
from bot.queue import Queue
from handlers.messages import Incoming

from slack_world import STAFF_CHANNEL


async def test_a_staff_reply_to_an_email_ticket_is_sent_by_email_to_the_address_on_record_once(app):
    app.context.conversation.handle(Incoming("email", "Alice.Smith@example.com",
                                             "my grant 0003 is missing from the tool, please look into it",
                                             message_id="<q1@example.com>"))
    [ticket] = Queue(app.db).list()
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == STAFF_CHANNEL
    reply = {"type": "message", "channel": STAFF_CHANNEL, "channel_type": "channel", "user": "U0STAFF1",
             "text": "We found grant 0003; it shows in the Tool now.", "ts": "1067860900.000070",
             "thread_ts": "1067860800.000001"}   # the staff post's ts on the local Slack
    await app.event(reply)
    await app.event(reply, retry=1)                            # Slack delivers it again
    await app.settle()
    rows = [r for r in Outbox(app.db).rows(kind="staff-reply")]
    assert [(r.channel, r.recipient, r.ticket) for r in rows] == [("email", "Alice.Smith@example.com", ticket.id)]
    assert "We found grant 0003; it shows in the Tool now." in str(rows[0].payload)
    assert not [c for c in app.slack.of("chat.postMessage") if c.params["channel"].startswith("D")]
