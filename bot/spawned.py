"""What the service does when it lets go of a spawned child process (the Slack turns, the email processor)."""

from __future__ import annotations

import asyncio
from typing import Any, Callable


def let_go(loop: asyncio.AbstractEventLoop | None, conn: Any, process: Any) -> None:
    """Stop reading the child's pipe, close it, and end the child if it still runs."""
    if conn is not None:
        if loop is not None:
            try:
                loop.remove_reader(conn.fileno())
            except (OSError, ValueError):
                pass
        conn.close()
    if process is not None and process.is_alive():
        process.terminate()


async def ask_to_finish(send: Callable[[Any], None] | None, process: Any, timeout: float) -> None:
    """Send the child None (it finishes what it was sent, then stops) and wait for it to exit."""
    if send is not None:
        try:
            send(None)
        except OSError:
            pass
    if process is not None:
        await asyncio.to_thread(process.join, timeout)
