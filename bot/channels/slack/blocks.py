"""Replies as Slack messages (Block Kit): pure functions, no I/O.

A quoted passage becomes a quote, its source line a context block, and an answer
from the Notice gets the buttons "Show full section", "Helpful", "Not helpful" and
"Ask compchng"; "did you mean" choices become one button each. Everything is cut
to Slack's limits: 3,000 characters per text block, 50 blocks and 40,000
characters per message. A reply that had to be cut ends with a link to the full
Notice, and one too long for a message continues in the next.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from handlers.assistant import Templates
from handlers.reply import Reply

MAX_BLOCK_TEXT = 3000
MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_FALLBACK = 3000          # the notification text beside the blocks
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000

# action_id of every button the app renders (listeners/actions.py registers one listener for each).
FULL_SECTION = "sotp_full_section"
HELPFUL = "sotp_helpful"
NOT_HELPFUL = "sotp_not_helpful"
ASK_COMPCHNG = "sotp_ask_compchng"
CHOICE = "sotp_choice"                     # + "_<n>": one per choice
CLAIM = "ticket_claim"
RESOLVE = "ticket_resolve"
HOME_PRICE = "home_price"
CHOICE_PATTERN = re.compile(rf"^{CHOICE}_\d+$")

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str                     # the notification text
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Style:
    """What rendering needs from the rest of the app, handed in so this module stays pure."""

    words: Templates                                   # texts.toml
    source_prefix: str = "Source: "                    # how the core's source line starts (replies.toml faq.source)
    more_line: Callable[[str], str] = lambda section: ""   # the core's "reply more" line for a section
    title: Callable[[str], str | None] = lambda section: None
    notice_url: str = ""
    extra_notes: Mapping[str, str] = field(default_factory=dict)


_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,})&gt;")


def escape(text: str) -> str:
    """Slack's mrkdwn escapes: only &, < and > (a literal > at a line start would become a quote).

    A user mention (<@U123>) stays one, so "claimed by <@U0PAT>" shows the person's name.
    """
    return _MENTION.sub(r"<@\1>", text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _is_quote(part: str) -> bool:
    lines = part.splitlines()
    return bool(lines) and all(line.startswith(">") for line in lines)


def _is_code(part: str) -> bool:
    return part.startswith("```") and part.rstrip().endswith("```") and len(part.strip()) >= 6


def _hard_split(line: str, budget: int) -> list[str]:
    """A line longer than budget, cut at spaces where possible."""
    out: list[str] = []
    while len(line) > budget:
        cut = line.rfind(" ", 0, budget)
        if cut <= budget // 2:
            cut = budget
        out.append(line[:cut])
        line = line[cut:].lstrip(" ")
    out.append(line)
    return out


def _pieces(line: str, budget: int) -> list[str]:
    return _hard_split(line, budget) if len(line) > budget else [line]


def _chunks(lines: Iterable[str], budget: int) -> list[list[str]]:
    """Lines grouped so that each group joined by newlines fits budget."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _pieces(line, budget):
            extra = len(piece) + (1 if current else 0)
            if current and size + extra > budget:
                groups.append(current)
                current, size = [], 0
                extra = len(piece)
            current.append(piece)
            size += extra
    if current:
        groups.append(current)
    return groups


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def part_blocks(part: str, style: Style) -> tuple[list[Block], bool]:
    """One paragraph as blocks, and whether it had to be cut into several."""
    if _is_quote(part):
        pieces = [f"> {piece}" if piece else ">"
                  for line in part.splitlines() for piece in _pieces(escape(line[1:].lstrip(" ")), MAX_BLOCK_TEXT - 2)]
        groups = _chunks(pieces, MAX_BLOCK_TEXT)
        return [_section("\n".join(g)) for g in groups], len(groups) > 1
    if _is_code(part):
        fence = 8                       # "```\n" + "\n```"
        pieces = [piece for line in part.strip()[3:-3].strip("\n").splitlines()
                  for piece in _pieces(escape(line), MAX_BLOCK_TEXT - fence)]
        groups = _chunks(pieces, MAX_BLOCK_TEXT - fence)
        return [_section("```\n" + "\n".join(g) + "\n```") for g in groups], len(groups) > 1
    if style.source_prefix and part.startswith(style.source_prefix):
        return [_context(escape(part)[:MAX_BLOCK_TEXT])], False
    groups = _chunks(escape(part).splitlines(), MAX_BLOCK_TEXT)
    return [_section("\n".join(g)) for g in groups], len(groups) > 1


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    label = text if len(text) <= MAX_BUTTON_TEXT else text[:MAX_BUTTON_TEXT - 1] + "…"
    button: Block = {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": False},
                     "action_id": action_id, "value": value[:MAX_BUTTON_VALUE]}
    if style:
        button["style"] = style
    return button


def button_value(answer: str, section: str | None = None) -> str:
    """What a button carries: the answer it belongs to (outbox key # reply index) and its section."""
    data = {"a": answer}
    if section:
        data["s"] = section
    return json.dumps(data, separators=(",", ":"))


def read_value(value: str | None) -> dict[str, str]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _is_quoted_answer(reply: Reply, style: Style) -> bool:
    return bool(reply.sections) and any(p.startswith(style.source_prefix) for p in reply.parts if style.source_prefix)


def _rates(reply: Reply) -> bool:
    """Answers the asker can rate: from the documents or their records, not tickets or staff replies."""
    return bool(reply.sections) and reply.ticket is None and reply.intent != "staff" and not reply.choices


