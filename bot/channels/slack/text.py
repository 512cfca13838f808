"""Slack events and commands as the conversation core reads them: pure functions, no I/O.

A message's id is "<channel>:<ts>", never the event_id: Slack's retry of an event,
and the app_mention and message events of one message, are the same message, and
the core's ledger answers it once. Replies thread under thread_ts, else the ts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Mapping

from handlers.messages import Incoming

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(?:subteam\^[A-Z0-9]+|here|channel|everyone)(?:\|([^>]*))?>")
_LINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^|>]*)(?:\|([^>]*))?>")
_SPACE = re.compile(r"[ \t]+")

# Message subtypes that are a person writing; edits, joins, bot posts and deletions are not.
USER_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})


def clean_text(text: str, bot_user_id: str | None) -> str:
    """The words a person typed: self-mentions gone, <url|label> as its label, entities unescaped."""
    def user(m: re.Match[str]) -> str:
        if bot_user_id and m.group(1) == bot_user_id:
            return ""
        return f"@{m.group(2) or m.group(1)}"

    def link(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if label:
            return label
        return target[len("mailto:"):] if target.lower().startswith("mailto:") else target

    out = _USER.sub(user, text or "")
    out = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", out)
    out = _SPECIAL.sub(lambda m: m.group(1) or f"@{m.group(0)[2:-1].split('|')[0]}", out)
    out = _LINK.sub(link, out)
    out = html.unescape(out)   # Slack escapes only &, < and >
    lines = [_SPACE.sub(" ", line).strip() for line in out.splitlines()]
    return "\n".join(line for line in lines).strip()


def is_person_message(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A message a person wrote (not an edit, a join, a bot's post, or the app's own)."""
    if (event.get("subtype") or "") not in USER_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id and bool(event.get("channel")) and bool(event.get("ts"))


def is_direct(channel: str, channel_type: str | None = None) -> bool:
    """A DM with the app (only the asker reads it) rather than a channel others read."""
    return channel_type == "im" or channel.startswith("D")


def message_to_incoming(event: Mapping[str, Any], bot_user_id: str | None, *,
                        profile_email: str | None = None,
                        metadata: Mapping[str, str] | None = None) -> Incoming | None:
    """A message.im or app_mention event as the core's Incoming; None for what is not a person's message."""
    if not is_person_message(event, bot_user_id):
        return None
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts")
    return Incoming(
        channel="slack", address=str(event["user"]), text=clean_text(str(event.get("text") or ""), bot_user_id),
        shared=not is_direct(channel, event.get("channel_type")), profile_email=profile_email,
        message_id=f"{channel}:{ts}", reply_ref=str(thread_ts or ts), conversation=channel,
        metadata=dict(metadata or {}),
    )


@dataclass(frozen=True)
class Command:
    name: str                 # one of SUBCOMMANDS, or "" for a bare question
    argument: str             # what follows the subcommand (the question, the price, on/off)
    word: str = ""            # the first word as typed, for "unknown subcommand" help


SUBCOMMANDS = ("help", "ask", "estimate", "eligibility", "deadline", "status", "human", "reminders", "track")


def parse_command(text: str) -> Command:
    """`/sotp <sub> <argument>`; a question of several words with no subcommand is `ask`.

    A single word that is no subcommand is `help` (it names what the user may have
    meant); an empty command is `help` too.
    """
    words = clean_text(text, None).split(None, 1)
    if not words:
        return Command("help", "")
    first = words[0].lower().strip("?!.,:;")
    rest = words[1].strip() if len(words) > 1 else ""
    if first in SUBCOMMANDS:
        return Command(first, rest, words[0])
    if not rest:
        return Command("help", "", words[0])
    return Command("ask", " ".join(words), words[0])


def command_to_incoming(body: Mapping[str, Any], text: str, *, profile_email: str | None = None,
                        metadata: Mapping[str, str] | None = None) -> Incoming:
    """A /sotp command as an Incoming whose replies go only to the person who typed it (ephemeral)."""
    channel = str(body.get("channel_id") or "")
    trigger = str(body.get("trigger_id") or "")
    extra = {"via": "command", "reply": "ephemeral", "response_url": str(body.get("response_url") or ""),
             **dict(metadata or {})}
    return Incoming(
        channel="slack", address=str(body["user_id"]), text=text, shared=False, profile_email=profile_email,
        message_id=f"{channel}:command:{trigger}", reply_ref=None, conversation=channel or None,
        metadata=extra,
    )


def action_incoming(body: Mapping[str, Any], text: str, *, profile_email: str | None = None,
                    metadata: Mapping[str, str] | None = None) -> Incoming:
    """A button press as an Incoming, answered where the button was: in the DM, else privately to the presser."""
    user = str((body.get("user") or {}).get("id") or "")
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    thread = message.get("thread_ts") or container.get("thread_ts")
    action = (body.get("actions") or [{}])[0]
    action_ts = str(action.get("action_ts") or body.get("trigger_id") or "")
    extra = {"via": "action", "response_url": str(body.get("response_url") or ""), **dict(metadata or {})}
    if not channel or not is_direct(channel):
        extra["reply"] = "ephemeral"   # never to a channel others read
    return Incoming(
        channel="slack", address=user, text=text, shared=False, profile_email=profile_email,
        message_id=f"{channel or user}:action:{action_ts}", reply_ref=str(thread) if thread else None,
        conversation=channel or None, metadata=extra,
    )
