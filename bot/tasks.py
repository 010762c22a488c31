"""Background asyncio tasks: the one way this house stops one."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(task: asyncio.Task | None) -> None:
    """Cancel the task and wait until it has stopped (its `finally` blocks have run), so a
    stop that returns leaves nothing running. None or a finished task: nothing to do."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
