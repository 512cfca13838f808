"""`sotp bench NAME`: measure the assistant (administrators).

faq: how often questions get the right kind of answer and the right section of
the Notice, and how fast. calc: how fast personal estimates and the population
totals are computed. whatif: how fast break-even prices are solved. calibration:
the population's Total Payments beside the figures the Notice publishes. slack:
answers per second through the Slack app, and how long each answer takes.
remind: the time and memory one reminder wave takes for a whole population.
email: questions per second from an email arriving to its reply being sent, none
lost or sent twice. import: how long a large import takes and how long other
writers wait meanwhile. serve: the same email figures for the whole running
service, with the reminder planner at work.

The figures are reported for people to read; the README
lists the latest ones.
"""

from __future__ import annotations

import argparse
import importlib

# Module names under bot.benchmarks, in the order of `sotp bench --help`.
BENCHMARKS: tuple[str, ...] = (
    "faq",
    "calc",
    "whatif",
    "calibration",
    "slack",
    "remind",
    "email",
    "imports",
    "serve",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bench", help="measure answer quality, speed and calibration (administrators)",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    benches = parser.add_subparsers(dest="benchmark", metavar="NAME", required=True)
    for name in BENCHMARKS:
        importlib.import_module(f"bot.benchmarks.{name}").register(benches)
