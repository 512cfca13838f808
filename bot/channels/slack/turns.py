"""Replies the Slack app itself builds (a full section, a thank-you, a refusal), sent like the core's.

They take the same path as a turn's replies: audited in and out, planned by
handlers.outgoing.plan (so the privacy rule is the same), and written to the outbox
in one transaction for the Slack worker to deliver.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from bot.audit import AuditEvent, AuditLog
from bot.db import write_transaction
from bot.outbox import Outbox
from handlers.hardening import storable
from handlers.messages import Incoming, Response
from handlers.outgoing import plan
from handlers.reply import Reply


def _enqueue(deps, incoming: Incoming, replies: Sequence[Reply], employee_id: str | None,
             what: str) -> tuple[str, ...]:
    db = deps.connections.db()
    now = deps.clock()
    audit = AuditLog(db)
    address = storable(incoming.address)
    response = Response(tuple(replies), employee_id, incoming.address, message_id=incoming.message_id)
    keys = []
    with write_transaction(db):
        audit.record(AuditEvent(now, "in", "message", "slack", address, employee_id, replies[0].intent, (),
                                None, what))
        for reply in replies:
            audit.record(AuditEvent(now, "out", "reply", "slack", address, employee_id, reply.intent,
                                    reply.sections, reply.ticket, reply.text))
        outbox = Outbox(db, audit)
        for row in plan(incoming, response):
            if outbox.enqueue(row, now) is not None:
                keys.append(row.key)
    return tuple(keys)


async def send(deps, incoming: Incoming, replies: Sequence[Reply], *, employee_id: str | None,
               what: str) -> tuple[str, ...]:
    """Audit and enqueue replies to incoming (what: the action, as the audit trail shows it)."""
    keys = await asyncio.to_thread(_enqueue, deps, incoming, replies, employee_id, what)
    if keys:
        deps.wake()
    return keys
