"""The compchng staff channel: Claim and Resolve on each ticket's message, and replies in its thread.

Only the Slack users configured as staff may act; anyone else who clicks is told
so privately. A claim is atomic: the check and the change share one write
transaction, so of two staff clicking at once one wins and the other is told who
has it. A staff member's reply in a ticket's thread goes to the requester on the
ticket's own channel through Queue.reply (the outbox; recorded in the ticket and
the audit trail), once, even if Slack delivers the event again. Every change is
followed by an update of the ticket's message (an outbox row, delivered with
chat.update).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Mapping

from slack_bolt.async_app import AsyncApp

from bot.channels.slack import turns
from bot.channels.slack.blocks import CLAIM, RESOLVE
from bot.channels.slack.store import SlackStore
from bot.channels.slack.text import action_incoming, clean_text, is_person_message
from bot.db import write_transaction
from bot.ledger import Ledger
from bot.outbox import Outbound, Outbox
from bot.queue import Queue, QueueError, format_ticket_id
from handlers.messages import Incoming
from handlers.reply import Reply

log = logging.getLogger("sotp.slack.staff")


def notice_row(staff_channel: str, ticket_id: str, version: str | None = None) -> Outbound:
    """The outbox row that posts a ticket to the staff channel, or (with a version) refreshes its message."""
    number = int(ticket_id.split("-", 1)[1])
    if version is None:
        return Outbound(key=f"ticket-notice:slack:{number}", channel="slack", recipient=staff_channel,
                        kind="ticket-notice", payload={"ticket": ticket_id, "action": "post"}, ticket=ticket_id)
    return Outbound(key=f"ticket-notice:slack:{number}:v{version}", channel="slack", recipient=staff_channel,
                    kind="ticket-notice", payload={"ticket": ticket_id, "action": "update"}, ticket=ticket_id)


def plan_notices(deps: Any) -> int:
    """Enqueue a post for every ticket not yet in the staff channel and an update for every changed one."""
    db = deps.connections.db()
    channel = deps.slack.staff_channel
    now = deps.clock()
    added = 0
    with write_transaction(db):
        slack, outbox = SlackStore(db), Outbox(db)
        for number in slack.tickets_to_post():
            added += outbox.enqueue(notice_row(channel, format_ticket_id(number)), now) is not None
        for number, version in slack.tickets_changed():
            added += outbox.enqueue(notice_row(channel, format_ticket_id(number), version), now) is not None
    return added


class StaffPlanner:
    """A component: posts new tickets to the staff channel and keeps their messages current."""

    name = "slack-staff"
    EVERY = 2.0

    def __init__(self, deps: Any) -> None:
        self.deps = deps
        self.enqueued = 0
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                added = await asyncio.to_thread(plan_notices, self.deps)
                if added:
                    self.enqueued += added
                    self.deps.wake()
            except Exception as exc:   # the database, most likely: say so and try again
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("staff planner: %s", self.last_error)
            try:
                await asyncio.wait_for(stop.wait(), self.EVERY)
            except asyncio.TimeoutError:
                pass

    def health(self) -> dict[str, Any]:
        return {"enqueued": self.enqueued, "last_error": self.last_error}


def _refresh(deps: Any, db: Any, queue: Queue, ticket_id: str, now: Any) -> None:
    """Queue the update of the ticket's message at once (the planner would find it too, a little later)."""
    version = str(len(queue.messages(ticket_id)))
    Outbox(db).enqueue(notice_row(deps.slack.staff_channel, ticket_id, version), now)


# -- the thread relay ----------------------------------------------------------------------------

def _relay(deps: Any, ticket_number: int, staff: str, text: str, message_id: str) -> str:
    db = deps.connections.db()
    now = deps.clock()
    with write_transaction(db):
        ledger = Ledger(db)
        if ledger.seen("slack", message_id, now) is not None:
            return "duplicate"
        queue = Queue(db)
        row = queue.reply(format_ticket_id(ticket_number), staff, text, now)
        _refresh(deps, db, queue, format_ticket_id(ticket_number), now)
        ledger.remember("slack", message_id, now, {"replies": [], "relayed": row.key})
    return row.key


