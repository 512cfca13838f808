"""An outbox row as the email that goes out: pure, no network and no database.

Every kind of row (answers, staff replies, ticket notices, reminders,
confirmations, notices) becomes one message From the alias To the row's
recipient only, never Cc or a Reply-To. A reply threads under the email it
answers (In-Reply-To, References, "Re: " once). Every message carries X-Loop
with the alias, so a copy that comes back is recognised, and automatic mail
says so in Auto-Submitted (RFC 3834), so well-behaved responders stay quiet.
The body is plain text with a short HTML alternative, the titles of the
sections it cites, and the standing footer.
"""

from __future__ import annotations

import html
import io
import random
import re
import sys
import tomllib
from dataclasses import dataclass
from datetime import datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bot.channels.email import threads
from bot.channels.email.parse import POLICY, message_ids
from bot.charts.png import FILENAME as CHART_FILENAME
from bot.config import data_path
from bot.outbox import OutboxRow
from handlers.reply import Reply

TEXTS_FILE = data_path("email_texts.toml")

# RFC 3834. A staff reply is written by a person, so it is not marked automatic.
AUTO_SUBMITTED: Mapping[str, str | None] = {
    "reply": "auto-replied", "staff-reply": None, "ticket-notice": "auto-generated",
    "reminder": "auto-generated", "confirmation": "auto-generated", "notice": "auto-generated",
}
FENCE = "```"              # how the core marks a table that must keep its columns
# Kinds whose subject comes from the payload (or a default), not from the thread.
STANDALONE = frozenset({"reminder", "confirmation", "notice"})


@dataclass(frozen=True)
class EmailTexts:
    raw: dict[str, Any]

    def text(self, key: str, **values: Any) -> str:
        node: Any = self.raw
        for part in key.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    @property
    def footer(self) -> tuple[str, ...]:
        return tuple(self.raw["footer"]["lines"])


@lru_cache(maxsize=4)
def load_texts(path: Path = TEXTS_FILE) -> EmailTexts:
    with path.open("rb") as fh:
        return EmailTexts(tomllib.load(fh))


@dataclass(frozen=True)
class Thread:
    """What a message threads under: the subject it answers and the Message-IDs before it."""

    subject: str
    in_reply_to: str | None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sender:
    address: str                # the alias
    name: str = ""
    tag: str = "compchng"       # the subject tag's word: "[compchng CC-000123]"


def thread_of(row: OutboxRow) -> Thread | None:
    """A reply row's thread, from what the core copied into its payload (the email it answers)."""
    payload = row.payload
    in_reply_to = payload.get("in_reply_to")
    if not in_reply_to:
        return None
    metadata = payload.get("metadata") or {}
    earlier = message_ids(str(metadata.get("references", "")))
    return Thread(str(metadata.get("subject", "")), in_reply_to, tuple(earlier))


def subject_for(row: OutboxRow, thread: Thread | None, texts: EmailTexts, sender: Sender) -> str:
    if row.kind in STANDALONE:
        return str(row.payload.get("subject") or texts.text(f"subject.{row.kind}"))
    if thread is not None:
        return threads.reply_subject(thread.subject, fallback=texts.text("subject.fallback"), ticket=row.ticket,
                                     name=sender.tag)
    key = f"subject.{row.kind}" if row.kind in ("staff-reply", "ticket-notice") else "subject.fallback"
    subject = str(row.payload.get("subject") or texts.text(key, ticket=row.ticket or ""))
    if row.ticket and threads.ticket_in_subject(subject, sender.tag) is None:
        subject = f"{subject} {threads.tag(row.ticket, sender.tag)}"
    return subject


def _flat(text: str) -> str:
    return " ".join(text.split())


def quotes_of(reply: Reply) -> list[str]:
    """The passages a reply quotes: its parts that are "> " lines only, without the marks."""
    quotes = []
    for part in reply.parts:
        lines = part.splitlines()
        if lines and all(line.startswith(">") for line in lines):
            quotes.append(_flat(" ".join(line[1:] for line in lines)))
    return [q for q in quotes if q]


