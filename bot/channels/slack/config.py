"""The Slack app's settings: the [slack] section, then environment variables, then `sotp serve` flags.

Tokens are kept out of repr() and logs: only whether each one is set is ever shown.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from bot.config import ConfigError, Settings, config_flag

ENV = {"bot_token": "SLACK_BOT_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET",
       "app_token": "SLACK_APP_TOKEN", "api_url": "SLACK_API_URL"}
MODES = ("socket", "http")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    api_url: str = ""                     # "" = Slack's own Web API
    mode: str = "http"                    # socket | http
    host: str = "127.0.0.1"
    port: int = 3000
    staff_channel: str = ""
    staff: frozenset[str] = frozenset()
    calls_per_second: float = 10.0        # 0 = no limit
    burst: int = 20
    delivery_concurrency: int = 8
    turn_process: bool = True             # the core's turns in a spawned process (turnproc.py)
    identity_ttl_hours: float = 24.0
    watchdog_seconds: float = 30.0
    notice_url: str = "https://stock"
    tool_url: str = "https://stock"

    def is_staff(self, user_id: str) -> bool:
        return user_id in self.staff

    def described(self) -> str:
        """What an operator may read in the log: never a token, only whether it is set."""
        def given(value: str) -> str:
            return "set" if value else "not set"
        return (f"mode={self.mode} bot_token={given(self.bot_token)} signing_secret={given(self.signing_secret)} "
                f"app_token={given(self.app_token)} api_url={self.api_url or 'slack'} "
                f"staff_channel={self.staff_channel or '-'} staff={len(self.staff)}")


def _ids(value: Any, key: str) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = frozenset(str(i).strip() for i in items if str(i).strip())
    bad = sorted(i for i in out if not _USER_ID.match(i))
    if bad:
        raise ConfigError(f"{key}: not Slack user ids (U... or W...): {', '.join(bad)}")
    return out


def _number(raw: Mapping[str, Any], key: str, kind: type, minimum: float) -> Any:
    try:
        value = kind(raw[key])
    except (TypeError, ValueError):
        raise ConfigError(f"slack.{key}: expected a number, got {raw[key]!r}") from None
    if value < minimum:
        raise ConfigError(f"slack.{key}: must be at least {minimum}, got {value}")
    return value


def slack_settings(settings: Settings, args: argparse.Namespace | None = None,
                   environ: Mapping[str, str] | None = None) -> SlackSettings:
    """Merge the [slack] section, the environment and the flags; raise ConfigError naming a bad setting."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = dict(settings.section("slack"))
    for key, name in ENV.items():
        if env.get(name):
            raw[key] = env[name]
    flags = {"mode": "slack_mode", "port": "slack_port", "host": "slack_host",
             "staff_channel": "slack_staff_channel", "staff": "slack_staff"}
    for key, attr in flags.items():
        value = getattr(args, attr, None) if args is not None else None
        if value is not None:
            raw[key] = value
    mode = str(raw.get("mode") or ("socket" if raw.get("app_token") else "http")).lower()
    if mode not in MODES:
        raise ConfigError(f"slack.mode: expected socket or http, got {mode!r}")
    staff_channel = str(raw.get("staff_channel") or "").strip()
    if staff_channel and not _CHANNEL_ID.match(staff_channel):
        raise ConfigError(f"slack.staff_channel: not a Slack channel id (C... or G...): {staff_channel!r}")
    api_url = str(raw.get("api_url") or "").strip()
    if api_url and not api_url.endswith("/"):
        api_url += "/"              # slack_sdk joins base_url + method
    out = SlackSettings(
        bot_token=str(raw.get("bot_token") or ""), signing_secret=str(raw.get("signing_secret") or ""),
        app_token=str(raw.get("app_token") or ""), api_url=api_url, mode=mode,
        host=str(raw.get("host") or "127.0.0.1"), port=_number(raw, "port", int, 0),
        staff_channel=staff_channel, staff=_ids(raw.get("staff", []), "slack.staff"),
        calls_per_second=_number(raw, "calls_per_second", float, 0), burst=_number(raw, "burst", int, 1),
        delivery_concurrency=_number(raw, "delivery_concurrency", int, 1),
        turn_process=config_flag(raw, "slack", "turn_process", True),
        identity_ttl_hours=_number(raw, "identity_ttl_hours", float, 0),
        watchdog_seconds=_number(raw, "watchdog_seconds", float, 0.1),
        notice_url=str(raw.get("notice_url") or ""), tool_url=str(raw.get("tool_url") or ""),
    )
    if out.port > 65535:
        raise ConfigError(f"slack.port: expected 0-65535, got {out.port}")
    return out


def required(s: SlackSettings) -> SlackSettings:
    """The settings, if the chosen mode has what it needs; else ConfigError saying what to set."""
    missing = []
    if not s.bot_token:
        missing.append("SLACK_BOT_TOKEN (or slack.bot_token)")
    if s.mode == "socket" and not s.app_token:
        missing.append("SLACK_APP_TOKEN (or slack.app_token) for Socket Mode")
    if s.mode == "http" and not s.signing_secret:
        missing.append("SLACK_SIGNING_SECRET (or slack.signing_secret) for HTTP mode")
    if missing:
        raise ConfigError("the Slack app needs " + ", ".join(missing) + "; or run `sotp serve --no-slack`")
    return s


def with_changes(s: SlackSettings, **changes: Any) -> SlackSettings:
    return replace(s, **changes)
