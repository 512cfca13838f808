"""message.im, message.channels and app_mention: a person's message becomes one turn of the core.

A person's DM or mention is stored in the Slack inbound ledger (bot/channels/slack/
inbound.py) by a listener middleware, before Bolt acknowledges the event; the
listener then works the stored row after the ack. The message's id is its channel
and ts, so Slack's retries and the two events of one mention are answered once
(the inbound ledger's key, and the core's ledger); edits, joins and bots' posts
are not messages to answer, and are not stored.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from slack_bolt.async_app import AsyncApp

from bot.channels.slack.adapter import with_unknown
from bot.channels.slack.inbound import Inbound, event_key
from bot.channels.slack.text import is_direct, is_person_message, message_to_incoming

log = logging.getLogger("sotp.slack.messages")


async def answer(deps: Any, event: Mapping[str, Any], bot_user_id: str | None) -> None:
    if not is_person_message(event, bot_user_id):
        return
    asker = await deps.directory.who(str(event["user"]))
    incoming = message_to_incoming(event, bot_user_id, profile_email=asker.profile_email,
                                   metadata=with_unknown({}, asker.known))
    if incoming is None:
        return
    response = await deps.ahandle(incoming)
    deps.handled += 1
    log.info("answered message_id=%s shared=%s duplicate=%s rows=%d%s", incoming.message_id, incoming.shared,
             response.duplicate, len(response.outbox_keys), f" error={response.error}" if response.error else "")


STORED = "slack_inbound_row"      # the context key of the stored row's id (None: nothing to work)


def to_answer(deps: Any, event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A person's DM, or a mention that is not a staff reply in a ticket's thread."""
    if not isinstance(event, Mapping) or not is_person_message(event, bot_user_id):
        return False
    channel = str(event.get("channel") or "")
    if event.get("type") == "app_mention":
        return not (deps.slack.staff_channel and channel == deps.slack.staff_channel and event.get("thread_ts"))
    return event.get("type") == "message" and is_direct(channel, event.get("channel_type"))


def register(app: AsyncApp, deps: Any, inbound: Inbound) -> None:
    from bot.channels.slack.listeners import staff

    async def work(event: Mapping[str, Any], bot_user_id: str | None) -> None:
        await answer(deps, event, bot_user_id)

    inbound.on("message", work)

    async def store_first(body: dict, context: dict, next: Any) -> None:
        """Runs before Bolt's ack: the message is in the database before Slack is told it arrived."""
        event = body.get("event") or {}
        bot_user_id = context.get("bot_user_id")
        row = None
        if to_answer(deps, event, bot_user_id):
            row = await inbound.store("message", event_key(event), event, bot_user_id)
        context[STORED] = row
        await next()

    def work_stored(event: dict, context: dict) -> None:
        row = context.get(STORED)
        if row is not None:
            inbound.start(row, "message", event, context.get("bot_user_id"))

    @app.event("message", middleware=[store_first])
    async def on_message(event: dict, context: dict) -> None:
        channel = str(event.get("channel") or "")
        if is_direct(channel, event.get("channel_type")):
            work_stored(event, context)
        elif deps.slack.staff_channel and channel == deps.slack.staff_channel:
            await deps.track(staff.relay(deps, event, context.get("bot_user_id")), "staff.relay")
        # Other channel messages are not for the app: a mention arrives as app_mention.

    @app.event("app_mention", middleware=[store_first])
    async def on_mention(event: dict, context: dict) -> None:
        # A staff reply in a ticket's thread is relayed by on_message and was not stored: nothing to work.
        work_stored(event, context)
