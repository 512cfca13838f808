"""Raw email bytes to the fields the gateway reads, with the standard library (policy=default).

Two steps, because the listener must answer quickly and never fail: read_headers()
reads only the header block (cheap, at receipt; it never raises), and parse()
reads the body in the processor. Any charset and transfer encoding the standard
library knows is decoded; an unknown charset falls back to UTF-8 with
replacement characters rather than failing. multipart/alternative prefers
text/plain, else the HTML part is turned into text (inscriptis). Attachments are
not read, only noted. A message whose structure is broken (a multipart without
its boundaries, an undecodable body, no sender) raises Unreadable: the caller
quarantines it for a person to read, it never crashes the processor.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any, Mapping

log = logging.getLogger("sotp.email")

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Structural defects: the parts cannot be told apart, so no body can be trusted.
_BROKEN_STRUCTURE = (email_errors.StartBoundaryNotFoundDefect, email_errors.NoBoundaryInMultipartDefect,
                     email_errors.MultipartInvariantViolationDefect)
_BROKEN_ENCODING = (email_errors.InvalidBase64CharactersDefect, email_errors.InvalidBase64LengthDefect,
                    email_errors.InvalidBase64PaddingDefect)


class Unreadable(Exception):
    """The message cannot be read reliably; the text says why, for the person who reads it instead."""


@dataclass(frozen=True)
class Headers:
    """The header fields the gateway uses, decoded; `fields` keeps every field for the screening rules."""

    message_id: str | None
    from_addr: str | None               # the addr-spec of the first From address
    from_name: str
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    content_type: str                   # "multipart/report", "text/plain", ...
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # lower-case name -> values

    def get(self, name: str) -> tuple[str, ...]:
        return self.fields.get(name.lower(), ())


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMail:
    headers: Headers
    text: str                           # the body as text ("" when there is none)
    source: str                         # "plain", "html" or "none": where text came from
    attachments: tuple[Attachment, ...] = ()


class _OnceRegistry(HeaderRegistry):
    """The standard registry makes a new class for every header it parses; make each kind's class once.

    Same header objects as policy.default gives; about twice as fast to parse and compose mail.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_HEADER_CACHE: dict[tuple[str, str], Any] = {}
_HEADER_CACHE_SIZE = 4096


class _RememberingPolicy(EmailPolicy):
    """policy.default that remembers the header objects it parsed.

    get_body(), walk() and get_content() read a part's Content-Type again and again,
    and policy.default parses the field anew each time; header objects are immutable,
    so one parse per distinct field is enough.
    """

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name"):
            return value
        key = (name, value)
        made = _HEADER_CACHE.get(key)
        if made is None:
            if len(_HEADER_CACHE) >= _HEADER_CACHE_SIZE:
                _HEADER_CACHE.clear()
            made = _HEADER_CACHE[key] = super().header_fetch_parse(name, value)
        return made


# policy.default (charsets and transfer encodings done right), made faster twice over.
POLICY = _RememberingPolicy(header_factory=_OnceRegistry())
_PARSER = BytesParser(policy=POLICY)
_HEADER_PARSER = BytesParser(policy=policy.compat32)    # header fields as they came: cheap, never raises


def _decoded(value: str) -> str:
    """A raw header value as text: 8-bit bytes read as UTF-8, encoded words decoded, folding undone."""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):   # raw 8-bit bytes in a header (SMTPUTF8 or careless)
        text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    try:
        text = str(make_header(decode_header(text)))
    except Exception:   # a malformed encoded word or an unknown charset: keep it as it came
        pass
    return " ".join(text.split())


def message_ids(text: str) -> tuple[str, ...]:
    """Every <id> in a Message-ID, In-Reply-To or References field, in order."""
    return tuple(_MESSAGE_ID.findall(text or ""))