def reply_blocks(reply: Reply, index: int, answer: str, style: Style) -> list[Block]:
    """One reply's blocks (before splitting into messages)."""
    w = style.words
    quoted = _is_quoted_answer(reply, style)
    top = reply.sections[0] if reply.sections else None
    blocks: list[Block] = []
    cut = False
    for part in reply.parts:
        if not part:
            continue
        if quoted and top and part == style.more_line(top):
            continue                    # the buttons say it
        made, was_cut = part_blocks(part, style)
        blocks.extend(made)
        cut = cut or was_cut
    if (cut or sum(_block_chars(b) for b in blocks) > MAX_MESSAGE_TEXT - MAX_FALLBACK) and style.notice_url:
        blocks.append(_context(w.text("answers.notice_link", url=style.notice_url)))
    ref = f"{answer}#{index}"
    if reply.choices:
        buttons = [_button(style.title(c) or c, f"{CHOICE}_{n}", button_value(ref, c))
                   for n, c in enumerate(reply.choices, start=1)]
        buttons.append(_button(w.text("buttons.ask"), ASK_COMPCHNG, button_value(ref, top)))
        blocks.append({"type": "actions", "block_id": f"choices-{index}", "elements": buttons[:25]})
    elif _rates(reply):
        buttons = []
        if quoted and top:
            buttons.append(_button(w.text("buttons.full"), FULL_SECTION, button_value(ref, top)))
        buttons += [_button(w.text("buttons.helpful"), HELPFUL, button_value(ref, top)),
                    _button(w.text("buttons.not_helpful"), NOT_HELPFUL, button_value(ref, top)),
                    _button(w.text("buttons.ask"), ASK_COMPCHNG, button_value(ref, top))]
        blocks.append({"type": "actions", "block_id": f"answer-{index}", "elements": buttons})
    return blocks


def _block_chars(block: Block) -> int:
    if block["type"] == "section":
        return len(block["text"]["text"])
    if block["type"] == "context":
        return sum(len(e.get("text", "")) for e in block["elements"])
    return 0


def plain(text: str) -> str:
    """A reply's text for a notification: quotes and fences as they are, cut to MAX_FALLBACK."""
    return text if len(text) <= MAX_FALLBACK else text[:MAX_FALLBACK - 1] + "…"


def pack(blocks: Sequence[Block], fallback: str, continued: str) -> list[Message]:
    """Blocks into as few messages as Slack's limits allow, in order."""
    messages: list[Message] = []
    current: list[Block] = []
    size = 0
    room = MAX_MESSAGE_TEXT - MAX_FALLBACK
    for block in blocks:
        chars = _block_chars(block)
        if current and (len(current) >= MAX_BLOCKS or size + chars > room):
            messages.append(Message(plain(fallback) if not messages else continued, tuple(current)))
            current, size = [], 0
        current.append(block)
        size += chars
    if current or not messages:
        messages.append(Message(plain(fallback) if not messages else continued, tuple(current)))
    return messages


def reply_messages(replies: Sequence[Reply], answer: str, style: Style) -> list[Message]:
    """The Slack messages of one outbox row's replies (usually one message)."""
    blocks: list[Block] = []
    for index, reply in enumerate(replies):
        blocks.extend(reply_blocks(reply, index, answer, style))
    fallback = "\n\n".join(r.text for r in replies if r.text)
    return pack(blocks, fallback, style.words.text("answers.continued"))


# -- the staff channel ---------------------------------------------------------------------------

MAX_TICKET_TEXT = 1500      # of the requester's message in the staff channel; the rest is in `sotp queue show`


def ticket_message(words: Templates, *, ticket_id: str, category: str, status: str, assignee: str | None,
                   channel: str, requester: str, text: str, messages: int, opened: str) -> Message:
    """A ticket as staff see it in their channel: who asked, what, its state, and Claim / Resolve.

    Only what staff need to act: the requester's id, name, country and level, the
    channel, and the message they wrote; never an estimate or other figures.
    """
    title = words.text("staff.title", ticket=ticket_id, category=category)
    if status == "open":
        state = words.text("staff.status_open")
    elif status == "claimed":
        state = words.text("staff.status_claimed", who=_who(assignee))
    else:
        state = words.text("staff.status_resolved", who=_who(assignee))
    body = text if len(text) <= MAX_TICKET_TEXT else text[:MAX_TICKET_TEXT - 1] + "…"
    quote = "\n".join(f"> {escape(line)}" if line else ">" for line in body.splitlines()) or ">"
    blocks: list[Block] = [
        _section(f"*{escape(title)}*"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Requester*\n{escape(requester)}"},
            {"type": "mrkdwn", "text": f"*Channel*\n{escape(channel)}"},
            {"type": "mrkdwn", "text": f"*Status*\n{state}"},
            {"type": "mrkdwn", "text": f"*Opened*\n{escape(opened)}"},
        ]},
        _section(quote[:MAX_BLOCK_TEXT]),
        _context(escape(words.text("staff.thread_hint", channel=channel)) + f" ({messages} in the ticket's thread)"),
    ]
    buttons = []
    if status == "open":
        buttons.append(_button(words.text("buttons.claim"), CLAIM, ticket_id, "primary"))
    if status != "resolved":
        buttons.append(_button(words.text("buttons.resolve"), RESOLVE, ticket_id, "danger"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"ticket-{ticket_id}", "elements": buttons})
    return Message(f"{title} ({state})", tuple(blocks))


def _is_slack_id(value: str | None) -> bool:
    return bool(value) and bool(re.fullmatch(r"[UW][A-Z0-9]{2,}", value or ""))


def _who(value: str | None) -> str:
    return f"<@{value}>" if _is_slack_id(value) else escape(value or "?")
