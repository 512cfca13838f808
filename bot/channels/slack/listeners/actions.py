"""The buttons under answers: Show full section, Helpful, Not helpful, Ask compchng, and the choices.

Each is acknowledged first. Feedback is recorded in the audit trail (kind
"feedback") with the answer it rates, read back from the outbox row that carried
it; "Ask compchng" opens a ticket with the answer and the conversation before it;
a choice is put to the core as the number the person would have typed, so it is
answered from the same conversation state as a typed "2".
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Mapping

from slack_bolt.async_app import AsyncApp

from bot.audit import AuditEvent, AuditLog
from bot.channels.slack import turns
from bot.channels.slack.adapter import with_unknown
from bot.channels.slack.blocks import ASK_COMPCHNG, CHOICE_PATTERN, FULL_SECTION, HELPFUL, NOT_HELPFUL, read_value
from bot.channels.slack.directory import Asker
from bot.channels.slack.text import action_incoming
from bot.db import write_transaction
from bot.outbox import Outbox
from bot.queue import Queue
from handlers.hardening import storable
from handlers.outgoing import reply_from_json
from handlers.reply import Reply

log = logging.getLogger("sotp.slack.actions")

CONVERSATION_WINDOW = timedelta(hours=2)     # how much of the conversation a ticket from "Ask compchng" carries
CONVERSATION_RECORDS = 12


def _action(body: Mapping[str, Any]) -> dict[str, Any]:
    return dict((body.get("actions") or [{}])[0])


def rated_answer(db: Any, ref: str) -> tuple[Reply | None, str]:
    """The reply a button belongs to ("<outbox key>#<index>"), read from its outbox row."""
    key, _, index = ref.rpartition("#")
    row = Outbox(db).by_key(key) if key else None
    if row is None or "replies" not in row.payload:
        return None, key
    replies = row.payload["replies"]
    try:
        return reply_from_json(replies[int(index)]), key
    except (ValueError, IndexError):
        return None, key


def _employee_id(asker: Asker) -> str | None:
    return asker.employee.employee_id if asker.employee else None


def _record_feedback(deps: Any, asker: Asker, verdict: str, ref: str, section: str | None) -> None:
    db = deps.connections.db()
    reply, key = rated_answer(db, ref)
    answer = reply.text if reply is not None else "(the answer is no longer on record)"
    sections = reply.sections if reply is not None and reply.sections else ((section,) if section else ())
    with write_transaction(db):
        AuditLog(db).record(AuditEvent(deps.clock(), "in", "feedback", "slack", storable(asker.user_id),
                                       _employee_id(asker), verdict, tuple(sections), None,
                                       f"{verdict} on answer {ref} (outbox {key}):\n\n{answer}"))


async def feedback(deps: Any, body: Mapping[str, Any], verdict: str) -> None:
    value = read_value(_action(body).get("value"))
    asker = await deps.directory.who(str(body["user"]["id"]))
    await asyncio.to_thread(_record_feedback, deps, asker, verdict, value.get("a", ""), value.get("s"))
    words = deps.style.words
    text = words.text("feedback.helpful" if verdict == "helpful" else "feedback.not_helpful")
    incoming = action_incoming(body, f"[{verdict}]", profile_email=asker.profile_email)
    await turns.send(deps, incoming, [Reply("other", (text,))], employee_id=_employee_id(asker),
                     what=f"[button: {verdict}] on {value.get('a', '')}")
    log.info("feedback %s on %s", verdict, value.get("a"))


async def full_section(deps: Any, body: Mapping[str, Any]) -> None:
    value = read_value(_action(body).get("value"))
    section = value.get("s", "")
    asker = await deps.directory.who(str(body["user"]["id"]))
    reply = deps.conversation.assistant.full_section(section)
    if reply is None:
        log.warning("full section asked for an unknown section %r", section)
        return
    incoming = action_incoming(body, f"[Show full section {section}]", profile_email=asker.profile_email)
    await turns.send(deps, incoming, [reply], employee_id=_employee_id(asker),
                     what=f"[button: Show full section] {section}")


def _ticket_text(deps: Any, db: Any, asker: Asker, ref: str) -> str:
    words = deps.style.words
    reply, _ = rated_answer(db, ref)
    parts = [words.text("feedback.ask_lead")]
    if reply is not None:
        parts += [words.text("feedback.ask_answer", sections=", ".join(reply.sections) or "no section"), reply.text]
    since = deps.clock() - CONVERSATION_WINDOW
    audit = AuditLog(db)
    events = (audit.of_employee(asker.employee.employee_id, since) if asker.employee else
              (e for e in audit.since(since) if e.address == asker.user_id and e.channel == "slack"))
    lines = [f"[{e.at:%H:%M} UTC] {'Employee' if e.direction == 'in' else 'Assistant'}: {e.text}"
             for e in events if e.kind in ("message", "reply")][-CONVERSATION_RECORDS:]
    if lines:
        parts += [words.text("feedback.ask_conversation"), *lines]
    return "\n\n".join(parts)


def _open_ticket(deps: Any, asker: Asker, ref: str) -> Reply:
    db = deps.connections.db()
    t = deps.conversation.t
    now = deps.clock()
    with write_transaction(db):
        ticket, created = Queue(db).open_or_append(
            requester_employee_id=_employee_id(asker), requester_address=asker.user_id, channel="slack",
            category="other", text=_ticket_text(deps, db, asker, ref), now=now)
    key = "ticket.opened" if created else "ticket.appended"
    return Reply("other", (t.text(key, ticket=ticket.id, where=t.text("ticket.where_slack")),
                           t.text("ticket.mention", ticket=ticket.id)), (), 1.0, ticket=ticket.id)


async def ask_compchng(deps: Any, body: Mapping[str, Any]) -> None:
    value = read_value(_action(body).get("value"))
    asker = await deps.directory.who(str(body["user"]["id"]))
    reply = await asyncio.to_thread(_open_ticket, deps, asker, value.get("a", ""))
    incoming = action_incoming(body, "[Ask compchng]", profile_email=asker.profile_email)
    await turns.send(deps, incoming, [reply], employee_id=_employee_id(asker),
                     what=f"[button: Ask compchng] on {value.get('a', '')}")
    log.info("ticket %s from Ask compchng", reply.ticket)


async def choice(deps: Any, body: Mapping[str, Any]) -> None:
    action = _action(body)
    number = str(action.get("action_id", "")).rsplit("_", 1)[-1]
    asker = await deps.directory.who(str(body["user"]["id"]))
    incoming = action_incoming(body, number, profile_email=asker.profile_email,
                               metadata=with_unknown({}, asker.known))
    await deps.ahandle(incoming)
    deps.handled += 1


def register(app: AsyncApp, deps: Any) -> None:
    @app.action(FULL_SECTION)
    async def on_full(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(full_section(deps, body), FULL_SECTION)

    @app.action(HELPFUL)
    async def on_helpful(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(feedback(deps, body, "helpful"), HELPFUL)

    @app.action(NOT_HELPFUL)
    async def on_not_helpful(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(feedback(deps, body, "not-helpful"), NOT_HELPFUL)

    @app.action(ASK_COMPCHNG)
    async def on_ask(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(ask_compchng(deps, body), ASK_COMPCHNG)

    @app.action(CHOICE_PATTERN)
    async def on_choice(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(choice(deps, body), "choice")