def _cited(replies: Sequence[Reply], titles: Callable[[str], str | None],
           section_texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """The sections whose words the replies quote, in the order quoted: not the matcher's other candidates,
    nor "did you mean" choices (those are offered, not quoted). section_texts: id -> the section's text."""
    seen: dict[str, str] = {}
    for reply in replies:
        for quote in quotes_of(reply):
            # The reply's own sections first: a sentence the Notice repeats is cited where the reply took it.
            for section in (*reply.sections, *section_texts):
                text = section_texts.get(section)
                title = titles(section) if text and quote in text else None
                if title:
                    seen.setdefault(section, title)
                    break
    return list(seen.items())


def plain_text(text: str) -> str:
    """A part as plain text: tables lose their ``` fences and are indented, as the terminal shows them
    (bot.commands._terminal), so a mail reader shows no Markdown marks."""
    out: list[str] = []
    in_table = False
    for line in text.split("\n"):
        if line.strip() == FENCE:
            in_table = not in_table
            continue
        out.append("  " + line.rstrip() if in_table else line)
    return "\n".join(out)


def _notes(row: OutboxRow, texts: EmailTexts) -> list[str]:
    notes: list[str] = []
    if row.kind == "reply" and row.employee_id is None:
        notes.append(texts.text("notes.unknown_sender", address=row.recipient))
    attachments = (row.payload.get("metadata") or {}).get("attachments")
    if row.kind == "reply" and attachments:
        notes.append(texts.text("notes.attachments", names=attachments))
    return notes


def plain_body(replies: Sequence[Reply], notes: Sequence[str], cited: Sequence[tuple[str, str]],
               texts: EmailTexts) -> str:
    paragraphs = [plain_text(p) for reply in replies for p in reply.parts if p]
    paragraphs += notes
    if cited:
        paragraphs.append("\n".join([texts.text("sections.lead"),
                                     *(texts.text("sections.item", title=t, id=s) for s, t in cited)]))
    return "\n\n".join(paragraphs) + "\n\n-- \n" + "\n".join(texts.footer) + "\n"


def _html_paragraph(text: str) -> str:
    if any(line.strip() == FENCE for line in text.splitlines()):    # fenced tables: their lines in <pre>
        blocks: list[str] = []
        segment: list[str] = []
        in_table = False
        for line in [*text.splitlines(), FENCE]:
            if line.strip() != FENCE:
                segment.append(line)
                continue
            body = "\n".join(segment).strip("\n")
            if body:
                blocks.append(f"<pre>{html.escape(body)}</pre>" if in_table else _html_paragraph(body))
            segment, in_table = [], not in_table
        return "\n".join(blocks)
    lines = text.splitlines()
    if lines and all(line.startswith(">") for line in lines):
        inner = "<br>\n".join(html.escape(line[1:].lstrip()) for line in lines)
        return f'<blockquote style="margin:0 0 0 .8em;padding-left:.8em;border-left:3px solid #ccc">{inner}</blockquote>'
    if any("  " in line.strip() or "|" in line for line in lines[1:]):   # a table of figures: keep its columns
        return f"<pre>{html.escape(text)}</pre>"
    return "<p>" + "<br>\n".join(html.escape(line) for line in lines) + "</p>"


def html_body(replies: Sequence[Reply], notes: Sequence[str], cited: Sequence[tuple[str, str]],
              texts: EmailTexts) -> str:
    blocks = [_html_paragraph(p) for reply in replies for p in reply.parts if p]
    blocks += [f"<p><em>{html.escape(n)}</em></p>" for n in notes]
    if cited:
        items = "".join(f"<li>{html.escape(t)} [{html.escape(s)}]</li>" for s, t in cited)
        blocks.append(f"<p>{html.escape(texts.text('sections.lead'))}</p><ul>{items}</ul>")
    footer = "".join(f"<p>{html.escape(line)}</p>" for line in texts.footer)
    return ("<!DOCTYPE html><html><body>\n" + "\n".join(blocks)
            + f'\n<hr><div style="color:#555;font-size:smaller">{footer}</div>\n</body></html>\n')


def section_texts(sections: Mapping[str, Any]) -> dict[str, str]:
    """id -> the section's paragraphs as one whitespace-flattened text (what a quote is looked up in)."""
    return {sid: _flat(" ".join(section.paragraphs)) for sid, section in sections.items()}


def compose(row: OutboxRow, replies: Sequence[Reply], *, message_id: str, sender: Sender, texts: EmailTexts,
            titles: Callable[[str], str | None], now: datetime, thread: Thread | None = None,
            chart_png: bytes | None = None, section_texts: Mapping[str, str] | None = None) -> EmailMessage:
    """The email for one outbox row. thread: what it answers (None: a reply row's own payload says).

    section_texts: each section's text (whitespace flattened, see section_texts()): the sections cited
    are those whose words the replies quote; without it, none are cited.
    chart_png: the employee's Total Payment chart, attached as image/png (the adapter draws
    it at send time, and only for a row the plan marked as going with it).
    """
    thread = thread if thread is not None else thread_of(row)
    message = EmailMessage(policy=POLICY)
    message["From"] = formataddr((sender.name, sender.address)) if sender.name else sender.address
    message["To"] = row.recipient
    message["Subject"] = subject_for(row, thread, texts, sender)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    if thread is not None and thread.in_reply_to:
        message["In-Reply-To"] = thread.in_reply_to
        chain = [ref for ref in thread.references if ref != thread.in_reply_to] + [thread.in_reply_to]
        message["References"] = " ".join(chain[-20:])      # the newest ones: long chains get cut by MTAs
    auto = AUTO_SUBMITTED.get(row.kind, "auto-generated")
    if auto:
        message["Auto-Submitted"] = auto
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Loop"] = sender.address
    cited = _cited(replies, titles, section_texts or {})
    notes = _notes(row, texts)
    message.set_content(plain_body(replies, notes, cited, texts))
    message.add_alternative(html_body(replies, notes, cited, texts), subtype="html")
    if chart_png is not None:
        message.add_attachment(chart_png, maintype="image", subtype="png", filename=CHART_FILENAME)
    return message


class _Generator(BytesGenerator):
    """BytesGenerator whose MIME boundary skips the regular expression the standard one compiles anew for
    every (random, so never cached) boundary: a boundary whose "--" form does not occur in the text at all
    cannot start a line of it, so it is the one the standard check would keep; otherwise it does the same."""

    @classmethod
    def _make_boundary(cls, text: Any = None) -> str:
        boundary = "=" * 15 + "%019d" % random.randrange(sys.maxsize) + "=="     # the standard token
        if text is None or ("--" + boundary).encode("ascii") not in text:
            return boundary
        b, counter = boundary, 0
        while cls._compile_re("^--" + re.escape(b) + "(--)?$", re.MULTILINE).search(text):
            b, counter = f"{boundary}.{counter}", counter + 1
        return b


def flatten(message: EmailMessage) -> bytes:
    """The bytes aiosmtplib's send_message would send for a message of ours to a relay with 8BITMIME and an
    ASCII envelope (its flatten_message with the SMTP policy), made in the worker thread that composed it."""
    with io.BytesIO() as out:
        _Generator(out, policy=SMTP_POLICY).flatten(message)
        return out.getvalue()
