"""`sotp bench faq`: how well and how fast questions are routed and matched.

Reports intent accuracy over all questions; top-1 and top-3 section accuracy on
the FAQ questions (a hit = the first / any of the first three cited sections is
in the question's "sections" list); per-question latency after the index is
built (median and p99 of each question's median over --repeat runs, target p99
<= 3 ms); the index build time and the time to load it from the cache
(knowledge/cache.py). Questions go through the conversation core exactly as
`sotp ask --batch` sends them, audit records included (a scratch database; no
employees unless a row names one), so what is measured is what employees get.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.commands._common import CommandError, emit_json, json_parent

TARGET_P99_MS = 3.0   # issue 7: per question through the whole core, audit writes included


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "faq", parents=[json_parent()], help="intent and section accuracy, latency",
        description="Answer labeled questions through the conversation core and report intent accuracy, "
                    "top-1/top-3 section accuracy on FAQ questions, latency and index build time. It runs "
                    "on a scratch database (no --db), so measuring never adds audit entries or tickets to "
                    "real data.")
    parser.add_argument("--questions", required=True, metavar="FILE",
                        help='labeled questions, JSON lines {"id", "text", "intent", "sections"}')
    parser.add_argument("--repeat", type=int, default=5, help="runs per question for latency (default 5)")
    parser.add_argument("--misses", action="store_true", help="list the questions answered wrongly")
    parser.set_defaults(func=run)


def _load(path: str) -> list[dict[str, Any]]:
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise CommandError(f"{path}: line {number}: not JSON ({exc})") from exc
                if "text" not in row or "intent" not in row:
                    raise CommandError(f'{path}: line {number}: needs "text" and "intent"')
                rows.append(row)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    if not rows:
        raise CommandError(f"{path}: no questions")
    return rows


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(rows: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    """Through the conversation core, as `sotp ask --batch` answers: each question on its own."""
    from bot import store
    from bot.config import load_settings
    from handlers.assistant import default_knowledge
    from handlers.core import Conversation
    from handlers.messages import Incoming

    started = time.perf_counter()
    default_knowledge.build()   # first, while nothing is warm in this process
    build_ms = (time.perf_counter() - started) * 1000
    default_knowledge.cache_clear()
    default_knowledge()         # stores the cache if it was missing or stale
    default_knowledge.cache_clear()
    started = time.perf_counter()
    knowledge = default_knowledge()   # what a starting process does: load from the cache
    load_ms = (time.perf_counter() - started) * 1000
    provenance = default_knowledge.cache.provenance
    scratch = tempfile.TemporaryDirectory(prefix="sotp-bench-")
    db = store.open_db(Path(scratch.name) / "bench.db")
    conversation = Conversation(db, load_settings(), knowledge=knowledge)

    def answer(row: dict[str, Any]):
        incoming = Incoming("cli", "cli:bench", row["text"], employee_id=row.get("employee_id"))
        return conversation.handle(incoming, remember=False).primary

    intent_hits = top1 = top3 = faq_total = 0
    latencies: list[float] = []
    misses: list[dict[str, Any]] = []
    for row in rows:
        runs = []
        reply = None
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            reply = answer(row)
            runs.append((time.perf_counter() - t0) * 1000)
        latencies.append(statistics.median(runs))
        assert reply is not None
        intent_ok = reply.intent == row["intent"]
        intent_hits += intent_ok
        wanted = row.get("sections") or []
        got = list(reply.sections)
        if row["intent"] == "faq" and wanted:
            faq_total += 1
            hit1 = bool(got) and got[0] in wanted
            hit3 = any(s in wanted for s in got[:3])
            top1 += hit1
            top3 += hit3
            if not hit1:
                misses.append({"id": row.get("id"), "want": wanted, "got": got[:3], "intent": reply.intent,
                               "top3": hit3, "text": row["text"][:120]})
        if not intent_ok:
            misses.append({"id": row.get("id"), "want_intent": row["intent"], "intent": reply.intent,
                           "text": row["text"][:120]})
    audited = int(db.conn.execute("SELECT count(*) FROM audit").fetchone()[0])
    db.close()
    scratch.cleanup()
    n = len(rows)
    return {
        "questions": n,
        "intent_accuracy": round(intent_hits / n, 4),
        "faq_questions": faq_total,
        "top1": round(top1 / faq_total, 4) if faq_total else None,
        "top3": round(top3 / faq_total, 4) if faq_total else None,
        "latency_ms": {"median": round(statistics.median(latencies), 3),
                       "p99": round(_percentile(latencies, 0.99), 3),
                       "max": round(max(latencies), 3), "target_p99": TARGET_P99_MS},
        "audit_records": audited,
        "index_build_ms": round(build_ms, 1),
        "index_load_ms": round(load_ms, 1),
        "index_source": provenance.source if provenance else None,
        "misses": misses,
    }


def run(args: argparse.Namespace) -> int:
    rows = _load(args.questions)
    print(f"measuring {len(rows)} questions x {args.repeat} runs...", file=sys.stderr)
    result = measure(rows, args.repeat)
    if args.json:
        if not args.misses:
            result = {k: v for k, v in result.items() if k != "misses"}
        emit_json(result)
        return 0
    lat = result["latency_ms"]
    print(f"questions          {result['questions']}")
    print(f"intent accuracy    {result['intent_accuracy']:.1%}")
    if result["faq_questions"]:
        print(f"faq questions      {result['faq_questions']}")
        print(f"top-1 section      {result['top1']:.1%}")
        print(f"top-3 section      {result['top3']:.1%}")
    print(f"latency median     {lat['median']:.2f} ms")
    print(f"latency p99        {lat['p99']:.2f} ms   (max {lat['max']:.2f} ms; target <= {TARGET_P99_MS:g} ms)")
    print(f"audit records      {result['audit_records']}   (every turn through the core, audit included)")
    print(f"index build        {result['index_build_ms']:.0f} ms")
    print(f"index load         {result['index_load_ms']:.0f} ms   (from the {result['index_source']})")
    if args.misses:
        for miss in result["misses"]:
            print(json.dumps(miss, ensure_ascii=False))
    return 0
