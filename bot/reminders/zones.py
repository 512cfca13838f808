"""Which time zone a reminder shows the Election Deadline in, for one employee.

An employee's own `time_zone` (employees.csv) wins; then the deployment's
[reminders.time_zones]; then the country table in bot/data/time_zones.toml.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import data_path

FALLBACK = "America/Los_Angeles"   # the Tool's and Stock Services' zone, if a country were missing


@lru_cache(maxsize=512)
def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone for an IANA name ("Europe/Berlin"), or None if there is no such zone."""
    name = name.strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@lru_cache(maxsize=1)
def country_zones() -> Mapping[str, str]:
    with data_path("time_zones.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["countries"])


def zone_for(country: str, own: str | None, overrides: Mapping[str, str]) -> ZoneInfo:
    """The employee's zone: their own, else the deployment's for the country, else the shipped table's."""
    for candidate in (own, overrides.get(country), country_zones().get(country)):
        if candidate:
            zone = zone_or_none(candidate)
            if zone is not None:
                return zone
    return ZoneInfo(FALLBACK)
