"""The [reminders] settings, checked once: a bad value stops start-up with its name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from bot.config import ConfigError, Settings, config_flag

EXTENSION = "extension"
_OFFSET = re.compile(r"^([1-9]\d*)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def offset_of(kind: str) -> timedelta:
    """How long before the Election Deadline a reminder kind is due: "14d" -> 14 days, "6h" -> 6 hours."""
    match = _OFFSET.match(kind)
    if match is None:
        raise ValueError(f"{kind!r} is not a reminder offset like 14d, 6h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class ReminderSettings:
    schedule: tuple[str, ...]          # timed kinds, earliest first (largest offset first)
    enabled: bool
    slack: bool
    interval_seconds: float
    batch_size: int
    time_zones: Mapping[str, str]      # country -> IANA zone overrides

    @classmethod
    def from_settings(cls, settings: Settings) -> "ReminderSettings":
        section = settings.section("reminders")
        raw_schedule = section.get("schedule", ["14d", "7d", "3d", "1d", "6h"])
        if not isinstance(raw_schedule, list) or not raw_schedule:
            raise ConfigError("reminders.schedule: expected a list of offsets like [\"14d\", \"7d\", \"6h\"]")
        kinds: list[str] = []
        for item in raw_schedule:
            kind = str(item).strip()
            if kind == EXTENSION:
                raise ConfigError("reminders.schedule: `extension` is sent when the deadline is extended; "
                                  "list only offsets like 14d, 6h")
            try:
                offset_of(kind)
            except ValueError as exc:
                raise ConfigError(f"reminders.schedule: {exc}") from None
            if kind in kinds:
                raise ConfigError(f"reminders.schedule: {kind} is listed twice")
            kinds.append(kind)
        offsets = [offset_of(k) for k in kinds]
        if len(set(offsets)) != len(offsets):
            raise ConfigError("reminders.schedule: two kinds name the same offset (e.g. 1d and 24h)")
        kinds.sort(key=offset_of, reverse=True)
        return cls(
            schedule=tuple(kinds),
            enabled=config_flag(section, "reminders", "enabled", True),
            slack=config_flag(section, "reminders", "slack", True),
            interval_seconds=_positive(section, "interval_seconds", 60, float),
            batch_size=int(_positive(section, "batch_size", 2000, int)),
            time_zones=_zones(section.get("time_zones", {})),
        )


def _positive(section: Mapping[str, Any], key: str, default: float, kind: type) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"reminders.{key}: expected a number above 0, got {value!r}")
    if kind is int and value != int(value):
        raise ConfigError(f"reminders.{key}: expected a whole number, got {value!r}")
    return kind(value)


def _zones(value: Any) -> Mapping[str, str]:
    from bot import countries
    from bot.reminders.zones import zone_or_none

    if not isinstance(value, Mapping):
        raise ConfigError("reminders.time_zones: expected a table of country = \"Area/City\"")
    out: dict[str, str] = {}
    for name, zone in value.items():
        country = countries.resolve(str(name))
        if country is None:
            raise ConfigError(f"reminders.time_zones: {name!r} is not a country the Notice names")
        if zone_or_none(str(zone)) is None:
            raise ConfigError(f"reminders.time_zones: {zone!r} ({name}) is not an IANA time zone like Europe/Berlin")
        out[country.name] = str(zone)
    return out
