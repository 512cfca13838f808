"""Threading: our own Message-IDs, the ticket tag in subjects, and "Re:" done once.

An outgoing email's Message-ID is made from its outbox row (id and key) and a
short HMAC under a key only this deployment has, at our own domain: a retry of
the same row sends the same id (so a relay or mailbox that got it twice can
tell), a reply naming it leads back to the row and its ticket, and nobody can
forge one that names somebody else's ticket. Pure functions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

_OWN_ID = re.compile(r"^<sotp\.(\d{1,12})\.([0-9a-f]{16})@([^<>@\s]+)>$", re.IGNORECASE)
# "Re:", "RE :", "Re[2]:", "Re(3):" and the German/Nordic "AW:"/"SV:", any number of them.
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fwd?|wg|tr)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class MessageIds:
    key: bytes
    domain: str

    def _mac(self, row_id: int, row_key: str) -> str:
        return hmac.new(self.key, f"{row_id}\n{row_key}".encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def for_row(self, row_id: int, row_key: str) -> str:
        """The Message-ID of an outbox row: the same row always gets the same id."""
        return f"<sotp.{row_id}.{self._mac(row_id, row_key)}@{self.domain}>"

    def row_id(self, message_id: str) -> int | None:
        """The outbox row a Message-ID of ours names (check it with verify()), or None if not ours."""
        found = _OWN_ID.match(message_id.strip())
        if found is None or found.group(3).lower() != self.domain.lower():
            return None
        return int(found.group(1))

    def verify(self, message_id: str, row_id: int, row_key: str) -> bool:
        found = _OWN_ID.match(message_id.strip())
        return found is not None and hmac.compare_digest(found.group(2).lower(), self._mac(row_id, row_key))


def looks_own(message_id: str, domain: str) -> bool:
    """Has the form of our outgoing Message-IDs at our domain (the screening rule's cheap check)."""
    found = _OWN_ID.match(message_id.strip())
    return found is not None and bool(domain) and found.group(3).lower() == domain.lower()


def tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"\[\s*{re.escape(tag)}\s+(CC-\d{{1,6}})\s*\]", re.IGNORECASE)


def ticket_in_subject(subject: str, tag: str) -> str | None:
    """The ticket a subject's tag names ("[compchng CC-000123]" -> "CC-000123")."""
    found = tag_pattern(tag).search(subject or "")
    if found is None:
        return None
    number = int(found.group(1).split("-")[1])
    return f"CC-{number:06d}" if number > 0 else None


def tag(ticket: str, name: str) -> str:
    return f"[{name} {ticket}]"


def bare_subject(subject: str, name: str) -> str:
    """The subject without reply and forward prefixes or our ticket tag: what the message is about."""
    text = tag_pattern(name).sub(" ", subject or "")
    previous = None
    while previous != text:
        previous = text
        text = _FORWARD_PREFIX.sub("", _REPLY_PREFIX.sub("", text))
    return " ".join(text.split())


def reply_subject(original: str, *, fallback: str, ticket: str | None = None, name: str = "compchng") -> str:
    """ "Re: " once before the original subject (never "Re: Re:"), with the ticket's tag when there is one."""
    subject = tag_pattern(name).sub(" ", original or "")
    subject = " ".join(_REPLY_PREFIX.sub("", subject).split()) or fallback
    tagged = f" {tag(ticket, name)}" if ticket else ""
    return f"Re: {subject}{tagged}"
