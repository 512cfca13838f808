"""Where a turn's replies go, and what an outbox row says: pure functions, no transport code.

plan() decides, for one answered message, which outbox rows to write: the
privacy rule lives here, so every channel applies it the same way. A private
reply goes only to the employee's own Slack user (a DM, or an ephemeral post
in the channel they wrote in) or to the email address on record, never to a
shared channel and never to a Reply-To. render() turns any row's payload back
into the replies a channel formats, whatever kind of row it is.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bot.outbox import Outbound
from handlers.messages import Incoming, Response
from handlers.reply import Reply

# Channels whose replies a worker delivers from the outbox; the CLI prints its own at once.
OUTBOX_CHANNELS = frozenset({"slack", "email"})


_REPLY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Reply))


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """What dataclasses.asdict gives (every field, in order; a Reply's values are immutable and flat),
    without its deep copy: it was a tenth of a turn's time outside understanding and matching."""
    return {name: getattr(reply, name) for name in _REPLY_FIELDS}


def reply_from_json(data: dict[str, Any]) -> Reply:
    return Reply(
        intent=data["intent"], parts=tuple(data["parts"]), sections=tuple(data.get("sections", ())),
        confidence=float(data.get("confidence", 1.0)), privacy=data.get("privacy", "public"),
        ticket=data.get("ticket"), choices=tuple(data.get("choices", ())), chart=data.get("chart"),
    )


def response_to_json(response: Response) -> dict[str, Any]:
    return {"replies": [reply_to_json(r) for r in response.replies], "employee_id": response.employee_id,
            "private_to": response.private_to, "message_id": response.message_id,
            "outbox_keys": list(response.outbox_keys)}


def response_from_json(data: dict[str, Any], *, duplicate: bool = False) -> Response:
    return Response(tuple(reply_from_json(r) for r in data["replies"]), data.get("employee_id"),
                    data.get("private_to"), message_id=data.get("message_id"),
                    outbox_keys=tuple(data.get("outbox_keys", ())), duplicate=duplicate)


def _payload(incoming: Incoming, replies: list[Reply], **where: Any) -> dict[str, Any]:
    return {"replies": [reply_to_json(r) for r in replies], "reply_ref": incoming.reply_ref,
            "in_reply_to": incoming.message_id, "metadata": dict(incoming.metadata), **where}


def chart_for(response: Response, replies: list[Reply]) -> dict[str, str] | None:
    """What a private row adds to say "and the chart": the asker's own chart only, never anyone else's."""
    if response.employee_id and any(r.chart == response.employee_id and r.privacy == "private" for r in replies):
        return {"employee_id": response.employee_id}
    return None


def plan(incoming: Incoming, response: Response) -> tuple[Outbound, ...]:
    """The outbox rows of one answered message (none for the CLI, which prints the response itself).

    The chart of an estimate ({"chart": {"employee_id"}} in the payload) goes only to the
    employee in private: with the email to the address on record, or in Slack as a row of
    its own (mode "chart") for a DM or a /sotp command, uploaded to the asker's DM; never
    for a reply in a channel others read, not even its ephemeral part.
    """
    if incoming.channel not in OUTBOX_CHANNELS or not response.replies:
        return ()
    base = f"reply:{incoming.channel}:{response.message_id}"
    public = [r for r in response.replies if r.privacy != "private"]
    private = [r for r in response.replies if r.privacy == "private"]
    ticket = next((r.ticket for r in response.replies if r.ticket), None)

    def row(n: int | str, recipient: str, replies: list[Reply], kind: str = "reply", **where: Any) -> Outbound:
        return Outbound(key=f"{base}:{n}", channel=incoming.channel, recipient=recipient, kind=kind,
                        payload=_payload(incoming, replies, **where), employee_id=response.employee_id,
                        ticket=ticket)

    def chart_row(dm: str | None) -> tuple[Outbound, ...]:
        """Slack: the chart is a file uploaded to the asker's DM, a row of its own (retried on its own)."""
        chart = chart_for(response, list(response.replies))
        if chart is None:
            return ()
        return (row("chart", incoming.address, [], kind="chart", mode="chart", chart=chart, conversation=dm),)

    if incoming.channel == "email":
        # One email answers one email. With anything private in it, it goes only to the address
        # on record; a sender not on record gets general answers only (nothing private exists).
        recipient = response.private_to or incoming.address
        replies = list(response.replies) if response.private_to else public
        if not replies:
            return ()
        chart = chart_for(response, replies) if response.private_to else None
        return (row(0, recipient, replies, **({"chart": chart} if chart else {})),)
    # Slack
    if incoming.metadata.get("reply") == "ephemeral":
        # /sotp, and buttons pressed in a channel: every reply only to the person who asked, where
        # they asked (an ephemeral message; the adapter falls back to their DM).
        return (row(0, incoming.address, list(response.replies), mode="ephemeral",
                    conversation=incoming.conversation), *chart_row(None))
    if not incoming.shared:
        return (row(0, incoming.address, list(response.replies), mode="dm", conversation=incoming.conversation),
                *chart_row(incoming.conversation))
    rows: list[Outbound] = []
    if public:
        rows.append(row(0, incoming.conversation or incoming.address, public, mode="thread",
                        conversation=incoming.conversation))
    if private and response.private_to:
        rows.append(row(1, response.private_to, private, mode="ephemeral", conversation=incoming.conversation))
    return tuple(rows)


def render(kind: str, payload: dict[str, Any], staff_lead: str) -> tuple[Reply, ...]:
    """The replies an outbox row carries. staff_lead: the template that introduces a staff reply."""
    if "replies" in payload:
        return tuple(reply_from_json(r) for r in payload["replies"])
    if kind == "staff-reply":
        from handlers.assistant import blockquote

        ticket = payload["ticket"]
        return (Reply("staff", (staff_lead.format(ticket=ticket), blockquote(payload["text"])), (), 1.0,
                      "private", ticket=ticket),)
    text = payload.get("text", "")
    return (Reply(kind, (text,), tuple(payload.get("sections", ())), 1.0, payload.get("privacy", "private"),
                  ticket=payload.get("ticket")),)
