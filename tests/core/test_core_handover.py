"""A turn hands its rows for the caller's channel to the caller's delivery worker, claimed already."""

from datetime import timedelta

from bot.outbox import Outbox
from handlers.messages import Handover, Incoming

HANDOVER = Handover("slack", "tok-handover-1", 60.0)


def _dm(text: str = "when is the election deadline?", message_id: str = "D0ALICE:1067860800.000100") -> Incoming:
    return Incoming("slack", "U0ALICE", text, message_id=message_id)


def test_a_turns_slack_rows_come_back_claimed_with_the_handovers_token_and_lease(conversation, clock):
    response = conversation.handle(_dm(), handover=HANDOVER)
    assert [row.key for row in response.claimed] == list(response.outbox_keys)
    assert {row.claim_token for row in response.claimed} == {"tok-handover-1"}
    assert {row.claimed_until for row in response.claimed} == {clock.now + timedelta(seconds=60)}
    assert {row.attempts for row in response.claimed} == {1}
    stored = Outbox(conversation.db).by_key(response.outbox_keys[0])
    assert stored == response.claimed[0]          # exactly the row a claim of the worker's would return


def test_rows_handed_over_are_not_claimed_again_while_their_claim_lasts(conversation, clock):
    conversation.handle(_dm(), handover=HANDOVER)
    assert Outbox(conversation.db).claim("slack", clock.now) == []
    assert len(Outbox(conversation.db).claim("slack", clock.now + timedelta(seconds=61))) == 1


def test_without_a_handover_the_rows_wait_unclaimed_for_the_worker(conversation):
    response = conversation.handle(_dm())
    assert response.claimed == ()
    assert Outbox(conversation.db).by_key(response.outbox_keys[0]).claim_token is None


def test_a_message_answered_before_hands_over_nothing(conversation):
    conversation.handle(_dm(), handover=HANDOVER)
    again = conversation.handle(_dm(), handover=Handover("slack", "tok-handover-2", 60.0))
    assert again.duplicate and again.claimed == ()


def test_rows_for_another_channel_than_the_handovers_are_enqueued_unclaimed(conversation):
    response = conversation.handle(Incoming("email", "alice.smith@example.com", "when is the election deadline?",
                                            message_id="<m1@example.com>"), handover=HANDOVER)
    assert response.outbox_keys and response.claimed == ()
    assert Outbox(conversation.db).by_key(response.outbox_keys[0]).claim_token is None


def test_released_rows_are_due_for_a_claim_at_once(conversation, clock):
    response = conversation.handle(_dm(), handover=HANDOVER)
    outbox = Outbox(conversation.db)
    assert outbox.release("tok-handover-1") == len(response.claimed)
    assert [row.key for row in outbox.claim("slack", clock.now)] == list(response.outbox_keys)


def test_a_chart_is_left_in_the_outbox_to_be_claimed_after_the_answers(conversation):
    response = conversation.handle(_dm("estimate my total payment at $30"), handover=HANDOVER)
    rows = [Outbox(conversation.db).by_key(key) for key in response.outbox_keys]
    assert sorted(r.kind for r in rows) == ["chart", "reply"]
    assert [r.kind for r in response.claimed] == ["reply"]
    assert [r.claim_token for r in rows if r.kind == "chart"] == [None]
