"""Where an estimate's chart may go (handlers.outgoing.plan): only to the employee, privately."""

from __future__ import annotations

from handlers.messages import Incoming, Response
from handlers.outgoing import plan
from handlers.reply import Reply

ESTIMATE = Reply("estimate", ("Your estimated Total Payment ...",), privacy="private", chart="E1")
POINTER = Reply("estimate", ("I've sent my answer to you privately.",))


def response(*replies: Reply, private_to: str | None = "alice@example.com") -> Response:
    return Response(replies, "E1", private_to, message_id="m1")


def test_the_email_to_the_address_on_record_carries_the_chart():
    [row] = plan(Incoming("email", "alice@example.com", "at $27?"), response(ESTIMATE))
    assert (row.recipient, row.payload["chart"]) == ("alice@example.com", {"employee_id": "E1"})


def test_an_email_answered_without_a_record_carries_no_chart():
    rows = plan(Incoming("email", "x@example.com", "at $27?"), response(ESTIMATE, POINTER, private_to=None))
    assert [r.payload.get("chart") for r in rows] == [None]


def test_a_reply_that_is_not_an_estimate_carries_no_chart():
    [row] = plan(Incoming("email", "alice@example.com", "deadline?"), response(Reply("faq", ("Q21",))))
    assert "chart" not in row.payload


def test_a_chart_marked_for_someone_else_goes_nowhere():
    other = Reply("estimate", ("...",), privacy="private", chart="E2")
    [row] = plan(Incoming("email", "alice@example.com", "at $27?"), response(other))
    assert "chart" not in row.payload


def test_a_slack_dm_estimate_adds_one_chart_row_to_the_dm():
    rows = plan(Incoming("slack", "U0ALICE", "at $27?", conversation="D0ALICE", message_id="D0ALICE:1"),
                response(ESTIMATE, private_to="U0ALICE"))
    assert [(r.key, r.kind, r.recipient, r.payload.get("mode")) for r in rows] == [
        ("reply:slack:m1:0", "reply", "U0ALICE", "dm"), ("reply:slack:m1:chart", "chart", "U0ALICE", "chart")]
    assert (rows[1].payload["chart"], rows[1].payload["conversation"], rows[1].payload["replies"]) == (
        {"employee_id": "E1"}, "D0ALICE", [])


def test_a_slash_command_estimate_adds_a_chart_row_for_the_dm_not_the_channel():
    rows = plan(Incoming("slack", "U0ALICE", "estimate 27", conversation="C0GENERAL", shared=True,
                         metadata={"reply": "ephemeral"}), response(ESTIMATE, private_to="U0ALICE"))
    assert [(r.recipient, r.payload.get("mode"), r.payload.get("conversation")) for r in rows] == [
        ("U0ALICE", "ephemeral", "C0GENERAL"), ("U0ALICE", "chart", None)]


def test_a_mention_in_a_shared_channel_adds_no_chart_row():
    rows = plan(Incoming("slack", "U0ALICE", "at $27?", conversation="C0GENERAL", shared=True),
                response(POINTER, ESTIMATE, private_to="U0ALICE"))
    assert [r.payload.get("mode") for r in rows] == ["thread", "ephemeral"]
    assert not any("chart" in r.payload for r in rows)
