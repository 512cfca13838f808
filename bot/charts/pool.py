"""Charts drawn in a process of their own while the service runs.

Drawing one PNG costs some 20 ms of CPU (it was 0.13-0.3 s with matplotlib laying out text). In the
service that time would be spent holding the interpreter lock that every answer, SMTP session and
Slack event also needs: measured, `sotp bench email` fell from ~86 to ~33 messages a second with
charts drawn in process. One spawned worker process draws them instead (the curve, a small pure
dataclass, goes over; the PNG bytes come back). If that process cannot run, the chart is drawn here.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.calc.curve import PaymentCurve

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> Executor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the service has threads (and SQLite connections) a fork would copy.
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def draw(curve: PaymentCurve, *, timeout: float = 60.0) -> bytes:
    """The chart's PNG bytes, drawn in the chart process (blocks: call it from a worker thread)."""
    from bot.charts.png import render

    global _pool
    try:
        return _executor().submit(render, curve).result(timeout=timeout)
    except (BrokenProcessPool, OSError) as exc:
        log.warning("chart process unavailable (%s): drawing the chart in this process", exc)
        with _lock:
            _pool = None
        return render(curve)


def shutdown() -> None:
    """Stop the chart process (the service's stop; harmless if it never started)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
