"""Charts drawn in a process of their own while the service runs.

Drawing one PNG costs some 20 ms of CPU (it was 0.13-0.3 s with matplotlib laying out text). In the
service that time would be spent holding the interpreter lock that every answer, SMTP session and
Slack event also needs: measured, `sotp bench email` fell from ~86 to ~33 messages a second with
charts drawn in process. One spawned worker process draws them instead (the curve, a small pure
dataclass, goes over; the PNG bytes come back). If that process cannot run, the chart is drawn here.
The service hands over only the employee (draw_for): the chart process reads their points from the
database itself, through a read-only connection of its own, so that working out the curve (the
grid, the calendar, every breakpoint) costs the service's interpreter nothing either.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pathlib import Path
from typing import Any

from bot.calc.curve import PaymentCurve
from bot.spawned import settle_heap

log = logging.getLogger(__name__)

# The chart process runs at the lowest CPU priority: on a busy machine a chart (a background row, sent
# after the text answers) takes the CPU the answers leave, instead of a core of its own beside them.
NICENESS = 19
# Seconds a caller waits for a chart from the chart process.
CHART_TIMEOUT = 60.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> Executor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the service has threads (and SQLite connections) a fork would copy.
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_leave_with, initargs=(os.getpid(),))
        return _pool


PARENT_POLL_SECONDS = 1.0    # how often the chart process looks whether the service is still there


def _leave_with(parent: int) -> None:
    """In the chart process: exit once the process that started it is gone.

    A service killed with SIGKILL never shuts its pool down, and the worker's call queue never
    reads end-of-file (the worker holds that pipe's write end too), so without this the chart
    process stayed behind for good, some 75 MB each (found after the suite's kill -9 tests).
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="chart-parent-watch", daemon=True).start()


_niced = False          # in the chart process: whether it runs at NICENESS yet


def _lower_priority() -> None:
    """Drop to NICENESS, once: after the start-up warm-up, or before the first chart if none ran.

    The warm-up runs at normal priority while the service starts (no answers are waiting yet):
    at niceness 19 on a busy machine it crept on past start-up, into the first answers' time.
    """
    global _niced
    if _niced:
        return
    _niced = True
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):   # no nice() on this platform: the chart runs at normal priority
        pass


def _render(curve: PaymentCurve) -> bytes:
    """png.render in the chart process, at its low priority."""
    from bot.charts.png import render

    _lower_priority()
    return render(curve)


def draw(curve: PaymentCurve, *, timeout: float = CHART_TIMEOUT) -> bytes:
    """The chart's PNG bytes, drawn in the chart process (blocks: call it from a worker thread)."""
    from bot.charts.png import render

    global _pool
    try:
        return _executor().submit(_render, curve).result(timeout=timeout)
    except (BrokenProcessPool, OSError) as exc:
        log.warning("chart process unavailable (%s): drawing the chart in this process", exc)
        with _lock:
            _pool = None
        return render(curve)


_readers: dict[str, Any] = {}       # in the chart process: database path -> its read-only connection


def _reader(db_path: str) -> Any:
    from bot.db import connect_read_only

    db = _readers.get(db_path)
    if db is None:
        db = _readers[db_path] = connect_read_only(db_path)
    return db


def _draw_with(db: Any, settings: Any, employee_id: str) -> bytes | None:
    """The employee's points read through db, then drawn (None where the grid cannot draw them)."""
    from bot.charts.png import _curve_or_none, render

    curve = _curve_or_none(db, settings, employee_id)
    return None if curve is None else render(curve)


def _draw_employee(db_path: str, settings: Any, employee_id: str) -> bytes | None:
    """In the chart process, through its own read-only connection."""
    _lower_priority()
    return _draw_with(_reader(db_path), settings, employee_id)


def draw_for(db_path: Path, settings: Any, employee_id: str, *, timeout: float = CHART_TIMEOUT) -> bytes | None:
    """The employee's chart (None where the grid cannot draw one), read and drawn in the chart process.

    Blocks: call it from a worker thread. If the chart process cannot run, both are done here.
    """
    global _pool
    try:
        return submit_for(db_path, settings, employee_id).result(timeout=timeout)
    except (BrokenProcessPool, OSError) as exc:
        log.warning("chart process unavailable (%s): drawing the chart in this process", exc)
        with _lock:
            _pool = None
    from bot.db import connect_read_only

    db = connect_read_only(db_path)        # this thread's own: a connection is never shared between threads
    try:
        return _draw_with(db, settings, employee_id)
    finally:
        db.close()


async def draw_awaited(db_path: str | Path, settings: Any, employee_id: str, *,
                       timeout: float = CHART_TIMEOUT) -> bytes | None:
    """draw_for for asyncio callers: the chart process's future awaited without holding a thread (a
    chart waiting in one, a second or more on a busy machine, held one of the default pool's few
    threads, which every store, claim and lookup of the service also needs). Drawn in a thread here
    if the chart process cannot run."""
    import asyncio

    try:
        return await asyncio.wait_for(asyncio.wrap_future(submit_for(db_path, settings, employee_id)), timeout)
    except (BrokenProcessPool, OSError):
        return await asyncio.to_thread(draw_for, Path(db_path), settings, employee_id)


def submit_for(db_path: str | Path, settings: Any, employee_id: str) -> Future[bytes | None]:
    """draw_for's work as the chart process's future, for asyncio.wrap_future: no thread of
    the caller waits for the chart (a service's default pool has a handful, every other task needs them)."""
    return _executor().submit(_draw_employee, str(db_path), settings, employee_id)


def _warm(db_path: str, settings: Any) -> None:
    """In the chart process: what every chart needs, made once before the first is asked for.

    The imports (Pillow, matplotlib's tick locator, numpy, holidays, bot.calc), the fonts and the
    fixed label, and the calculation context (the program calendar and the Pricing Grid, cached per
    data version by bot.figures): measured, some 0.45 s of CPU that fell on the first employee's
    chart, and inside `sotp bench slack`'s measured window.
    """
    from bot import figures
    from bot.charts import png

    try:
        png.warm()
        figures.context(_reader(db_path), settings)
        settle_heap()
    finally:
        _lower_priority()


def start(db_path: str | Path, settings: Any) -> Future[None] | None:
    """Start the chart process and warm it (the service's start; returns at once).

    If the process cannot start, nothing is lost: the first chart tries again, and draws in this
    process if it still cannot. A warm-up that fails is logged, never raised.
    """
    try:
        future = _executor().submit(_warm, str(db_path), settings)
    except (BrokenProcessPool, OSError, RuntimeError) as exc:
        log.warning("chart process not started (%s): the first chart will try again", exc)
        return None

    def done(f: Future[None]) -> None:
        exc = None if f.cancelled() else f.exception()
        if exc is not None:
            log.warning("chart process warm-up failed (%s): charts are drawn all the same", exc)

    future.add_done_callback(done)
    return future


def shutdown() -> None:
    """Stop the chart process (the service's stop; harmless if it never started)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
