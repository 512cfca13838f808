"""Expiration dates of Eligible Options after transfer to JPMorgan (Notice s1, Q9, Q24)."""

from __future__ import annotations

from datetime import date

from bot.calc.records import SeriesKey


def amended_expiration(series: SeriesKey, averaging_end: date) -> date:
    """Non-Multi-Year Grant: earlier of (existing + extension days) and E + 36 months; MYG: E + 24 months."""
    raise NotImplementedError
