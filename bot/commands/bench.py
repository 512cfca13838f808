"""`sotp bench NAME`: measurements of the assistant, one sub-benchmark per module in bot.benchmarks.

Each module in BENCHMARKS exposes register(subparsers) and sets `func` on its
parser, like the top-level commands. Adding a benchmark is one line here.
"""

from __future__ import annotations

import argparse
import importlib

# Module names under bot.benchmarks, in the order of `sotp bench --help`.
BENCHMARKS: tuple[str, ...] = (
    "faq",
    "calc",
    "calibration",
    "slack",
    "remind",
    "email",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bench", help="measure answer quality, speed and calibration (reported, never asserted in tests)",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    benches = parser.add_subparsers(dest="benchmark", metavar="NAME", required=True)
    for name in BENCHMARKS:
        importlib.import_module(f"bot.benchmarks.{name}").register(benches)
