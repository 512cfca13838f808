"""The app's one Web API client: one AsyncWebClient, one aiohttp session, one token bucket.

Every call the Slack app makes (the outbox worker's posts, users.info, views.publish)
goes through SlackApi.call, so all of them share the bucket and its 429 pauses.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.channels.slack.config import SlackSettings
from bot.channels.slack.ratelimit import PauseOnRateLimit, TokenBucket, retry_after

log = logging.getLogger("sotp.slack.api")

SLACK_API_URL = "https://slack.com/api/"
CALL_TIMEOUT = 10      # seconds per Web API call; well under the outbox's 60 s claim


def quiet_logger(name: str) -> logging.Logger:
    """A logger for slack_sdk or Bolt with its own level set (the service's level at build time).

    Both test `logger.level <= logging.DEBUG`, not isEnabledFor(), before formatting a
    debug line: a logger left at NOTSET (0) passes that test, and every Web API call
    then formatted its whole request and response, blocks and headers included, only
    for the line to be dropped (~0.4 ms of the event loop's time per call).
    """
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(max(logging.getLogger().getEffectiveLevel(), logging.DEBUG))
    return logger


def build_client(settings: SlackSettings, bucket: TokenBucket,
                 session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The AsyncWebClient every part of the app shares (base_url from SLACK_API_URL or slack.api_url)."""
    return AsyncWebClient(
        token=settings.bot_token or None, base_url=settings.api_url or SLACK_API_URL, timeout=CALL_TIMEOUT,
        session=session, logger=quiet_logger("sotp.slack.sdk"),
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2),
                        AsyncServerErrorRetryHandler(max_retry_count=2),
                        PauseOnRateLimit(bucket)],
    )


class SlackApi:
    def __init__(self, client: AsyncWebClient, bucket: TokenBucket) -> None:
        self.client = client
        self.bucket = bucket
        self.calls = 0
        self.closed = False

    def ensure_session(self) -> aiohttp.ClientSession:
        """One pooled HTTP session for every call (made on the running loop, again if it was closed).

        After aclose() (the service stopping) a call is refused instead: a delivery still running
        then would make the SDK open a session of its own, which the stop cancels unclosed (an ERROR
        in the operator's log). The refusal is a temporary failure: the row is sent after the restart.
        """
        if self.closed:
            raise ConnectionError("the Slack client is closed: the service is stopping")
        session = self.client.session
        if session is None or session.closed:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT))
            self.client.session = session
        return session

    async def call(self, method: str, **params: Any) -> AsyncSlackResponse:
        """One Web API call after a token from the shared bucket; raises SlackApiError like the SDK."""
        self.ensure_session()
        await self.bucket.acquire()
        self.calls += 1
        if method in _GET_METHODS:
            return await self.client.api_call(method, http_verb="GET", params=params)
        return await self.client.api_call(method, json=params)

    async def upload(self, *, channel: str, content: bytes, filename: str, title: str, alt_txt: str,
                     initial_comment: str) -> AsyncSlackResponse:
        """One file into a conversation with files_upload_v2 (its two Web API calls each take a token)."""
        self.ensure_session()
        for _ in range(2):   # files.getUploadURLExternal, files.completeUploadExternal
            await self.bucket.acquire()
        self.calls += 2
        return await self.client.files_upload_v2(channel=channel, content=content, filename=filename, title=title,
                                                 alt_txt=alt_txt, initial_comment=initial_comment)

    async def aclose(self) -> None:
        self.closed = True
        session = self.client.session
        if session is not None and not session.closed:
            await session.close()


# Methods Slack reads from the query string (users.info takes no JSON body).
_GET_METHODS = frozenset({"users.info", "auth.test"})


def error_code(exc: SlackApiError) -> str:
    """Slack's error string ("channel_not_found", "ratelimited"), or the HTTP status."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{getattr(response, 'status_code', '?')}"


def is_rate_limited(exc: SlackApiError) -> bool:
    return getattr(exc.response, "status_code", None) == 429 or error_code(exc) == "ratelimited"


def rate_limit_pause(exc: SlackApiError) -> float:
    return retry_after(getattr(exc.response, "headers", {}) or {})
