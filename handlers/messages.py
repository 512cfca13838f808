"""What a channel hands the conversation core, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

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
    # The channel's own id of this message (Slack "C123:1700000000.000100", the email Message-ID);
    # a message seen before on the same channel is answered once. None: the core makes one up.
    message_id: str | None = None
    reply_ref: str | None = None       # what a reply threads under: Slack thread_ts, the email Message-ID
    conversation: str | None = None    # Slack: the channel id the message was said in
    metadata: Mapping[str, str] = field(default_factory=dict)   # transport extras (email subject, ...)
    # A channel whose follow-ups go by thread (email): the message whose answer this one replies to, so
    # "more" or "2" continues from that answer; "" when it replies to none. None: by asker only.
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class Handover:
    """A caller's delivery worker takes this turn's rows for its channel straight from the turn.

    The rows are committed already claimed (token, lease) and come back in Response.claimed, so the
    worker sends them without a claim of its own (a write, and a wait for the write lock). The claim
    guards them as any claim does: if the worker never sends them, it expires and they are claimed again.
    """
    channel: Channel
    token: str
    lease_seconds: float
    kinds: tuple[str, ...] = ("reply",)   # the answers; background rows (charts) wait their turn in the outbox


@dataclass(frozen=True, slots=True)
class Response:
    replies: tuple[Reply, ...]         # in order; private ones only ever go privately
    employee_id: str | None            # the identified asker, if any
    private_to: str | None             # where private replies go: Slack user id or the email on record
    message_id: str | None = None      # the message's id (the channel's, or the one the core made up)
    outbox_keys: tuple[str, ...] = ()  # the outbox rows this turn enqueued for a channel worker
    duplicate: bool = False            # the message was answered before: this is that answer again
    error: str | None = None           # the turn failed: why (the replies are the safe reply)
    claimed: tuple[Any, ...] = ()      # bot.outbox.OutboxRow: the rows enqueued claimed for a Handover

    @property
    def primary(self) -> Reply:
        """The answer itself: the private reply when there is one (the public one only points to it)."""
        private = [r for r in self.replies if r.privacy == "private" and r.intent != "staff"]
        return private[-1] if private else self.replies[-1]
