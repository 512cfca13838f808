"""Bolt listeners, one module per kind of request; each register(app, deps) binds its handlers.

Every event the manifest subscribes to has a listener here (an event nobody handles
is answered 404 and Slack delivers it again). Listeners only turn what Slack sent
into an Incoming for the core, or into a queue change; replies leave through the
outbox and the Slack worker. DMs, mentions and /sotp are stored in the inbound
ledger before their ack (messages and commands take the Inbound).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.channels.slack.inbound import Inbound
from bot.channels.slack.listeners import actions, commands, home, messages, staff


def register_listeners(app: AsyncApp, deps: Any, inbound: Inbound) -> None:
    messages.register(app, deps, inbound)
    commands.register(app, deps, inbound)
    for module in (actions, home, staff):
        module.register(app, deps)
