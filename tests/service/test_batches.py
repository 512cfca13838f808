"""Batch writes for planners: outbox rows and audit records in one statement each, same guarantees."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.audit import AuditEvent, AuditLog
from bot.outbox import Outbound, Outbox, OutboxError

NOW = datetime(2003, 11, 6, 14, 0, tzinfo=timezone.utc)


def row(key: str) -> Outbound:
    return Outbound(key, "email", "pat@example.com", "reminder", {"subject": "s", "text": key}, employee_id="E1")


def test_enqueue_many_returns_only_the_keys_new_to_the_outbox(db):
    outbox = Outbox(db)
    outbox.enqueue(row("reminder:v1:7d:E1:email"), NOW)
    added = outbox.enqueue_many([row("reminder:v1:7d:E1:email"), row("reminder:v1:7d:E2:email"),
                                 row("reminder:v1:7d:E2:email")], NOW)
    assert [r.key for r in added] == ["reminder:v1:7d:E2:email"]
    assert [r.key for r in outbox.rows()] == ["reminder:v1:7d:E1:email", "reminder:v1:7d:E2:email"]
    assert outbox.by_key("reminder:v1:7d:E2:email").payload == {"subject": "s", "text": "reminder:v1:7d:E2:email"}


def test_enqueue_many_refuses_an_unknown_kind_before_writing_anything(db):
    with pytest.raises(OutboxError, match="unknown outbox kind 'gossip'"):
        Outbox(db).enqueue_many([row("k1"), Outbound("k2", "email", "a@b.c", "gossip", {})], NOW)
    assert list(Outbox(db).rows()) == []


def test_record_many_chains_like_one_record_at_a_time(db):
    audit = AuditLog(db)
    events = [AuditEvent(NOW, "out", "reminder", "email", "pat@example.com", f"E{i}", "reminder:7d", (), None,
                         f"reminder {i}") for i in range(5)]
    audit.record(events[0])
    assert audit.record_many(events[1:]) == 5
    assert [e.text for e in audit.all()] == [f"reminder {i}" for i in range(5)]
    assert audit.verify().ok and audit.verify().records == 5
