"""The Slack app's own words, from texts.toml beside this file (data, not code)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from handlers.assistant import Templates

TEXTS_FILE = Path(__file__).with_name("texts.toml")


@lru_cache(maxsize=1)
def texts() -> Templates:
    with TEXTS_FILE.open("rb") as fh:
        return Templates(tomllib.load(fh), {})
