"""SlackAdapter: delivers the outbox rows of channel "slack" through the one Web API client.

Where a row goes is decided before it reaches here (handlers.outgoing.plan); this
checks privacy once more and posts:
- mode "dm": to the user's DM with the app, by user id (no conversations.open per
  user); the DM channel id Slack answers with is remembered.
- mode "thread": public replies in the channel thread under the mention. A private
  reply addressed to a channel is refused, never posted.
- mode "ephemeral": only the asker sees it (a /sotp command's response_url, else
  chat.postEphemeral in the channel and thread); where that is impossible (the app or
  the user is not in the channel) it goes to the asker's DM instead.
- kind "ticket-notice": a ticket's message in the staff channel, posted once and then
  kept up to date with chat.update.
A 429 pauses every caller (the shared bucket) and the row waits its Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import store
from bot.channels.slack.api import error_code, is_rate_limited, rate_limit_pause
from bot.channels.slack.blocks import Message, reply_messages, ticket_message
from bot.channels.slack.store import SlackStore
from bot.delivery import DeliveryResult, Failed, RetryAfter, Sent
from bot.formatting import PACIFIC, long_date
from bot.outbox import OutboxRow
from bot.queue import Queue, TicketNotFound
from handlers.outgoing import render
from handlers.reply import Reply

log = logging.getLogger("sotp.slack.adapter")

# Slack errors that will not go away by trying again.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed", "account_inactive",
    "token_revoked", "user_not_found", "user_not_in_channel", "cannot_dm_bot", "user_disabled", "msg_too_long",
    "invalid_blocks", "invalid_blocks_format", "no_text", "message_not_found", "cant_update_message",
    "restricted_action", "missing_scope", "invalid_arguments", "team_access_not_granted",
})
# Why an ephemeral message could not be shown in the channel: the asker's DM gets it instead.
EPHEMERAL_ELSEWHERE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"})
RESPONSE_URL_LIFETIME = timedelta(minutes=25)   # Slack keeps a response_url for 30 minutes
PERSONAL_INTENTS = frozenset({"estimate", "eligibility", "election"})


class SlackAdapter:
    name = "slack"

    def __init__(self, deps: Any) -> None:
        self.deps = deps
        self.words = deps.style.words
        self.staff_lead = deps.conversation.t.text("staff.lead")
        self.ephemeral_fallbacks = 0
        self._charts = asyncio.Semaphore(1)     # the chart process draws one at a time: wait here, not there

    async def aclose(self) -> None:
        """The client belongs to the Slack component, which closes it when the service stops."""

    # -- entry ----------------------------------------------------------------------------------

    async def deliver(self, row: OutboxRow) -> DeliveryResult:
        try:
            if row.kind == "ticket-notice":
                return await self._ticket_notice(row)
            if row.kind == "chart":
                return await self._chart(row)
            return await self._replies(row)
        except SlackApiError as exc:
            code = error_code(exc)
            if is_rate_limited(exc):
                return RetryAfter(f"slack: {code}", rate_limit_pause(exc))
            if code in PERMANENT:
                return Failed(f"slack: {code}")
            return RetryAfter(f"slack: {code}")

    # -- replies --------------------------------------------------------------------------------

    def _replies_of(self, row: OutboxRow) -> tuple[Reply, ...]:
        replies = render(row.kind, row.payload, self.staff_lead)
        meta = row.payload.get("metadata") or {}
        if meta.get("identity") == "unknown" and (meta.get("personal") or
                                                  any(r.intent in PERSONAL_INTENTS for r in replies)):
            replies = (*replies, Reply("other", (self.words.text("unknown.note"),)))
        return replies

    async def _replies(self, row: OutboxRow) -> DeliveryResult:
        payload = row.payload
        mode = payload.get("mode") or "dm"
        replies = self._replies_of(row)
        messages = reply_messages(replies, row.key, self.deps.style)
        if mode == "thread":
            if any(r.privacy == "private" for r in replies):
                return Failed("refused: a private reply addressed to a channel others read")
            ts = await self._post(messages, channel=row.recipient, thread_ts=payload.get("reply_ref"))
            return Sent(ts)
        if mode == "ephemeral":
            return await self._ephemeral(row, messages)
        return Sent(await self._dm(row.recipient, messages, conversation=payload.get("conversation"),
                                   thread_ts=self._dm_thread(payload)))

    @staticmethod
    def _dm_thread(payload: dict[str, Any]) -> str | None:
        """A DM reply threads only if the question was asked in a thread of the DM."""
        ref, said = payload.get("reply_ref"), payload.get("in_reply_to") or ""
        if not ref or said.endswith(f":{ref}"):
            return None
        return str(ref)

    async def _post(self, messages: list[Message], *, channel: str, thread_ts: str | None = None) -> str:
        first = None
        for message in messages:
            params: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": list(message.blocks),
                                      "unfurl_links": False, "unfurl_media": False}
            if thread_ts:
                params["thread_ts"] = thread_ts
            answer = await self.deps.api.call("chat.postMessage", **params)
            first = first or str(answer.get("ts"))
            if not channel.startswith("D") and str(answer.get("channel", "")).startswith("D"):
                await self.deps.directory.remember_dm(channel, str(answer["channel"]))
        return first or ""

    async def _dm(self, user_id: str, messages: list[Message], *, conversation: str | None = None,
                  thread_ts: str | None = None) -> str:
        channel = conversation if conversation and conversation.startswith("D") else None
        if channel is not None:
            await self.deps.directory.remember_dm(user_id, channel)
        channel = channel or await self.deps.directory.dm_channel(user_id) or user_id
        return await self._post(messages, channel=channel, thread_ts=thread_ts)

    async def _ephemeral(self, row: OutboxRow, messages: list[Message]) -> DeliveryResult:
        payload = row.payload
        meta = payload.get("metadata") or {}
        user, channel = row.recipient, payload.get("conversation")
        url = meta.get("response_url")
        if url and self.deps.clock() - row.created_at < RESPONSE_URL_LIFETIME:
            if await self._respond(url, messages):
                return Sent("response_url")
        if channel:
            try:
                ref = None
                for message in messages:
                    params: dict[str, Any] = {"channel": channel, "user": user, "text": message.text,
                                              "blocks": list(message.blocks)}
                    if payload.get("reply_ref"):
                        params["thread_ts"] = payload["reply_ref"]
                    answer = await self.deps.api.call("chat.postEphemeral", **params)
                    ref = ref or str(answer.get("message_ts") or "")
                return Sent(ref)
            except SlackApiError as exc:
                if error_code(exc) not in EPHEMERAL_ELSEWHERE:
                    raise
                log.info("ephemeral not possible row=%d channel=%s (%s): sent to the DM", row.id, channel,
                         error_code(exc))
        self.ephemeral_fallbacks += 1
        if channel:
            note = {"type": "context", "elements": [{"type": "mrkdwn",
                                                     "text": self.words.text("answers.private_fallback")}]}
            first = messages[0]
            messages = [Message(first.text, (note, *first.blocks)), *messages[1:]]
        return Sent(await self._dm(user, messages))

    async def _respond(self, url: str, messages: list[Message]) -> bool:
        """Post to a command's response_url (ephemeral, works in any conversation); False if it refused."""
        hook = AsyncWebhookClient(url, session=self.deps.api.ensure_session(), timeout=10)
        for message in messages:
            try:
                answer = await hook.send(text=message.text, blocks=list(message.blocks),
                                         response_type="ephemeral", replace_original=False)
            except (asyncio.TimeoutError, OSError) as exc:
                log.info("response_url failed (%s): falling back", type(exc).__name__)
                return False
            if answer.status_code != 200:
                log.info("response_url answered %s: falling back", answer.status_code)
                return False
        return True

    # -- the estimate's chart --------------------------------------------------------------------

    async def _chart(self, row: OutboxRow) -> DeliveryResult:
        """The employee's Total Payment chart, uploaded to their DM with the app and nowhere else."""
        from bot.charts.png import FILENAME

        employee_id = (row.payload.get("chart") or {}).get("employee_id")
        if not employee_id or employee_id != row.employee_id:
            return Failed("refused: a chart for someone other than the row's employee")
        user = row.recipient
        if not user.startswith(("U", "W")):
            return Failed("refused: a chart goes only to a person's DM")
        async with self._charts:
            png = await self._draw(employee_id)
        if png is None:
            return Sent("no chart")
        channel = await self._dm_of(user, row.payload.get("conversation"))
        answer = await self.deps.api.upload(
            channel=channel, content=png, filename=FILENAME, title=self.words.text("chart.title"),
            alt_txt=self.words.text("chart.alt"), initial_comment=self.words.text("chart.comment"))
        file = answer.get("file") or {}
        return Sent(str(file.get("id") or ""))

    async def _draw(self, employee_id: str) -> bytes | None:
        from bot.charts import pool

        return await pool.draw_awaited(self.deps.connections.path, self.deps.settings, employee_id)

    async def _dm_of(self, user_id: str, conversation: str | None) -> str:
        """The DM channel id (a file needs one: a user id will not do), opened once if not known yet."""
        if conversation and conversation.startswith("D"):
            return conversation
        known = await self.deps.directory.dm_channel(user_id)
        if known:
            return known
        answer = await self.deps.api.call("conversations.open", users=user_id)
        channel = str((answer.get("channel") or {}).get("id") or "")
        if not channel.startswith("D"):
            raise SlackApiError("conversations.open gave no DM channel", answer)
        await self.deps.directory.remember_dm(user_id, channel)
        return channel

    # -- staff channel --------------------------------------------------------------------------

    def _ticket_view(self, row: OutboxRow) -> tuple[Message, str, int, Any]:
        db = self.deps.connections.db()
        queue = Queue(db)
        ticket = queue.get(row.payload["ticket"])
        employee = store.employee(db, ticket.requester_employee_id) if ticket.requester_employee_id else None
        if employee is not None:
            who = self.words.text("staff.requester_known", employee_id=employee.employee_id, name=employee.name,
                                  country=employee.country, level=str(employee.level))
        else:
            who = self.words.text("staff.requester_unknown", address=ticket.requester_address)
        opened = ticket.created_at.astimezone(PACIFIC)
        version = len(queue.messages(ticket.id))
        message = ticket_message(
            self.words, ticket_id=ticket.id, category=ticket.category, status=ticket.status,
            assignee=ticket.assignee, channel=ticket.channel, requester=who, text=ticket.text,
            messages=version,
            opened=f"{long_date(opened.date())} {opened.strftime('%I:%M %p').lstrip('0')} PT")
        return message, str(version), ticket.number, SlackStore(db).post_of(ticket.number)

    async def _ticket_notice(self, row: OutboxRow) -> DeliveryResult:
        try:
            message, shown, number, post = await asyncio.to_thread(self._ticket_view, row)
        except TicketNotFound as exc:
            return Failed(str(exc))
        fields = {"text": message.text, "blocks": list(message.blocks)}
        if post is None:
            if row.payload.get("action") == "update":
                return RetryAfter("the ticket's message is not posted yet", 5.0)
            answer = await self.deps.api.call("chat.postMessage", channel=row.recipient, **fields)
            ts, channel = str(answer["ts"]), str(answer.get("channel") or row.recipient)
            await asyncio.to_thread(lambda: SlackStore(self.deps.connections.db()).record_post(
                number, channel, ts, shown, self.deps.clock()))
            return Sent(ts)
        if row.payload.get("action") != "update":
            return Sent(post.ts)              # posted before (a retried row): nothing twice
        await self.deps.api.call("chat.update", channel=post.channel, ts=post.ts, **fields)
        await asyncio.to_thread(lambda: SlackStore(self.deps.connections.db()).record_shown(number, shown))
        return Sent(post.ts)


def with_unknown(incoming_metadata: dict[str, str], known: bool, personal: bool = False) -> dict[str, str]:
    """Metadata that tells the adapter to add the 'how to get personal figures' note for unknown users."""
    out = dict(incoming_metadata)
    if not known:
        out["identity"] = "unknown"
        if personal:
            out["personal"] = "1"
    return out


