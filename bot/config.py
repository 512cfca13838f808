"""Settings: embedded defaults, then a deployment's TOML file, then command-line flags.

Program dates are configuration, not constants: the Election Deadline may be
extended and the Averaging Period start is announced late (Notice Q6, Q21, s7).
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

CONFIG_ENV = "SOTP_CONFIG"
DB_ENV = "SOTP_DB"


class ConfigError(ValueError):
    """A configuration value a person must fix; the message says which and why."""


def config_flag(section: Mapping[str, Any], table: str, key: str, default: bool) -> bool:
    """A true/false setting of a config table; anything else is refused with the setting named."""
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{table}.{key}: expected true or false, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    db_path: Path
    election_deadline: date
    averaging_start: date | None
    disrupted_days: tuple[date, ...]
    rulings: Mapping[str, str]
    assumed_interest_rate: Decimal
    interest_series: str
    overdue_business_hours: int
    business_day_start: time
    business_day_end: time
    source: tuple[str, ...] = field(default=())  # where the values came from, for `sotp config`
    # Every setting after merging, for the sections that parts of the service read themselves
    # ([slack], [email], [reminders], [serve]); each section's keys are checked against the defaults.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.raw.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def with_overrides(
        self,
        *,
        db_path: str | Path | None = None,
        election_deadline: date | None = None,
        averaging_start: date | None = None,
        disrupted_days: tuple[date, ...] | None = None,
    ) -> "Settings":
        """Apply command-line flags; None means the flag was not given."""
        changes: dict[str, Any] = {}
        if db_path is not None:
            changes["db_path"] = Path(db_path)
        if election_deadline is not None:
            changes["election_deadline"] = election_deadline
        if averaging_start is not None:
            changes["averaging_start"] = averaging_start
        if disrupted_days is not None:
            changes["disrupted_days"] = tuple(sorted(set(disrupted_days)))
        return replace(self, **changes) if changes else self


def data_path(name: str) -> Path:
    """A file shipped in bot/data (countries, rates, defaults, model grid parameters)."""
    return Path(__file__).resolve().parent / "data" / name


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# Tables whose keys are data (country names), not settings: any key is allowed inside them.
OPEN_TABLES = frozenset({"program.rulings", "reminders.time_zones"})


def unknown_settings(given: Mapping[str, Any], known: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted names in a deployment's file that the embedded defaults do not define (typos)."""
    out: list[str] = []
    for key, value in given.items():
        name = f"{prefix}{key}"
        if key not in known:
            out.append(name)
        elif isinstance(value, Mapping) and isinstance(known[key], Mapping) and name not in OPEN_TABLES:
            out.extend(unknown_settings(value, known[key], f"{name}."))
    return out


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{key}: expected a date YYYY-MM-DD, got {value!r}") from exc


def _as_time(value: Any, key: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{key}: expected a time HH:MM, got {value!r}") from exc


@lru_cache(maxsize=1)
def _embedded_defaults() -> dict[str, Any]:
    with data_path("defaults.toml").open("rb") as fh:
        return tomllib.load(fh)


def default_db_path() -> Path:
    """The demo database's path as the embedded defaults name it (var/sotp.db)."""
    return Path(_embedded_defaults().get("storage", {}).get("db", "var/sotp.db"))


def load_settings(config_file: str | Path | None = None) -> Settings:
    """Defaults, then the file named by the argument or $SOTP_CONFIG, then $SOTP_DB."""
    raw: dict[str, Any] = copy.deepcopy(_embedded_defaults())
    sources = ["defaults"]
    path = config_file or os.environ.get(CONFIG_ENV)
    if path:
        try:
            with open(path, "rb") as fh:
                given = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        unknown = unknown_settings(given, raw)
        if unknown:
            raise ConfigError(f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(unknown)} (a typo would silently keep the default; "
                              "see config.example.toml for every setting)")
        raw = _merge(raw, given)
        sources.append(str(path))
    storage, program = raw.get("storage", {}), raw.get("program", {})
    interest, queue = raw.get("interest", {}), raw.get("queue", {})
    db = os.environ.get(DB_ENV) or storage.get("db", "var/sotp.db")
    if os.environ.get(DB_ENV):
        sources.append(DB_ENV)
    start = program.get("averaging_start")
    try:
        rate = Decimal(str(interest.get("assumed_rate", "0.0095")))
    except ArithmeticError as exc:
        raise ConfigError(f"interest.assumed_rate: not a number: {interest.get('assumed_rate')!r}") from exc
    return Settings(
        db_path=Path(db),
        election_deadline=_as_date(program.get("election_deadline", "2003-11-12"), "program.election_deadline"),
        averaging_start=_as_date(start, "program.averaging_start") if start else None,
        disrupted_days=tuple(sorted(_as_date(d, "program.disrupted_days") for d in program.get("disrupted_days", []))),
        rulings=dict(program.get("rulings", {})),
        assumed_interest_rate=rate,
        interest_series=str(interest.get("series", "treasury_3m_cmt.csv")),
        overdue_business_hours=int(queue.get("overdue_business_hours", 8)),
        business_day_start=_as_time(queue.get("business_day_start", "06:00"), "queue.business_day_start"),
        business_day_end=_as_time(queue.get("business_day_end", "18:00"), "queue.business_day_end"),
        source=tuple(sources),
        raw=raw,
    )
