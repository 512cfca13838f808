"""message.im, message.channels and app_mention: a person's message becomes one turn of the core.

Bolt has already acknowledged the event when these run. The message's id is its
channel and ts, so Slack's retries and the two events of one mention are answered
once (the core's ledger); edits, joins and bots' posts are not messages to answer.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from slack_bolt.async_app import AsyncApp

from bot.channels.slack.adapter import with_unknown
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
    response = await deps.conversation.ahandle(incoming)
    deps.handled += 1
    log.info("answered message_id=%s shared=%s duplicate=%s rows=%d%s", incoming.message_id, incoming.shared,
             response.duplicate, len(response.outbox_keys), f" error={response.error}" if response.error else "")


def register(app: AsyncApp, deps: Any) -> None:
    from bot.channels.slack.listeners import staff

    @app.event("message")
    async def on_message(event: dict, context: dict) -> None:
        channel = str(event.get("channel") or "")
        if is_direct(channel, event.get("channel_type")):
            await deps.track(answer(deps, event, context.get("bot_user_id")), "message.im")
        elif deps.slack.staff_channel and channel == deps.slack.staff_channel:
            await deps.track(staff.relay(deps, event, context.get("bot_user_id")), "staff.relay")
        # Other channel messages are not for the app: a mention arrives as app_mention.

    @app.event("app_mention")
    async def on_mention(event: dict, context: dict) -> None:
        if deps.slack.staff_channel and event.get("channel") == deps.slack.staff_channel and event.get("thread_ts"):
            return      # a staff reply in a ticket's thread: relayed by on_message, not answered
        await deps.track(answer(deps, event, context.get("bot_user_id")), "app_mention")
