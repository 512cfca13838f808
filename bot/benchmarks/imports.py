"""`sotp bench import`: how long a large grants import takes, and how long other writers wait meanwhile.

On a scratch database (never --db): the demo population's employees, and a
grants file of N rows made from their grants (each demo grant repeated under
new grant numbers). `sotp import grants` runs in its own process, as an
administrator would run it, while this process writes to the same database
every 20 ms with a 1-second busy timeout, as the assistant records each turn.
Reported: the import's time, and the writes' longest and 99th-percentile waits
and how many failed. Target: no write waits more than about a second.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import demo, store
from bot.commands._common import CommandError, emit_json, json_parent

DEFAULT_GRANTS = 2_700_000
PROBE_EVERY = 0.02
PROBE_TIMEOUT = 1.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import", help="time of a large grants import, and how long other writers wait meanwhile",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[json_parent()])
    parser.add_argument("--grants", type=int, default=DEFAULT_GRANTS, metavar="N",
                        help=f"grants in the file (default {DEFAULT_GRANTS:,})")
    parser.add_argument("--employees", type=int, default=None, metavar="N",
                        help=f"people in the population (default {demo.default_employees():,})")
    parser.set_defaults(func=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _write_grants(path: Path, grants: list[tuple[Any, ...]], n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(store.GRANT_COLUMNS)
        for copy in itertools.count():
            for grant in grants:
                if n <= 0:
                    return
                row = list(grant)
                row[1] = f"{row[1]}-{copy:03d}"
                writer.writerow(row)
                n -= 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _timed_import(path: Path, grants_csv: Path, folder: Path) -> dict[str, Any]:
    """One `sotp import grants` in its own process, another connection writing meanwhile."""
    errors = (folder / "import.err").open("w+b")
    started = time.perf_counter()
    # Output to files, not pipes: a pipe nobody reads while the import runs would stop it when full.
    importer = subprocess.Popen([sys.executable, "-m", "bot", "import", "grants", str(grants_csv), "--db",
                                 str(path), "--replace", "--json"], stdout=subprocess.DEVNULL, stderr=errors)
    probe = sqlite3.connect(path, timeout=PROBE_TIMEOUT, isolation_level=None)
    waits: list[float] = []
    failures = 0
    while importer.poll() is None:
        t0 = time.perf_counter()
        try:
            probe.execute("INSERT INTO meta (key, value) VALUES ('bench-probe', ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(t0),))
        except sqlite3.OperationalError:
            failures += 1
        waits.append(time.perf_counter() - t0)
        time.sleep(PROBE_EVERY)
    seconds = time.perf_counter() - started
    probe.close()
    errors.seek(0)
    err = errors.read()
    errors.close()
    if importer.returncode != 0:
        raise CommandError(f"the import failed: {err.decode('utf-8', 'replace').strip()}")
    return {
        "import_seconds": round(seconds, 1), "writes": len(waits), "failed_writes": failures,
        "longest_wait_ms": round(max(waits) * 1000, 1) if waits else None,
        "p99_wait_ms": round(_percentile(waits, 0.99) * 1000, 1) if waits else None,
        "median_wait_ms": round(statistics.median(waits) * 1000, 2) if waits else None,
    }


def run(args: argparse.Namespace) -> int:
    if args.grants < 1:
        raise CommandError(f"--grants must be at least 1, got {args.grants}")
    people = demo.default_employees() if args.employees is None else args.employees
    with tempfile.TemporaryDirectory(prefix="sotp-bench-import-") as scratch:
        folder = Path(scratch)
        path, grants_csv = folder / "bench.db", folder / "grants.csv"
        _say(f"bench import: generating {people:,} people and a file of {args.grants:,} grants ...")
        employees, grants = demo.generate(people, demo.default_seed())
        db = store.open_db(path)
        store.replace_rows(db, "employees", employees, store.EMPLOYEE_COLUMNS)
        db.close()
        _write_grants(grants_csv, grants, args.grants)
        _say("bench import: importing into an empty table, while another connection writes every 20 ms ...")
        first = _timed_import(path, grants_csv, folder)
        _say(f"bench import: importing again, replacing the {args.grants:,} grants just stored ...")
        again = _timed_import(path, grants_csv, folder)
    result = {"grants": args.grants, "employees": people, "first_import": first, "replacing_import": again}
    if args.json:
        emit_json(result)
        return 0
    for label, figures in (("into an empty table", first), (f"replacing {args.grants:,} stored grants", again)):
        print(f"Imported {args.grants:,} grants (for {people:,} people) {label} in {figures['import_seconds']} s.")
        print(f"  Meanwhile {figures['writes']:,} writes with a {PROBE_TIMEOUT:g} s busy timeout: "
              f"{figures['failed_writes']} failed; waits median {figures['median_wait_ms']} ms, "
              f"p99 {figures['p99_wait_ms']} ms, longest {figures['longest_wait_ms']} ms "
              "(target: about 1,000 ms at most).")
    return 0
