"""/sotp: help, ask, estimate [price], eligibility, deadline, status, human <text>, reminders on|off, track [on|off].

Stored in the Slack inbound ledger, then acknowledged at once (Slack shows an error
after 3 seconds), then worked from the stored row; the answer follows as
an ephemeral message only the person who typed the command sees. Questions are put
to the conversation core in the words of texts.toml, so /sotp answers exactly as a
DM would.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Mapping

from slack_bolt.async_app import AsyncApp

from bot.channels.slack import turns
from bot.channels.slack.adapter import with_unknown
from bot.channels.slack.directory import Asker
from bot.channels.slack.inbound import Inbound, command_key
from bot.channels.slack.text import Command, command_to_incoming, parse_command
from bot.db import write_transaction
from bot.preferences import Preferences
from handlers.reply import Reply

log = logging.getLogger("sotp.slack.commands")

COMMAND = "/sotp"
PERSONAL = frozenset({"estimate", "eligibility", "status", "track"})


def question(words: Any, command: Command) -> str | None:
    """What the core is asked for a subcommand; None for those the app answers itself."""
    arg = command.argument
    if command.name == "ask":
        return arg or None
    if command.name == "estimate":
        if not arg:
            return words.text("commands.estimate")
        return words.text("commands.estimate_at", price=arg if arg.startswith("$") else f"${arg}")
    if command.name in ("eligibility", "deadline", "status"):
        return words.text(f"commands.{command.name}")
    if command.name == "track":
        choice = arg.lower().strip()
        if not choice:
            return words.text("commands.track")
        return words.text(f"commands.track_{choice}") if choice in ("on", "off") else None
    if command.name == "human":
        return words.text("commands.human", text=arg) if arg else words.text("commands.human_empty")
    return None


async def _reply(deps: Any, body: Mapping[str, Any], asker: Asker, text: str, what: str) -> None:
    incoming = command_to_incoming(body, what, profile_email=asker.profile_email)
    await turns.send(deps, incoming, [Reply("other", (text,))],
                     employee_id=asker.employee.employee_id if asker.employee else None, what=what)


def _set_reminders(deps: Any, employee_id: str, on: bool) -> None:
    db = deps.connections.db()
    with write_transaction(db):
        Preferences(db).set(employee_id, "slack_reminders", on, deps.clock())


async def handle(deps: Any, body: Mapping[str, Any]) -> None:
    words = deps.style.words
    typed = str(body.get("text") or "")
    command = parse_command(typed)
    asker = await deps.directory.who(str(body["user_id"]))
    what = f"{COMMAND} {typed}".strip()
    if command.name == "help" or (command.name == "ask" and not command.argument):
        text = words.text("help.text")
        if command.word and command.word.lower() != "help":
            text = words.text("help.unknown", word=command.word) + "\n" + text
        await _reply(deps, body, asker, text, what)
        return
    if command.name == "reminders":
        choice = command.argument.lower().strip()
        if asker.employee is None:
            text = words.text("reminders.unknown")
        elif choice in ("on", "off"):
            await asyncio.to_thread(_set_reminders, deps, asker.employee.employee_id, choice == "on")
            text = words.text(f"reminders.{choice}")
        else:
            text = words.text("reminders.usage")
        await _reply(deps, body, asker, text, what)
        return
    text = question(words, command)
    if text is None:   # /sotp track with something other than on or off
        await _reply(deps, body, asker, words.text("commands.track_usage"), what)
        return
    incoming = command_to_incoming(body, text, profile_email=asker.profile_email,
                                   metadata=with_unknown({}, asker.known, personal=command.name in PERSONAL))
    response = await deps.ahandle(incoming)
    deps.handled += 1
    log.info("answered /sotp %s message_id=%s rows=%d", command.name, incoming.message_id, len(response.outbox_keys))


def register(app: AsyncApp, deps: Any, inbound: Inbound) -> None:
    async def work(body: Mapping[str, Any], bot_user_id: str | None) -> None:
        await handle(deps, body)

    inbound.on("command", work)

    @app.command(COMMAND)
    async def on_sotp(ack: Any, body: dict) -> None:
        row = await inbound.store("command", command_key(body), body, None)    # before the ack
        await ack()
        if row is not None:
            inbound.start(row, "command", body, None)