async def relay(deps: Any, event: Mapping[str, Any], bot_user_id: str | None) -> None:
    """A message in the staff channel: a staff reply in a ticket's thread goes to the requester."""
    thread = event.get("thread_ts")
    if not thread or thread == event.get("ts") or not is_person_message(event, bot_user_id):
        return
    channel = str(event["channel"])
    number = await asyncio.to_thread(lambda: SlackStore(deps.connections.db()).ticket_at(channel, str(thread)))
    if number is None:
        return
    user = str(event["user"])
    if not deps.slack.is_staff(user):
        log.info("reply in the thread of %s by non-staff user=%s: not relayed", format_ticket_id(number), user)
        return
    text = clean_text(str(event.get("text") or ""), bot_user_id)
    if not text:
        return
    try:
        key = await asyncio.to_thread(_relay, deps, number, user, text, f"{channel}:{event['ts']}")
    except QueueError as exc:
        await _tell(deps, user, channel, str(thread), deps.style.words.text("staff.relay_failed", error=str(exc)),
                    f"{channel}:{event['ts']}")
        return
    deps.wake()
    log.info("staff reply relayed ticket=%s by=%s row=%s", format_ticket_id(number), user, key)


async def _tell(deps: Any, user: str, channel: str, thread: str | None, text: str, message_id: str) -> None:
    """A private note to a staff member in the staff channel (an ephemeral message)."""
    incoming = Incoming("slack", user, "", shared=False, message_id=f"{message_id}:note", reply_ref=thread,
                        conversation=channel, metadata={"reply": "ephemeral"})
    await turns.send(deps, incoming, [Reply("other", (text,))], employee_id=None, what=f"[staff note] {text}")


# -- Claim and Resolve ---------------------------------------------------------------------------

def _claim(deps: Any, ticket_id: str, user: str) -> str | None:
    """Claim for user; None when done, else what to tell them (who has it, or that it is resolved)."""
    db = deps.connections.db()
    words = deps.style.words
    now = deps.clock()
    with write_transaction(db):
        queue = Queue(db)
        ticket = queue.get(ticket_id)
        if ticket.status == "resolved":
            return words.text("staff.resolved", ticket=ticket.id)
        if ticket.status == "claimed" and ticket.assignee and ticket.assignee != user:
            return words.text("staff.claimed_by", ticket=ticket.id, who=ticket.assignee)
        queue.claim(ticket.id, user, now)
        _refresh(deps, db, queue, ticket.id, now)
    return None


def _resolve(deps: Any, ticket_id: str, user: str) -> str | None:
    db = deps.connections.db()
    now = deps.clock()
    with write_transaction(db):
        queue = Queue(db)
        ticket = queue.get(ticket_id)
        if ticket.status == "resolved":
            return deps.style.words.text("staff.resolved", ticket=ticket.id)
        queue.resolve(ticket.id, user, now)
        _refresh(deps, db, queue, ticket.id, now)
    return None


async def ticket_action(deps: Any, body: Mapping[str, Any], which: str) -> None:
    user = str(body["user"]["id"])
    action = (body.get("actions") or [{}])[0]
    ticket_id = str(action.get("value") or "")
    words = deps.style.words
    incoming = action_incoming(body, f"[{which} {ticket_id}]")
    if not deps.slack.is_staff(user):
        log.info("%s of %s refused: user=%s is not staff", which, ticket_id, user)
        await turns.send(deps, incoming, [Reply("other", (words.text("staff.refused"),))], employee_id=None,
                         what=f"[button: {which} {ticket_id}] refused: not staff")
        return
    try:
        refusal = await asyncio.to_thread(_claim if which == "claim" else _resolve, deps, ticket_id, user)
    except QueueError as exc:
        refusal = str(exc)
    if refusal is not None:
        await turns.send(deps, incoming, [Reply("other", (refusal,))], employee_id=None,
                         what=f"[button: {which} {ticket_id}] {refusal}")
        return
    deps.wake()
    log.info("%s %s by %s", which, ticket_id, user)


def register(app: AsyncApp, deps: Any) -> None:
    @app.action(CLAIM)
    async def on_claim(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(ticket_action(deps, body, "claim"), CLAIM)

    @app.action(RESOLVE)
    async def on_resolve(ack: Any, body: dict) -> None:
        await ack()
        await deps.track(ticket_action(deps, body, "resolve"), RESOLVE)
