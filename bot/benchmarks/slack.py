"""`sotp bench slack`: events per second through the Slack app, and the latency of each answer.

It runs `sotp serve --slack-mode http` as a child process on loopback (a scratch
demo database, a local Slack Web API in this process), posts --events signed DMs
to POST /slack/events at --rate a second, and times each one from the moment it
was sent to the moment its answer arrived at the local chat.postMessage. Events
are DMs in threads of their own, so every answer names the event it answers.
The app's own rate limit is off (calls_per_second = 0): this measures the app, not
Slack's limits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.benchmarks.procfs import tree_cpu
from bot.commands._common import CommandError, emit_json, json_parent

# Questions of several kinds (the Notice, figures, procedure); our own wording, not the dev set's.
QUESTIONS = (
    "when is the election deadline?",
    "how do I withdraw my election?",
    "estimate my total payment at $27",
    "what happens to my options if I leave Microsoft?",
    "which of my options are eligible?",
    "is the payment made through payroll in my country?",
    "can I transfer only some of my options?",
    "what is my election status?",
)
DEMO_EMPLOYEES = 2000
WARM_UP = 40
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "slack", parents=[json_parent()], help="events/s and latency of the Slack app over HTTP on loopback",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="signed DM events to post (default 2000)")
    parser.add_argument("--rate", type=float, default=300.0,
                        help="events sent per second (default 300; 0 = as fast as 64 in flight allow)")
    parser.set_defaults(func=run)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _measure(events: int, rate: float, workdir: Path) -> dict[str, Any]:
    import aiohttp

    from bot import demo, store
    from bot.channels.slack.localslack import BOT_TOKEN, SECRET, LocalSlack, event_body, signed

    db_path = workdir / "bench.db"
    demo.build_at(db_path, DEMO_EMPLOYEES)
    db = store.open_db(db_path)
    users = [r[0] for r in db.conn.execute("SELECT slack_user_id FROM employees WHERE slack_user_id IS NOT NULL "
                                           "ORDER BY employee_id")]
    db.close()
    if not users:
        raise CommandError("the demo population has no Slack users")
    config = workdir / "bench.toml"
    # Only the Slack app: no reminder waves, no email channel and no mail sink in the measurement.
    config.write_text(f'[serve]\nstate_dir = "{workdir / "var"}"\nmail_sink = ""\n\n[slack]\ncalls_per_second = 0\n'
                      'delivery_concurrency = 16\nturn_process = true\n')
    slack = await LocalSlack().start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{slack.url}/api/")
    env.pop("SLACK_APP_TOKEN", None)
    log = (workdir / "serve.log").open("w")
    child = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--db", str(db_path), "--config", str(config),
                              "--slack-mode", "http", "--slack-port", str(port), "--log-level", "WARNING",
                              "--no-reminders", "--no-email"],
                             env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 120
            while True:
                if child.poll() is not None:
                    raise CommandError(f"sotp serve exited with {child.returncode}: see {workdir / 'serve.log'}")
                try:
                    async with http.get(f"{url}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise CommandError("sotp serve did not start within 120 s")
                await asyncio.sleep(0.1)

            async def post(n: int, user: str, text: str, due: float) -> None:
                thread = f"1067860800.{n:06d}"
                event = {"type": "message", "channel_type": "im", "channel": "D" + user[1:], "user": user,
                         "text": text, "ts": f"1067860801.{n:06d}", "thread_ts": thread, "event_ts": thread}
                body = event_body(event, event_id=f"Ev{n:08d}")
                # Latency counts from when the event was due to be sent: time spent waiting for a
                # free connection (the app answering slowly) is the app's, not hidden by a late start.
                sent[thread] = due
                async with http.post(f"{url}/slack/events", data=body.encode(), headers=signed(body)) as r:
                    if r.status != 200:
                        raise CommandError(f"event {n}: HTTP {r.status}")
                acked[thread] = time.perf_counter()

            async def burst(start: int, count: int) -> None:
                gate = asyncio.Semaphore(64)
                began = time.perf_counter()
                tasks = []
                for i in range(count):
                    n = start + i
                    due = began + i / rate if rate > 0 else time.perf_counter()
                    if rate > 0:
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)

                    async def one(n: int = n, due: float = due) -> None:
                        async with gate:
                            await post(n, users[n % len(users)], QUESTIONS[n % len(QUESTIONS)], due)
                    tasks.append(asyncio.ensure_future(one()))
                await asyncio.gather(*tasks)

            await burst(0, WARM_UP)
            await slack.wait_for("chat.postMessage", WARM_UP, timeout=60)
            before = len(slack.of("chat.postMessage"))
            cpu_before = tree_cpu(child.pid)
            bench_before = time.process_time()
            first = time.perf_counter()
            await burst(WARM_UP, events)
            await slack.wait_for("chat.postMessage", before + events, timeout=max(60.0, events / 20))
        cpu_at_start = cpu_before
        cpu_at_end = tree_cpu(child.pid)
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
        log.close()
        await slack.stop()
    errors = sum(1 for line in (workdir / "serve.log").read_text(errors="replace").splitlines()
                 if " ERROR " in line)
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    answered = {c.params.get("thread_ts"): c.at for c in slack.of("chat.postMessage")}
    measured = [t for t in sent if int(t.split(".")[1]) >= WARM_UP]
    latencies = [(answered[t] - sent[t]) * 1000 for t in measured if t in answered]
    acks = [(acked[t] - sent[t]) * 1000 for t in measured if t in acked]
    last = max(answered[t] for t in sent if int(t.split(".")[1]) >= WARM_UP)
    return {"events": events, "offered_rate": rate, "events_per_second": round(events / (last - first), 1),
            "latency_ms": {"median": round(statistics.median(latencies), 1),
                           "p99": round(_percentile(latencies, 0.99), 1), "max": round(max(latencies), 1)},
            "ack_ms": {"median": round(statistics.median(acks), 1), "p99": round(_percentile(acks, 0.99), 1)},
            "cpus": os.cpu_count(),
            "server_cpu_s": round(server_cpu.ru_utime + server_cpu.ru_stime, 2),
            "bench_cpu_s": round(time.process_time(), 2),
            "cpu_ms_per_event": {"server": {p: round((c - cpu_at_start.get(p, 0.0)) * 1000 / events, 2)
                                            for p, c in cpu_at_end.items()},
                                 "bench": round((time.process_time() - bench_before) * 1000 / events, 2)},
            "serve_log_errors": errors,
            "calls": dict(Counter(c.method for c in slack.calls))}


def run(args: argparse.Namespace) -> int:
    if args.events < 1:
        raise CommandError("--events must be at least 1")
    with tempfile.TemporaryDirectory(prefix="sotp-bench-slack-") as scratch:
        result = asyncio.run(_measure(args.events, args.rate, Path(scratch)))
    if args.json:
        emit_json(result)
    else:
        lat = result["latency_ms"]
        print(f"{result['events']} DM events at {result['offered_rate']:g}/s offered: "
              f"{result['events_per_second']} events/s answered (chat.postMessage), latency median "
              f"{lat['median']} ms, p99 {lat['p99']} ms, max {lat['max']} ms ({result['cpus']} CPUs)")
    return 0
