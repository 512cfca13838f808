"""`sotp index status|build`: the prebuilt knowledge index that questions are answered from.

Whatever answers questions loads the corpus, its index and the reply templates
from var/cache/ beside the packages while none of their inputs changed, and
rebuilds them (about a second) when one did (knowledge/cache.py). `sotp index
build` builds the index now, e.g. after a deploy, so that the first question is
fast; `sotp index status` says whether the cache is fresh without loading it
(exit status 1 when it is not).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bot.commands._common import CommandError, emit_json, json_parent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="check or build the cached knowledge index",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", parents=[json_parent()],
                                help="whether the cache is fresh (exit status 1 when it is not)")
    status.set_defaults(func=run_status)
    build = actions.add_parser("build", parents=[json_parent()], help="build the index and write the cache now")
    build.set_defaults(func=run_build)


def _knowledge() -> Any:
    from handlers.assistant import default_knowledge

    return default_knowledge


def run_status(args: argparse.Namespace) -> int:
    cache = _knowledge().cache
    state, detail = cache.status()
    if args.json:
        emit_json({"state": state, "path": str(cache.path), "detail": detail})
    else:
        print(f"{state}: {detail}")
    return 0 if state == "fresh" else 1


def run_build(args: argparse.Namespace) -> int:
    knowledge = _knowledge()
    started = time.perf_counter()
    value = knowledge.build()
    seconds = time.perf_counter() - started
    if not knowledge.cache.store(value, build_seconds=seconds):
        raise CommandError(f"built the index in {seconds:.2f} s but could not write {knowledge.cache.path} "
                           "(the log line above says why)")
    if args.json:
        emit_json({"path": str(knowledge.cache.path), "build_seconds": round(seconds, 3)})
    else:
        print(f"built the index in {seconds:.2f} s: {knowledge.cache.path}")
    return 0
