"""`sotp bench email`: inbound-to-reply throughput of the email gateway, end to end on loopback.

The gateway runs alone as its own process (`python -m bot.channels.email`) on a
scratch database (a demo population); this process plays both the company's mail
server, sending N questions over a few kept SMTP connections, and the relay,
receiving the replies. Latency is from the start of a question's SMTP
transaction to its reply's arrival at the relay. Every question must get exactly
one reply (matched by In-Reply-To): lost and duplicated replies are counted.
The cap on automatic replies per sender is lifted for the run, since the
benchmark mails the same few senders many times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
import tomllib
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Callable

from bot.benchmarks.procfs import load_average, stat_fields, tree_cpu
from bot.channels.email.__main__ import free_port, spawn, wait_listening
from bot.channels.email.parse import read_headers
from bot.commands._common import CommandError, emit_json, json_parent
from bot.config import data_path

ALIAS = "compchng@microsoft.com"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "email", parents=[json_parent()], help="email gateway: inbound-to-reply throughput and latency",
        description=__doc__.splitlines()[0] + " Runs on a scratch database; no real data is touched.",
        epilog="Target on a 2-core machine: >= 100 messages/s, none lost or duplicated.")
    parser.add_argument("--messages", type=int, default=1000, metavar="N", help="questions to send (default 1000)")
    parser.add_argument("--connections", type=int, default=4, metavar="C",
                        help="SMTP connections the sending server uses at once (default 4)")
    parser.add_argument("--rate", type=float, default=0.0, metavar="R",
                        help="offer R questions per second (default 0: as fast as the gateway takes them); "
                             "latency at a rate the gateway sustains shows the time a reply takes, without a queue")
    parser.add_argument("--employees", type=int, default=2000, help="size of the scratch population (default 2000)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the last reply after the last question (default 120)")
    parser.add_argument("--processor-in-service", action="store_true",
                        help="run the inbound processor in the gateway's own process ([email] processor_process "
                             "= false), not in the process of its own the service starts by default")
    parser.set_defaults(func=run)


class _Sink:
    """The relay: notes when each reply arrives, keyed by the question it answers."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.total = 0
        self.unprompted = 0
        self.changed = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        key = read_headers(envelope.original_content).in_reply_to or ""
        if not key:                 # not a reply: a reminder or a confirmation of the planner
            self.unprompted += 1
            return "250 OK"
        self.arrivals.setdefault(key, []).append(at)
        self.total += 1
        self.changed.set()
        return "250 OK"


def _questions(n: int, senders: list[str]) -> list[EmailMessage]:
    with data_path("email_bench.toml").open("rb") as fh:
        texts = tomllib.load(fh)["questions"]
    out = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = f"visitor{i}@partner.example" if i % 4 == 3 else senders[i % len(senders)]
        msg["To"] = ALIAS
        msg["Subject"] = f"SOTP question {i}"
        msg["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="bench.example")
        msg.set_content(f"Hello,\n\n{texts[i % len(texts)]}\n\nThanks\n")
        out.append(msg)
    return out


async def _send_all(port: int, messages: list[EmailMessage], connections: int, rate: float,
                    started: dict[str, float], accepted: dict[str, float]) -> None:
    import aiosmtplib

    queue: asyncio.Queue[tuple[int, str, str, bytes]] = asyncio.Queue()
    for i, m in enumerate(messages):      # serialized before the clock starts: the benchmark measures the gateway
        queue.put_nowait((i, str(m["Message-ID"]), str(m["From"]), m.as_bytes(policy=policy.SMTP)))
    t0 = time.perf_counter()

    async def client() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60, start_tls=False)
        await smtp.connect()
        try:
            while not queue.empty():
                i, key, sender, data = queue.get_nowait()
                if rate > 0:
                    wait = t0 + i / rate - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                started[key] = time.perf_counter()
                await smtp.sendmail(sender, [ALIAS], data)
                accepted[key] = time.perf_counter()
        finally:
            await smtp.quit()

    await asyncio.gather(*(client() for _ in range(connections)))


async def _warm_up(port: int, sink: _Sink, sender: str, timeout: float) -> None:
    """One question answered before the clock starts: the knowledge loaded, every process ready.

    Its reply is not counted. Without it the first turn (and a processor process still loading the
    knowledge) would be measured as the gateway's throughput.
    """
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ALIAS, "SOTP question"
    msg["Message-ID"] = key = make_msgid(idstring="warm-up", domain="bench.example")
    msg.set_content("Hello,\n\nWhen is the election deadline?\n")
    await _send_all(port, [msg], 1, 0.0, {}, {})
    deadline = time.perf_counter() + timeout
    while key not in sink.arrivals:
        if time.perf_counter() > deadline:
            raise CommandError(f"the warm-up question got no reply within {timeout:.0f} s")
        sink.changed.clear()
        try:
            await asyncio.wait_for(sink.changed.wait(), max(0.01, deadline - time.perf_counter()))
        except asyncio.TimeoutError:
            pass
    sink.total -= len(sink.arrivals.pop(key))


def _role(pid: str, gateway: int) -> str:
    """Which of the gateway's processes this is: itself, the chart process (the one at the lowest
    priority, bot.charts.pool), multiprocessing's resource tracker, or the inbound processor."""
    if pid == str(gateway):
        return "gateway"
    try:
        nice = int(stat_fields(pid)[16])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return "other"
    if b"resource_tracker" in cmdline:
        return "other"
    return "chart" if nice > 0 else "processor"


Spawn = Callable[[Path, Path, str, str, Path], "subprocess.Popen[bytes]"]


