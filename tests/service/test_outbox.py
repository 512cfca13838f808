"""The one outbox: idempotency keys, leased claims, backoff, permanent failures in the audit trail."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from bot.audit import AuditLog
from bot.outbox import TEXT_PARTS, Outbound, Outbox, OutboxError, backoff, part_digest, part_ref

NOW = datetime(2003, 11, 10, 17, 0, tzinfo=timezone.utc)


def reminder(key: str = "reminder:v1:7d:E1", **extra) -> Outbound:
    return Outbound(key=key, channel="email", recipient="alice@example.com", kind="reminder",
                    payload={"text": "The Election Deadline is ..."}, employee_id="E1", **extra)


def test_a_row_needs_no_ticket(db):
    row_id = Outbox(db).enqueue(reminder(), NOW)
    row = Outbox(db).get(row_id)
    assert (row.kind, row.ticket, row.status, row.attempts, row.not_before) == ("reminder", None, "pending", 0, NOW)


def test_enqueueing_the_same_key_twice_is_a_no_op(db):
    outbox = Outbox(db)
    first = outbox.enqueue(reminder(), NOW)
    assert outbox.enqueue(reminder(), NOW + timedelta(hours=1)) is None
    assert [r.id for r in outbox.rows()] == [first]


def test_an_unknown_kind_is_refused(db):
    with pytest.raises(OutboxError, match="unknown outbox kind 'gossip'"):
        Outbox(db).enqueue(Outbound("k", "email", "a@b.c", "gossip", {}), NOW)


def test_a_row_is_not_claimed_before_its_not_before_time(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(not_before=NOW + timedelta(hours=1)), NOW)
    assert outbox.claim("email", NOW) == []
    assert len(outbox.claim("email", NOW + timedelta(hours=1))) == 1


def test_a_claimed_row_is_not_claimed_again_until_its_claim_expires(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(), NOW)
    [first] = outbox.claim("email", NOW, lease=timedelta(seconds=60))
    assert outbox.claim("email", NOW + timedelta(seconds=59)) == []
    [again] = outbox.claim("email", NOW + timedelta(seconds=60))
    assert (again.id, again.attempts) == (first.id, 2) and again.claim_token != first.claim_token


def test_a_worker_whose_claim_expired_cannot_complete_the_row(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(), NOW)
    [stale] = outbox.claim("email", NOW, lease=timedelta(seconds=1))
    [fresh] = outbox.claim("email", NOW + timedelta(seconds=2))
    assert not outbox.complete(stale, NOW + timedelta(seconds=3), "<late@x>")
    assert outbox.complete(fresh, NOW + timedelta(seconds=3), "<m@x>")
    row = outbox.get(fresh.id)
    assert (row.status, row.provider_ref, row.sent_at) == ("sent", "<m@x>", NOW + timedelta(seconds=3))


def test_a_temporary_failure_waits_and_keeps_the_error(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(), NOW)
    [row] = outbox.claim("email", NOW)
    assert outbox.retry_later(row, NOW, "421 try later", timedelta(seconds=30))
    after = outbox.get(row.id)
    assert (after.status, after.last_error, after.not_before) == ("pending", "421 try later", NOW + timedelta(seconds=30))
    assert outbox.claim("email", NOW + timedelta(seconds=29)) == []


def test_a_row_out_of_attempts_fails_and_is_audited(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(), NOW)
    [row] = outbox.claim("email", NOW)
    assert outbox.retry_later(row, NOW, "connection refused", max_attempts=1)
    failed = outbox.get(row.id)
    assert (failed.status, failed.last_error) == ("failed", "gave up after 1 attempts: connection refused")
    [event] = AuditLog(db).all()
    assert (event.kind, event.address, event.intent) == ("delivery-failure", "alice@example.com", "reminder")
    assert event.text == f"outbox row {row.id} (reminder:v1:7d:E1) not delivered: gave up after 1 attempts: connection refused"


def test_an_administrators_retry_makes_a_failed_row_due_again_but_never_resends_a_sent_one(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder(), NOW)
    [row] = outbox.claim("email", NOW)
    outbox.fail(row, NOW, "550 no such user")
    again = outbox.requeue(row.id, NOW + timedelta(hours=1))
    assert (again.status, again.attempts, again.not_before) == ("pending", 0, NOW + timedelta(hours=1))
    [claimed] = outbox.claim("email", NOW + timedelta(hours=1))
    outbox.complete(claimed, NOW + timedelta(hours=1))
    with pytest.raises(OutboxError, match="already sent"):
        outbox.requeue(row.id, NOW + timedelta(hours=2))


def test_backoff_doubles_from_two_seconds_to_five_minutes_with_a_fifth_of_jitter():
    rng = random.Random(7)
    waits = [backoff(n, rng).total_seconds() for n in (1, 2, 3, 20)]
    for wait, base in zip(waits, (2, 4, 8, 300)):
        assert base * 0.8 <= wait <= base * 1.2


def test_depth_counts_pending_rows_and_the_oldest(db):
    outbox = Outbox(db)
    outbox.enqueue(reminder("a"), NOW)
    outbox.enqueue(reminder("b"), NOW + timedelta(minutes=5))
    depth = outbox.depth()
    assert (depth.pending, depth.oldest_pending, depth.failed, depth.by_channel) == (2, NOW, 0, {"email": 2})



def test_a_reply_is_claimed_before_a_wave_of_reminders_enqueued_earlier(db):
    outbox = Outbox(db)
    outbox.enqueue_many([reminder(f"reminder:v1:7d:E{n}") for n in range(100)], NOW)
    outbox.enqueue(Outbound("reply:email:<q@x>:0", "email", "bob@example.com", "reply", {"replies": []}),
                   NOW + timedelta(minutes=1))
    [first] = outbox.claim("email", NOW + timedelta(minutes=1), limit=1)
    assert first.key == "reply:email:<q@x>:0"



def test_a_chart_is_claimed_after_the_text_answers_waiting_beside_it(db):
    outbox = Outbox(db)
    outbox.enqueue(Outbound("reply:slack:m1:chart", "slack", "U0ALICE", "chart", {"mode": "chart"}), NOW)
    outbox.enqueue(Outbound("reply:slack:m2:0", "slack", "U0BRUNA", "reply", {"text": "hi"}), NOW)
    assert [r.kind for r in outbox.claim("slack", NOW, limit=1)] == ["reply"]


SHARED = "The Election Deadline is midnight New York City/Eastern Time on Wednesday, November 12, 2003."


def composed(key: str, parts: list) -> Outbound:
    return Outbound(key=key, channel="email", recipient="alice@example.com", kind="reminder",
                    payload={"subject": "S", TEXT_PARTS: parts}, employee_id="E1")


def test_a_claimed_row_with_text_parts_has_its_text_whole_and_no_parts(db):
    outbox = Outbox(db)
    outbox.enqueue_many([composed("r:1", ["Dear Alice,", part_ref(part_digest(SHARED)), "Nothing on record."])], NOW,
                        parts={part_digest(SHARED): SHARED})
    [row] = outbox.claim("email", NOW)
    assert row.payload == {"subject": "S", "text": f"Dear Alice,\n\n{SHARED}\n\nNothing on record."}


def test_a_shared_paragraph_is_stored_once_for_every_batch_that_names_it(db):
    outbox = Outbox(db)
    for n in range(3):
        outbox.enqueue_many([composed(f"r:{n}", [part_ref(part_digest(SHARED))])], NOW,
                            parts={part_digest(SHARED): SHARED})
    assert db.conn.execute("SELECT count(*) FROM outbox_parts").fetchone()[0] == 1
    assert [r.payload["text"] for r in outbox.rows()] == [SHARED, SHARED, SHARED]


def test_a_text_part_whose_digest_is_not_its_text_s_is_refused_and_nothing_is_written(db):
    outbox = Outbox(db)
    with pytest.raises(OutboxError, match=f"text part {'0' * 64} is not the SHA-256 of its text"):
        outbox.enqueue_many([composed("r:1", [part_ref("0" * 64)])], NOW, parts={"0" * 64: SHARED})
    assert list(outbox.rows()) == []


def test_a_row_naming_a_part_that_is_not_stored_is_refused_when_read(db):
    outbox = Outbox(db)
    row_id = outbox.enqueue(composed("r:1", [part_ref("f" * 64)]), NOW)
    with pytest.raises(OutboxError, match=f"outbox row {row_id}: its text part {'f' * 64} is not in outbox_parts"):
        outbox.get(row_id)
