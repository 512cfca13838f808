"""Timestamps as the stores keep them: ISO-8601 UTC text to the second ("2003-11-03T17:04:05+00:00").

One fixed width and zone, so that text order in SQLite is time order and an
index on a timestamp column serves range queries.
"""

from __future__ import annotations

from datetime import datetime, timezone


def to_db(moment: datetime) -> str:
    """UTC text to the second; a naive datetime is refused rather than guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def optional_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)
