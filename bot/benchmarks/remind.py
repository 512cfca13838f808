"""`sotp bench remind`: one reminder wave for a whole population, timed, with its peak memory.

The benchmark builds a synthetic demo population cut so that exactly N people
are Eligible Employees, gives a share of them Slack ids (all, by default: the
heaviest wave, one Slack DM and one email each) and election records of every
kind, then runs one pass of the planner in a child process at a moment when a
reminder is due, on a fresh database in a temporary folder. Reported: the
pass's time (from opening the database to the last commit), rows enqueued and
the child's peak resident memory. Targets for 37,000 Eligible Employees on a
2-core machine: at most 5 s and 250 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot import countries, demo, figures, store
from bot.commands._common import CommandError, emit_json, json_parent

TARGET_SECONDS = 5.0
TARGET_MB = 250.0
DEFAULT_AS_OF = "2003-11-06T09:00-05:00"      # the 7d reminder is due (the 14d one too: superseded)
ELIGIBLE_SHARE = 0.6                          # the demo shape's share of Eligible Employees is ~0.64


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "remind", help="time and peak memory of one reminder wave for a whole population",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[json_parent()])
    parser.add_argument("--employees", type=int, default=37000, metavar="N",
                        help="Eligible Employees in the population (default 37,000)")
    parser.add_argument("--seed", type=int, default=2003, metavar="S", help="seed of the population (default 2003)")
    parser.add_argument("--slack-share", type=float, default=1.0, metavar="F",
                        help="share of Eligible Employees with a Slack id, 0 to 1 (default 1: all)")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, metavar="TIME",
                        help=f"the planner's clock (default {DEFAULT_AS_OF})")
    parser.add_argument("--keep", metavar="PATH", help="keep the database there instead of in a temporary folder")
    parser.set_defaults(func=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(path: Path, eligible: int, seed: int, slack_share: float) -> dict[str, int]:
    """A population with exactly `eligible` Eligible Employees, Slack ids and election records."""
    people = int(eligible / ELIGIBLE_SHARE) + 200
    db = store.open_db(path)
    try:
        demo.build(db, people, seed, demo.stderr_progress)
        ids = [e.employee_id for e, _ in figures.eligible_people(db)]
        if len(ids) < eligible:
            raise CommandError(f"the demo population of {people:,} people has only {len(ids):,} Eligible Employees")
        last = ids[eligible - 1]
        rng = random.Random(seed)
        with db.atomic():
            db.conn.execute("DELETE FROM grants WHERE employee_id > ?", (last,))
            db.conn.execute("DELETE FROM employees WHERE employee_id > ?", (last,))
            chosen = [eid for eid in ids[:eligible] if rng.random() < slack_share]
            db.conn.executemany("UPDATE employees SET slack_user_id = ? WHERE employee_id = ?",
                                [(f"U{eid[1:]}B", eid) for eid in chosen])
            two_step = {c.name for c in countries.two_step_countries()}
            country_of = dict(db.conn.execute("SELECT employee_id, country FROM employees").fetchall())
            start = datetime(2003, 10, 15, 16, 0, tzinfo=timezone.utc)
            rows = []
            for eid in ids[:eligible]:
                draw = rng.random()
                if draw >= 0.45:
                    continue
                at = start + timedelta(minutes=rng.randrange(20 * 24 * 60))
                action = "withdraw" if draw < 0.05 else "participate"
                method = "online" if rng.random() < 0.9 else rng.choice(("fax", "mail"))
                form = None
                if country_of[eid] in two_step and method == "online" and rng.random() < 0.7:
                    form = (at + timedelta(days=2)).isoformat()
                rows.append((eid, action, method, at.isoformat(), form))
            store.replace_rows(db, "elections", rows, store.ELECTION_COLUMNS)
        return {"people": store.count(db, "employees"), "eligible": eligible, "slack": len(chosen),
                "elections": len(rows)}
    finally:
        db.close()


def wave(path: str, as_of: str) -> dict[str, Any]:
    """One planner pass (run in the child process); returns what it did and how long it took."""
    from bot.config import load_settings
    from bot.reminders import texts
    from bot.reminders.run import Planner

    texts.default_texts()          # the corpus and the quotes load once per process, not per wave
    settings = load_settings().with_overrides(db_path=path)
    started = time.perf_counter()
    cpu = time.process_time()
    db = store.open_db(path)
    report = Planner(db, settings).run(datetime.fromisoformat(as_of), parts=("reminders",))
    db.close()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3), "enqueued": report.enqueued, "eligible": report.eligible,
            "counts": report.counts, "superseded": report.superseded,
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run(args: argparse.Namespace) -> int:
    if args.employees < 1:
        raise CommandError("--employees must be at least 1")
    if not 0 <= args.slack_share <= 1:
        raise CommandError("--slack-share must be between 0 and 1")
    try:
        datetime.fromisoformat(args.as_of)
    except ValueError:
        raise CommandError(f"--as-of {args.as_of!r} is not a time like {DEFAULT_AS_OF}") from None
    with tempfile.TemporaryDirectory(prefix="sotp-bench-remind-") as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        if path.exists():
            raise CommandError(f"{path} exists: --keep needs a new path")
        _say(f"bench remind: building a population with {args.employees:,} Eligible Employees ...")
        population = build(path, args.employees, args.seed, args.slack_share)
        _say(f"bench remind: {population['people']:,} people, {population['slack']:,} with Slack ids, "
             f"{population['elections']:,} election records; running one wave as of {args.as_of} ...")
        load = os.getloadavg()[0]     # the machine's load when the wave starts: timings under load are not comparable
        child = subprocess.run([sys.executable, "-m", "bot.benchmarks.remind", str(path), args.as_of],
                               capture_output=True, text=True, check=False)
        if child.returncode != 0:
            raise CommandError(f"the wave failed: {child.stderr.strip()[-2000:]}")
        result = json.loads(child.stdout)
        if args.keep:
            _say(f"bench remind: database kept at {path}")
    met = result["seconds"] <= TARGET_SECONDS and result["peak_mb"] <= TARGET_MB
    if args.json:
        emit_json({**population, **result, "load": load,
                   "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB}, "met": met})
        return 0
    print(f"One reminder wave for {result['eligible']:,} Eligible Employees "
          f"({population['slack']:,} with Slack ids), as of {args.as_of}")
    for kind, channels in result["counts"].items():
        print(f"  {kind}: " + ", ".join(f"{n:,} {channel}" for channel, n in channels.items()))
    if result["superseded"]:
        print("  superseded (recorded, not sent): " + ", ".join(f"{k} {n:,}" for k, n in result["superseded"].items()))
    print(f"  rows enqueued  {result['enqueued']:>10,}")
    print(f"  time           {result['seconds']:>10.2f} s    (target <= {TARGET_SECONDS:.0f} s; "
          f"{result['cpu_seconds']:.2f} s of CPU)")
    print(f"  peak memory    {result['peak_mb']:>10.1f} MB   (target <= {TARGET_MB:.0f} MB)")
    print(f"  load average   {load:>10.2f}      (1 minute, when the wave started)")
    print(f"Targets met: {'yes' if met else 'NO'}")
    return 0


if __name__ == "__main__":
    print(json.dumps(wave(sys.argv[1], sys.argv[2])))