async def measure(args: argparse.Namespace, folder: Path, start: Spawn = spawn, config_extra: str = "") -> dict[str, Any]:
    """Send args.messages questions to a gateway that start() runs, and time each reply (see the module doc)."""
    from bot import demo, store
    from bot.channels.email.smtp_in import PlainAddressSMTP

    db_path = folder / "bench.db"
    db = store.open_db(db_path)
    demo.build(db, args.employees, 2003)
    senders = [r[0] for r in db.conn.execute("SELECT email FROM employees ORDER BY employee_id LIMIT 50")]
    db.close()
    config = folder / "bench.toml"
    # The service's own default ([email] processor_process) unless told to keep the processor in it.
    apart = "processor_process = false\n" if getattr(args, "processor_in_service", False) else ""
    config.write_text(f'[email]\nauto_reply_limit = {args.messages + 2}\n{apart}'
                      f'[serve]\nstate_dir = "{folder}"\nlog_level = "WARNING"\n' + config_extra)
    sink = _Sink()
    loop = asyncio.get_running_loop()
    # The relay reads addresses as the gateway's listener does (its fast path): this process shares the
    # machine's two cores with the gateway, so what it spends is taken from what is measured.
    relay = await loop.create_server(lambda: PlainAddressSMTP(sink, hostname="relay.bench"), "127.0.0.1", 0)
    relay_port = relay.sockets[0].getsockname()[1]
    port = free_port()
    log = folder / "gateway.log"
    proc = start(db_path, config, f"127.0.0.1:{port}", f"127.0.0.1:{relay_port}", log)
    try:
        await wait_listening(port, proc)
        await _warm_up(port, sink, senders[0], args.timeout)
        messages = _questions(args.messages, senders)
        started: dict[str, float] = {}
        accepted: dict[str, float] = {}
        before = tree_cpu(proc.pid)
        cpu_before = sum(before.values()) if before else None
        own_before = time.process_time()
        t0 = time.perf_counter()
        await _send_all(port, messages, args.connections, args.rate, started, accepted)
        sent_at = time.perf_counter()
        deadline = sent_at + args.timeout
        while len(sink.arrivals) < len(messages) and time.perf_counter() < deadline:
            sink.changed.clear()
            try:
                await asyncio.wait_for(sink.changed.wait(), max(0.01, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                break
        await asyncio.sleep(1.0)          # a late duplicate would arrive now
        after = tree_cpu(proc.pid)
        cpu = sum(after.values()) if after else None
        own = time.process_time() - own_before
        roles = {pid: _role(pid, proc.pid) for pid in after}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        relay.close()
    keys = [str(m["Message-ID"]) for m in messages]
    answered = [k for k in keys if k in sink.arrivals]
    latencies = sorted((sink.arrivals[k][0] - started[k]) * 1000 for k in answered)
    last = max((sink.arrivals[k][0] for k in answered), default=sent_at)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    return {
        "messages": len(messages), "replies": sink.total, "answered": len(answered),
        "lost": len(messages) - len(answered),
        "duplicated": sum(len(v) - 1 for v in sink.arrivals.values() if len(v) > 1),
        "unexpected": sum(len(v) for k, v in sink.arrivals.items() if k not in started),
        "reminders_and_confirmations": sink.unprompted,
        "connections": args.connections, "employees": args.employees, "offered_rate": args.rate or None,
        "accept_seconds": round(sent_at - t0, 3),
        "accepted_per_second": round(len(messages) / (sent_at - t0), 1),
        "seconds": round(last - t0, 3),
        "messages_per_second": round(len(answered) / (last - t0), 1) if answered else 0.0,
        "latency_ms": {"median": round(statistics.median(latencies), 1) if latencies else None,
                       "p99": round(p99, 1) if p99 is not None else None,
                       "max": round(latencies[-1], 1) if latencies else None},
        "gateway_cpu_ms_per_message": (round((cpu - cpu_before) * 1000 / len(messages), 2)
                                       if cpu is not None and cpu_before is not None else None),
        "cpu_ms_per_message_by_process": {
            role: round(sum(after[p] - before.get(p, 0.0) for p in after if roles[p] == role) * 1000 / len(messages), 2)
            for role in sorted(set(roles.values()))},
        "bench_cpu_ms_per_message": round(own * 1000 / len(messages), 2),
        "load_average": load_average(),
        "gateway_exit": proc.returncode,
    }


def run(args: argparse.Namespace) -> int:
    if args.messages < 1 or args.connections < 1 or args.employees < 1 or args.rate < 0:
        raise CommandError("--messages, --connections and --employees must be at least 1, --rate not negative")
    with tempfile.TemporaryDirectory(prefix="sotp-bench-email-") as tmp:
        result = asyncio.run(measure(args, Path(tmp)))
    if args.json:
        emit_json(result)
    else:
        lat = result["latency_ms"]
        offered = f", offered at {args.rate:g}/s" if args.rate else ", sent as fast as accepted"
        print(f"email gateway, {result['messages']} questions over {result['connections']} SMTP connections"
              f"{offered} (scratch population of {result['employees']:,})")
        print(f"  throughput: {result['messages_per_second']} messages/s inbound to reply "
              f"({result['answered']} answered in {result['seconds']} s); accepted {result['accepted_per_second']}/s")
        print(f"  latency: median {lat['median']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
        print(f"  lost {result['lost']}, duplicated {result['duplicated']}, unexpected {result['unexpected']}")
        if result["gateway_cpu_ms_per_message"] is not None:
            print(f"  gateway CPU: {result['gateway_cpu_ms_per_message']} ms per message (with its chart process); "
                  f"load average {result['load_average']}")
            apart = ", ".join(f"{role} {ms}" for role, ms in result["cpu_ms_per_message_by_process"].items())
            print(f"  CPU ms per message by process: {apart}; this benchmark's own {result['bench_cpu_ms_per_message']}")
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
