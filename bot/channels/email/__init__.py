"""The compchng email gateway: answer mail, thread tickets, never loop, never lose a message.

Inbound: the company's mail server hands the alias's mail to an SMTP listener
(smtp_in), which stores each message in the inbound ledger (inbox) before it
answers 250; the processor screens it (rules, screen), reads it (parse), and
hands it to the conversation core, in one transaction with its outbox rows.
Outbound: every email of the system (answers, staff replies, notices,
reminders, confirmations) is an outbox row that the adapter composes (compose)
and sends through the relay. `sotp serve` runs the three as components.
"""

from __future__ import annotations

from typing import Any

from bot.channels.email.settings import add_arguments

__all__ = ["add_arguments", "components"]


def components(context: Any) -> list[Any]:
    """The gateway's `sotp serve` components: the SMTP listener, the inbound processor, the outbox worker."""
    if getattr(context.args, "no_email", False):
        return []
    from bot.channels.email.gateway import build_gateway

    return build_gateway(context).components
