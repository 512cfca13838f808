"""The email gateway's settings: the [email] section of the configuration, then `sotp serve` flags.

Every value is checked once, at start-up, and a bad one stops the service with
the setting's name (bot.config.ConfigError), so a typo never runs as a default.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.errors import HeaderParseError
from typing import Any, Mapping

from bot.config import ConfigError, Settings, config_flag

PASSWORD_ENV = "SOTP_SMTP_PASSWORD"
SECURITY = ("none", "starttls", "tls")


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class EmailSettings:
    listen: HostPort
    relay: HostPort
    mail_from: str                      # the alias: From of every email sent, and a recipient accepted
    from_name: str
    accept: frozenset[str]              # recipients accepted at RCPT (lower case), the alias among them
    max_bytes: int
    auto_reply_limit: int               # a sender who already got more than this many in the window: no more
    auto_reply_window_minutes: int
    relay_security: str                 # none | starttls | tls
    relay_user: str
    relay_password: str = field(repr=False)
    relay_ca_file: str
    relay_timeout: float
    relay_connections: int
    delivery_lease: float
    message_id_domain: str
    message_id_secret: str = field(repr=False)
    subject_tag: str
    hostname: str
    processor_process: bool = True       # the inbound processor in a spawned process (processproc.py)


def parse_host_port(value: str, name: str) -> HostPort:
    host, sep, port = str(value).strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: expected HOST:PORT (for example 127.0.0.1:2525), got {value!r}")
    return HostPort(host, int(port))


def _address(value: Any, name: str) -> str:
    text = str(value).strip()
    try:
        parsed = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise ConfigError(f"{name}: not an email address: {value!r}") from exc
    if not parsed.username or not parsed.domain:
        raise ConfigError(f"{name}: not an email address: {value!r}")
    return parsed.addr_spec


def _int(value: Any, name: str, *, low: int, high: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from exc
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name}: must be {bound}, got {number}")
    return number


def _float(value: Any, name: str, *, low: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from exc
    if number < low:
        raise ConfigError(f"{name}: must be at least {low}, got {number}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `sotp serve` options of the email gateway (each overrides its [email] setting)."""
    group = parser.add_argument_group("email gateway (settings: the [email] section)")
    group.add_argument("--no-email", action="store_true", help="do not run the email gateway")
    group.add_argument("--smtp-listen", metavar="HOST:PORT",
                       help="where the mail server hands over mail for the alias (default 127.0.0.1:2525)")
    group.add_argument("--smtp-relay", metavar="HOST:PORT",
                       help="the relay every outgoing email goes through (default 127.0.0.1:2526)")
    group.add_argument("--mail-from", metavar="ADDRESS",
                       help="the alias: From of every email sent (default compchng@microsoft.com)")
    group.add_argument("--smtp-accept", metavar="ADDRESS", action="append",
                       help="another recipient to accept besides --mail-from (repeatable; others get 550)")
    group.add_argument("--smtp-max-bytes", metavar="BYTES", type=int,
                       help="refuse larger messages with 552 (default 10485760, 10 MB)")
    group.add_argument("--smtp-relay-security", choices=SECURITY,
                       help="TLS to the relay: none (default), starttls, or tls from the start")
    group.add_argument("--smtp-relay-user", metavar="USER",
                       help=f"log in to the relay as USER (the password: ${PASSWORD_ENV} or the config file)")
    group.add_argument("--auto-reply-limit", metavar="N", type=int,
                       help="a sender who already got more than N automatic replies in the last hour gets "
                            "no more (default 5)")


def email_settings(settings: Settings, args: argparse.Namespace | None = None) -> EmailSettings:
    """The [email] section with the command line's overrides, every value checked."""
    section: Mapping[str, Any] = settings.section("email")

    def given(flag: str, key: str) -> Any:
        value = getattr(args, flag, None) if args is not None else None
        return section.get(key) if value is None else value

    mail_from = _address(given("mail_from", "mail_from"), "email.mail_from")
    extra = given("smtp_accept", "accept") or []
    if isinstance(extra, str):
        extra = [extra]
    accept = frozenset({mail_from.lower(), *(_address(a, "email.accept").lower() for a in extra)})
    security = str(given("smtp_relay_security", "relay_security") or "none").lower()
    if security not in SECURITY:
        raise ConfigError(f"email.relay_security: expected one of {', '.join(SECURITY)}, got {security!r}")
    timeout = _float(section.get("relay_timeout", 30), "email.relay_timeout", low=1)
    lease = _float(section.get("delivery_lease", 120), "email.delivery_lease", low=1)
    if lease < 2 * timeout:
        raise ConfigError(f"email.delivery_lease ({lease:g} s) must be at least twice email.relay_timeout "
                          f"({timeout:g} s): a send still waiting on the relay would be claimed and sent again")
    ca_file = str(section.get("relay_ca_file", ""))
    if ca_file and not os.path.isfile(ca_file):
        raise ConfigError(f"email.relay_ca_file: no such file {ca_file!r}")
    domain = str(section.get("message_id_domain", "")).strip() or mail_from.rpartition("@")[2]
    tag = str(section.get("subject_tag", "compchng")).strip()
    if not tag or any(ch in tag for ch in "[]"):
        raise ConfigError(f"email.subject_tag: a word without brackets, got {tag!r}")
    return EmailSettings(
        listen=parse_host_port(given("smtp_listen", "listen"), "email.listen"),
        relay=parse_host_port(given("smtp_relay", "relay"), "email.relay"),
        mail_from=mail_from,
        from_name=str(section.get("from_name", "")).strip(),
        accept=accept,
        max_bytes=_int(given("smtp_max_bytes", "max_message_bytes"), "email.max_message_bytes", low=1024),
        auto_reply_limit=_int(given("auto_reply_limit", "auto_reply_limit"), "email.auto_reply_limit", low=0),
        auto_reply_window_minutes=_int(section.get("auto_reply_window_minutes", 60),
                                       "email.auto_reply_window_minutes", low=1),
        relay_security=security,
        relay_user=str(given("smtp_relay_user", "relay_user") or ""),
        relay_password=os.environ.get(PASSWORD_ENV) or str(section.get("relay_password", "")),
        relay_ca_file=ca_file,
        relay_timeout=timeout,
        relay_connections=_int(section.get("relay_connections", 4), "email.relay_connections", low=1, high=16),
        delivery_lease=lease,
        message_id_domain=domain,
        message_id_secret=str(section.get("message_id_secret", "")),
        subject_tag=tag,
        hostname=str(section.get("hostname", "")).strip() or "localhost",
        processor_process=config_flag(section, "email", "processor_process", True),
    )
