"""What a channel hands the conversation core, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.reply import Reply

Channel = Literal["slack", "email", "cli"]
CHANNELS: tuple[str, ...] = ("slack", "email", "cli")


@dataclass(frozen=True, slots=True)
class Incoming:
    channel: Channel
    address: str                       # Slack user id, the email's From address, or the CLI user
    text: str
    shared: bool = False               # said where others read it (a Slack channel, not a DM)
    profile_email: str | None = None   # the Slack profile's email, when the transport knows it
    employee_id: str | None = None     # identity asserted by a trusted channel (the CLI's --employee)


@dataclass(frozen=True, slots=True)
class Response:
    replies: tuple[Reply, ...]         # in order; private ones only ever go privately
    employee_id: str | None            # the identified asker, if any
    private_to: str | None             # where private replies go: Slack user id or the email on record

    @property
    def primary(self) -> Reply:
        """The answer itself: the private reply when there is one (the public one only points to it)."""
        private = [r for r in self.replies if r.privacy == "private" and r.intent != "staff"]
        return private[-1] if private else self.replies[-1]
