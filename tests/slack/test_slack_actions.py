"""The buttons under an answer: the full section, feedback in the audit trail, a ticket, the choices."""

import json

from bot.audit import AuditLog
from bot.queue import Queue
from slack_world import STAFF_CHANNEL


async def _answered(app, text="when is the election deadline?", user="U0ALICE"):
    await app.dm(text, user=user)
    (post,) = await app.slack.wait_for("chat.postMessage")
    await app.settle()
    return post


async def test_show_full_section_sends_the_whole_section_where_the_answer_was(app):
    post = await _answered(app)
    button = post.button("Show full section")
    status, _ = await app.click(user="U0ALICE", channel="D0ALICE", action_id=button["action_id"],
                                value=button["value"])
    assert status == 200
    full = (await app.slack.wait_for("chat.postMessage", 2))[1]
    assert full.params["channel"] == "D0ALICE"
    assert full.params["blocks"][0]["text"]["text"].startswith("Q21. When does my ability to elect to participate")
    assert "> The Election Period for the Stock Option Transfer Program will end" in full.blocks_text()


async def test_helpful_is_recorded_in_the_audit_trail_with_the_answer_it_rates(app):
    post = await _answered(app)
    button = post.button("Helpful")
    await app.click(user="U0ALICE", channel="D0ALICE", action_id=button["action_id"], value=button["value"])
    thanks = (await app.slack.wait_for("chat.postMessage", 2))[1]
    assert thanks.blocks_text() == "Thank you: your feedback (helpful) on this answer is recorded."
    (record,) = [e for e in AuditLog(app.db).all() if e.kind == "feedback"]
    assert (record.direction, record.intent, record.employee_id, record.sections[0]) == ("in", "helpful", "E1", "q21")
    assert record.text.startswith(f"helpful on answer {json.loads(button['value'])['a']}")
    assert "> The Election Period for the Stock Option Transfer Program will end" in record.text


async def test_not_helpful_is_recorded_too(app):
    post = await _answered(app)
    button = post.button("Not helpful")
    await app.click(user="U0ALICE", channel="D0ALICE", action_id=button["action_id"], value=button["value"])
    await app.slack.wait_for("chat.postMessage", 2)
    (record,) = [e for e in AuditLog(app.db).all() if e.kind == "feedback"]
    assert record.intent == "not-helpful"


async def test_ask_compchng_opens_a_ticket_with_the_answer_and_the_conversation(app):
    post = await _answered(app)
    button = post.button("Ask compchng")
    await app.click(user="U0ALICE", channel="D0ALICE", action_id=button["action_id"], value=button["value"])
    await app.slack.wait_for("chat.postMessage", 2)
    await app.settle()      # the ticket's notice to the staff channel may be posted before or after the reply
    (reply,) = [p for p in app.slack.of("chat.postMessage")[1:] if p.params["channel"] != STAFF_CHANNEL]
    assert "I've passed this to Microsoft Stock Services (the compchng team) as ticket CC-000001." in reply.blocks_text()
    (ticket,) = Queue(app.db).list()
    assert ticket.requester_employee_id == "E1" and ticket.channel == "slack"
    assert ticket.text.startswith('Asked from an answer in Slack (the "Ask compchng" button).')
    assert "The answer given (q21, term:election-deadline, q23):" in ticket.text
    assert "Employee: when is the election deadline?" in ticket.text


async def test_a_choice_button_is_answered_from_the_chosen_section(app):
    post = await _answered(app, "what about the thing with the form for the other option stuff")
    first = post.params["blocks"][-1]["elements"][0]
    assert json.loads(first["value"])["s"] == "forms"
    await app.click(user="U0ALICE", channel="D0ALICE", action_id=first["action_id"], value=first["value"])
    answer = (await app.slack.wait_for("chat.postMessage", 2))[1]
    assert answer.params["blocks"][0]["text"]["text"] == "From Election to Participate form and Withdrawal Form:"
    assert "[forms]" in answer.blocks_text()


async def test_a_button_pressed_in_a_channel_is_answered_only_to_the_presser(app):
    await app.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "ts": "1067860800.000020",
                     "text": "<@UBOT> when is the election deadline?"})
    (post,) = await app.slack.wait_for("chat.postMessage")
    button = post.button("Show full section")
    await app.click(user="U0PAT", channel="C0GENERAL", action_id=button["action_id"], value=button["value"],
                    message_ts="1067860800.000021", thread_ts="1067860800.000020")
    (ephemeral,) = await app.slack.wait_for("chat.postEphemeral")
    assert (ephemeral.params["channel"], ephemeral.params["user"], ephemeral.params["thread_ts"]) == (
        "C0GENERAL", "U0PAT", "1067860800.000020")
    await app.settle()
    assert len(app.slack.of("chat.postMessage")) == 1
