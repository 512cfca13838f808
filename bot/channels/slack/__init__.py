"""The Slack app as a part of `sotp serve`: its options, and its components.

Components: "slack" (receives events, commands and interactions: Socket Mode or
HTTP), "outbox-slack" (the delivery worker with the SlackAdapter) and
"slack-staff" (posts new tickets to the staff channel and keeps them current).
Heavy imports wait until the components are built, so `sotp --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta
from typing import Any


def _user_ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Slack")
    group.add_argument("--no-slack", action="store_true", help="do not run the Slack app")
    group.add_argument("--slack-mode", choices=("socket", "http"),
                       help="socket (the default when SLACK_APP_TOKEN is set) or http")
    group.add_argument("--slack-port", type=int, metavar="PORT", help="HTTP mode: port of POST /slack/events "
                       "and GET /healthz (default from slack.port: 3000; 0 picks a free one)")
    group.add_argument("--slack-host", metavar="HOST", help="HTTP mode: address to listen on (default 127.0.0.1)")
    group.add_argument("--slack-staff-channel", metavar="ID", help="channel id where new tickets are posted")
    group.add_argument("--slack-staff", type=_user_ids, metavar="U1,U2",
                       help="Slack user ids of Stock Services staff (claim, resolve, reply in ticket threads)")


def build(context: Any) -> tuple[Any, Any, Any]:
    """The shared parts (deps), the inbound component and the adapter, from serve's context."""
    from bot.channels.slack.adapter import SlackAdapter
    from bot.channels.slack.api import SlackApi, build_client
    from bot.channels.slack.app import SlackInbound
    from bot.channels.slack.config import required, slack_settings
    from bot.channels.slack.deps import Deps, make_style
    from bot.channels.slack.directory import Directory
    from bot.channels.slack.ratelimit import TokenBucket

    slack = required(slack_settings(context.settings, context.args))
    bucket = TokenBucket(slack.calls_per_second, slack.burst)
    api = SlackApi(build_client(slack, bucket), bucket)
    directory = Directory(context.connections, api, ttl=timedelta(hours=slack.identity_ttl_hours),
                          clock=context.clock)
    deps = Deps(slack, context.settings, context.connections, context.conversation, api, directory,
                make_style(context.conversation, slack), context.clock)
    if slack.turn_process:
        from bot.channels.slack.turnproc import TurnProcess

        deps.turns = TurnProcess(context.conversation, context.settings,
                                 log_file=getattr(context.args, "log_file", None))
    from bot.commands.serve import _outbox_health

    return deps, SlackInbound(deps, health=lambda: _outbox_health(context.connections)), SlackAdapter(deps)


def components(context: Any) -> list[Any]:
    if getattr(context.args, "no_slack", False):
        return []
    from bot.channels.slack.config import slack_settings

    configured = slack_settings(context.settings, context.args)
    if not (configured.bot_token or configured.signing_secret or configured.app_token
            or getattr(context.args, "slack_mode", None)):
        # The embedded default (make run): no Slack credentials, so no Slack app; say so once.
        logging.getLogger("sotp.slack").info("Slack is off: no SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or "
                                             "SLACK_APP_TOKEN configured")
        return []
    from bot.channels.slack.listeners.staff import StaffPlanner
    from bot.channels.slack.worker import SlackDeliveryWorker
    from bot.serve import WorkerComponent

    deps, inbound, adapter = build(context)
    worker = SlackDeliveryWorker(context.connections, adapter, clock=context.clock,
                                 concurrency=deps.slack.delivery_concurrency)
    deps.worker = worker      # a turn's rows go to it from the turn (Deps.ahandle), unclaimed by it
    parts: list[Any] = [inbound, WorkerComponent(worker, context)]
    if deps.slack.staff_channel:
        parts.append(StaffPlanner(deps))
    return parts