def made_up_message_id(raw: bytes, domain: str) -> str:
    """A stable id for a message that came without one: the same bytes resent are the same message."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.{domain}>"


def _usable(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    return bool(at and local and domain) and not any(ch.isspace() for ch in addr)


def _from(raw: str) -> tuple[str | None, str]:
    """The first usable address of a raw From field, and its display name (decoded)."""
    for name, addr in getaddresses([raw]):
        if _usable(addr):
            return addr, _decoded(name)
    return None, ""


def _headers(message: Message) -> Headers:
    """The fields of a message parsed with compat32 (raw values: fast, and never an exception)."""
    fields: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        fields.setdefault(name.lower(), []).append(" ".join(str(value).split()))

    def first(name: str) -> str:
        values = fields.get(name)
        return values[0] if values else ""

    ids = message_ids(first("message-id"))
    reply_to = message_ids(first("in-reply-to"))
    from_addr, from_name = _from(first("from"))
    try:
        content_type = message.get_content_type()
    except Exception:
        content_type = "text/plain"
    return Headers(
        message_id=ids[0] if ids else None, from_addr=from_addr, from_name=from_name,
        subject=_decoded(first("subject")), in_reply_to=reply_to[0] if reply_to else None,
        references=message_ids(" ".join(fields.get("references", []))), content_type=content_type,
        fields={k: tuple(v) for k, v in fields.items()},
    )


def read_headers(raw: bytes) -> Headers:
    """The header block only: what the listener stores with the raw bytes. Never raises."""
    try:
        return _headers(_HEADER_PARSER.parsebytes(raw, headersonly=True))
    except Exception as exc:   # the listener must answer: store the bytes, let the processor judge
        log.warning("could not read the headers of a message (%s: %s)", type(exc).__name__, exc)
        return Headers(None, None, "", "", None, (), "text/plain", {})


def _text_of(part: Message) -> str:
    """A text part's content: its charset when Python knows it, else UTF-8 with replacements."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, ValueError, AssertionError):
        pass
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else str(payload or "").encode("utf-8", "replace")
    return data.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """HTML as the text a person reads (links, lists and tables kept readable)."""
    from inscriptis import get_text

    return get_text(html)


def _attachments(message: EmailMessage, body: Message | None) -> tuple[Attachment, ...]:
    if body is message:
        return ()
    found: list[Attachment] = []
    for part in message.walk():
        if part is body or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or filename or part.get_content_maintype() not in ("text", "multipart"):
            payload = part.get_payload(decode=True)
            found.append(Attachment(filename or "(no name)", part.get_content_type(),
                                    len(payload) if isinstance(payload, bytes) else 0))
    return tuple(found)


def parse(raw: bytes) -> ParsedMail:
    """The whole message: headers, the body as text, the attachments noted. Unreadable if it cannot be read."""
    try:
        message = _PARSER.parsebytes(raw)
    except Exception as exc:
        raise Unreadable(f"the message could not be parsed ({type(exc).__name__}: {exc})") from exc
    assert isinstance(message, EmailMessage)
    # The fields as read_headers() reads them (raw_items() keeps them as they came under either
    # policy), without parsing the header block a second time.
    try:
        headers = _headers(message)
    except Exception:
        headers = read_headers(raw)
    if headers.from_addr is None:
        raise Unreadable("the message has no usable From address")
    broken = [d for part in message.walk() for d in part.defects if isinstance(d, _BROKEN_STRUCTURE)]
    if broken:
        raise Unreadable(f"the MIME structure is broken ({', '.join(sorted({type(d).__name__ for d in broken}))})")
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception as exc:
        raise Unreadable(f"the message body could not be found ({type(exc).__name__}: {exc})") from exc
    text, source = "", "none"
    if body is not None:
        text = _text_of(body)
        if any(isinstance(d, _BROKEN_ENCODING) for d in body.defects):
            raise Unreadable(f"the {body.get_content_type()} body's base64 encoding is broken")
        if body.get_content_type() == "text/html":
            try:
                text, source = html_to_text(text), "html"
            except Exception as exc:
                raise Unreadable(f"the HTML body could not be read ({type(exc).__name__}: {exc})") from exc
        else:
            source = "plain"
    return ParsedMail(headers, text, source, _attachments(message, body))


def bounced_message_id(raw: bytes) -> str | None:
    """The Message-ID of the email a delivery report is about (its message/rfc822 or headers part)."""
    try:
        for part in _PARSER.parsebytes(raw).walk():
            kind = part.get_content_type()
            if kind in ("message/rfc822", "message/global"):
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                found = message_ids(str(inner.get("Message-ID", ""))) if isinstance(inner, Message) else ()
                if found:
                    return found[0]
            elif kind == "text/rfc822-headers":
                found_id = read_headers(_text_of(part).encode("utf-8")).message_id
                if found_id:
                    return found_id
    except Exception:   # a report we cannot take apart is still recorded, just without this detail
        return None
    return None
