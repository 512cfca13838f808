"""CPU time of a process tree and the machine's load, for benchmarks on a shared machine.

Wall-clock figures depend on whatever else runs; the CPU a message or an event costs
does not, so the benchmarks report it beside them (Linux /proc; empty elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path


def stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (field 3, the state, first); raises OSError."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].split()


def tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of a process and each of its live descendants, by pid."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = stat_fields(current)
            out[str(current)] = (int(fields[11]) + int(fields[12])) / tick     # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return out


def load_average() -> str | None:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg writes them."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return None
