"""One token bucket for every Web API call the app makes, and the retry handler that pauses it on a 429.

Slack's limits are per app and method, not per worker: two workers each keeping
their own pace would still be throttled together. So every call waits for a token
from the one bucket, and a 429 pauses the bucket, and therefore every caller,
for the Retry-After Slack gave. The call that got the 429 is not retried inside
the client: the outbox reschedules its row, so no claim is held while waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger("sotp.slack.ratelimit")

DEFAULT_RETRY_AFTER = 30.0   # seconds, when a 429 carries no Retry-After (Slack's Tier 1 pause)


class TokenBucket:
    """rate tokens a second up to burst; acquire() waits for one. rate 0: no limit (pauses still apply)."""

    MAX_NAP = 0.5      # seconds a waiter sleeps before looking again (a pause may be extended meanwhile)

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.clock = clock
        self._tokens = float(self.burst)
        self._stamp = clock()
        self.paused_until = 0.0
        self.pauses = 0
        self.waited = 0.0          # seconds callers spent waiting, for the health report

    def pause(self, seconds: float) -> None:
        """Nobody calls until seconds from now (a 429's Retry-After); a longer pause already set wins."""
        until = self.clock() + max(0.0, seconds)
        if until > self.paused_until:
            self.paused_until = until
            self.pauses += 1
            log.warning("Slack rate limit: every call paused for %.1f s", seconds)

    def paused_for(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    def _refill(self, now: float) -> None:
        if self.rate > 0:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        start = self.clock()
        while True:
            now = self.clock()
            if now < self.paused_until:
                await asyncio.sleep(min(self.paused_until - now, self.MAX_NAP))
                continue
            if self.rate <= 0:
                break
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                break
            await asyncio.sleep(min((1.0 - self._tokens) / self.rate, self.MAX_NAP))
        self.waited += self.clock() - start

    def health(self) -> dict[str, float | int]:
        return {"rate_paused_s": round(self.paused_for(), 1), "rate_pauses": self.pauses,
                "rate_waited_s": round(self.waited, 1)}


def retry_after(headers: object, default: float = DEFAULT_RETRY_AFTER) -> float:
    """Retry-After in seconds from aiohttp's or slack_sdk's header mapping (values may be lists)."""
    getter = getattr(headers, "get", None)
    if getter is None:
        return default
    value = getter("Retry-After") or getter("retry-after")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else default
    except (TypeError, ValueError):
        return default


class PauseOnRateLimit(AsyncRetryHandler):
    """slack_sdk retry handler: a 429 pauses the shared bucket; the call itself then fails (no retry)."""

    def __init__(self, bucket: TokenBucket) -> None:
        super().__init__(max_retry_count=1)
        self.bucket = bucket

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: Optional[HttpResponse] = None,
                               error: Optional[Exception] = None) -> bool:
        if response is not None and response.status_code == 429:
            self.bucket.pause(retry_after(response.headers))
        return False
