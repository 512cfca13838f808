"""`sotp index status|build`: the prebuilt index that questions are answered from.

The assistant answers questions from the Notice and the program's guides through
an index it keeps on disk. When the Notice, the guides or the reply texts change,
the index is rebuilt by itself the next time a question comes (in about a
second). `sotp index build` builds it now, for example after installing a new
version, so that the first question is answered at once; `sotp index status`
says whether the index on disk is up to date, without loading it (exit status 1
when it is not).
"""

# Developers: the index is cached in var/cache/ beside the packages (knowledge/cache.py).

from __future__ import annotations

import argparse
import time
from typing import Any

from bot.commands._common import CommandError, emit_json, json_parent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="status|build: whether the index of the Notice is up to date, or build it now",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", parents=[json_parent()],
                                help="whether the index is up to date (exit status 1 when it is not)")
    status.set_defaults(func=run_status)
    build = actions.add_parser("build", parents=[json_parent()], help="build the index now and keep it on disk")
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
