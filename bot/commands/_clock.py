"""--as-of: the moment a planner command acts at (its injectable clock); default now."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone


def moment(text: str) -> datetime:
    """An ISO-8601 time with its UTC offset ("2003-11-11T09:00-05:00"); a time without one is refused."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time like 2003-11-11T09:00-05:00, got {text!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset: write it like 2003-11-11T09:00-05:00")
    return value


def add_as_of(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--as-of", type=moment, metavar="TIME",
                        help=f"{what} at this moment, ISO-8601 with its offset (default: now)")


def as_of(args: argparse.Namespace) -> datetime:
    return args.as_of or datetime.now(timezone.utc)
