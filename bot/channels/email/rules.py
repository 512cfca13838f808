"""Which mail gets no automatic reply: screening rules as data (bot/data/email_rules.toml).

Each rule is a small frozen dataclass with a name and one method, match(mail,
policy). The rules run in the file's order and the first that matches decides:
the message is recorded in the audit trail and never answered. Answering an
auto-responder, a bounce or a mailing list is how helpdesks end up in mail
loops, so these run before anything reads the body. ScreenPolicy holds the
rules with what they compare against (the system's own addresses, the
Message-ID domain, the cap on replies per sender); like email.policy, clone()
makes a variant without touching the shipped one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from bot.channels.email.parse import Headers
from bot.config import ConfigError, data_path

RULES_FILE = data_path("email_rules.toml")


@dataclass(frozen=True)
class Mail:
    """What the rules see of a message: its header fields and its envelope sender."""

    headers: Headers
    envelope_from: str              # "" for the null sender <>


class Rule(Protocol):
    @property
    def name(self) -> str: ...

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool: ...


def _local_part(address: str | None) -> str:
    return (address or "").strip().strip("<>").rpartition("@")[0].lower()


@dataclass(frozen=True)
class HeaderMatches:
    """Any of the headers is present and (when a pattern is given) a value matches it, unless `unless` does."""

    name: str
    headers: tuple[str, ...]
    pattern: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        for header in self.headers:
            for value in mail.headers.get(header):
                value = value.strip()
                if self.unless is not None and self.unless.search(value):
                    continue
                if self.pattern is None or self.pattern.search(value):
                    return True
        return False


@dataclass(frozen=True)
class SubjectMatches:
    name: str
    pattern: re.Pattern[str]

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        return bool(self.pattern.search(mail.headers.subject))


@dataclass(frozen=True)
class ContentType:
    """The message is of one of these types (a delivery report is multipart/report)."""

    name: str
    types: frozenset[str]

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        return mail.headers.content_type.lower() in self.types


@dataclass(frozen=True)
class EmptyEnvelopeSender:
    """MAIL FROM:<>: bounces and other notifications, which must never be answered (RFC 5321 4.5.5)."""

    name: str

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        return mail.envelope_from.strip() in ("", "<>")


@dataclass(frozen=True)
class SystemSender:
    """From or the envelope sender is a mail system's own mailbox (mailer-daemon, postmaster...)."""

    name: str
    local_part: re.Pattern[str]

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        return any(self.local_part.search(_local_part(a)) for a in (mail.headers.from_addr, mail.envelope_from) if a)


@dataclass(frozen=True)
class FromOwnAddress:
    """Mail from the alias itself (or another address the gateway accepts): our own mail come back."""

    name: str

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        sender = (mail.headers.from_addr or "").lower()
        return bool(sender) and sender in policy.own_addresses


@dataclass(frozen=True)
class LoopHeader:
    """A loop-marker header (X-Loop) that names one of our addresses: we sent this, or a copy of it."""

    name: str
    headers: tuple[str, ...]

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        values = [v.lower() for h in self.headers for v in mail.headers.get(h)]
        return any(own in value for value in values for own in policy.own_addresses)


@dataclass(frozen=True)
class OwnMessageId:
    """A Message-ID of the form our outgoing mail has, at our domain: our own mail come back."""

    name: str

    def match(self, mail: Mail, policy: "ScreenPolicy") -> bool:
        from bot.channels.email.threads import looks_own

        return mail.headers.message_id is not None and looks_own(mail.headers.message_id, policy.message_id_domain)


@dataclass(frozen=True)
class ScreenPolicy:
    rules: tuple[Rule, ...]
    own_addresses: frozenset[str] = frozenset()
    message_id_domain: str = ""
    auto_reply_limit: int = 5               # more than this many replies to a sender within the window: no more
    auto_reply_window_minutes: int = 60

    def clone(self, **changes: Any) -> "ScreenPolicy":
        """A copy with some values changed (like email.policy's clone)."""
        return replace(self, **changes)


def _pattern(value: str | None, where: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: not a regular expression ({exc}): {value!r}") from exc


def _names(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (str(value),)


def build_rule(entry: dict[str, Any], where: str) -> Rule:
    kind, name = entry.get("kind"), entry.get("name")
    if not name:
        raise ConfigError(f"{where}: a rule needs a name")
    if kind == "header":
        return HeaderMatches(name, _names(entry["header"]), _pattern(entry.get("pattern"), where),
                             _pattern(entry.get("unless"), where))
    if kind == "subject":
        pattern = _pattern(entry["pattern"], where)
        assert pattern is not None
        return SubjectMatches(name, pattern)
    if kind == "content-type":
        return ContentType(name, frozenset(t.lower() for t in _names(entry["types"])))
    if kind == "empty-envelope-sender":
        return EmptyEnvelopeSender(name)
    if kind == "system-sender":
        pattern = _pattern(entry["local_part"], where)
        assert pattern is not None
        return SystemSender(name, pattern)
    if kind == "from-own-address":
        return FromOwnAddress(name)
    if kind == "loop-header":
        return LoopHeader(name, _names(entry["header"]))
    if kind == "own-message-id":
        return OwnMessageId(name)
    raise ConfigError(f"{where}: unknown rule kind {kind!r}")


def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return tuple(build_rule(entry, f"{path.name} rule {i + 1}") for i, entry in enumerate(raw.get("rule", [])))


@lru_cache(maxsize=1)
def shipped_rules() -> tuple[Rule, ...]:
    return load_rules()


def default_policy(own_addresses: frozenset[str], message_id_domain: str, *, auto_reply_limit: int = 5,
                   auto_reply_window_minutes: int = 60) -> ScreenPolicy:
    return ScreenPolicy(shipped_rules(), frozenset(a.lower() for a in own_addresses), message_id_domain.lower(),
                        auto_reply_limit, auto_reply_window_minutes)
