"""Sort a problem for the compchng queue into the category staff work by (handlers/categories.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Sequence

RULES_FILE = Path(__file__).with_name("categories.toml")


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=1)
def _rules() -> tuple[tuple[tuple[str, tuple[re.Pattern[str], ...]], ...], tuple[re.Pattern[str], ...]]:
    with RULES_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    ordered = tuple((name, _compile(raw[name]["patterns"])) for name in raw["order"])
    return ordered, _compile(raw["country"].get("moves", []))


def categorize(text: str, countries_named: Sequence[str] = ()) -> str:
    """missing-email, missing-options, data-error, status-change, country, or other."""
    ordered, moves = _rules()
    if countries_named and any(p.search(text) for p in moves):
        return "country"
    for name, patterns in ordered:
        if any(p.search(text) for p in patterns):
            return name
    return "other"
