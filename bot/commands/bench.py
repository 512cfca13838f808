"""`sotp bench ...`: the speed and quality measurements behind the issues' targets."""

from __future__ import annotations

import argparse
import importlib

# One module per benchmark under bot.benchmarks, each with register(subparsers).
BENCHMARKS: tuple[str, ...] = ("faq",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="measure quality and speed (reported, never asserted in tests)")
    inner = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for name in BENCHMARKS:
        importlib.import_module(f"bot.benchmarks.{name}").register(inner)
