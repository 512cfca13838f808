"""The service's clock: real time in a deployment, a demo time inside the Election Period for `make run`.

A newcomer trying the assistant in 2026 would otherwise see every deadline long
past. The demo clock starts at a configured moment of 2003 and runs at
`speed` times real time (`--clock-speed 600` makes ten minutes pass every second,
to watch reminders fire).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from bot.config import ConfigError, Settings

REAL = "now"


@dataclass(frozen=True)
class DemoClock:
    start: datetime
    speed: float = 1.0
    _origin: float = 0.0

    @classmethod
    def starting(cls, start: datetime, speed: float = 1.0) -> "DemoClock":
        return cls(start, speed, time.monotonic())

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def from_settings(settings: Settings, *, speed: float | None = None) -> Callable[[], datetime]:
    """[clock] start ("now", or an ISO time with its UTC offset) and speed; speed overrides the file."""
    section = settings.section("clock")
    start = str(section.get("start", REAL)).strip()
    rate = float(speed if speed is not None else section.get("speed", 1.0))
    if rate <= 0:
        raise ConfigError(f"clock.speed: must be above 0, got {rate}")
    if start.lower() == REAL:
        if rate != 1.0:
            raise ConfigError("clock.speed: only a demo clock (clock.start = a 2003 time) can run faster")
        return utc_now
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise ConfigError(f"clock.start: expected \"now\" or an ISO time like 2003-11-05T09:00:00-08:00, "
                          f"got {start!r}") from None
    if moment.tzinfo is None:
        raise ConfigError(f"clock.start: give the UTC offset, e.g. {start}-08:00")
    return DemoClock.starting(moment.astimezone(timezone.utc), rate)
