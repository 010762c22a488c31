"""The sandbox's clock: the system clock plus an offset that the page can move forward.

It satisfies `bot.schedule.Clock`, so the real PushScheduler sleeps on it; moving the clock wakes
the sleeper at once (the system clock naps up to 30 s and would notice only then).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt


class SandboxClock:
    def __init__(self, offset: dt.timedelta = dt.timedelta()) -> None:
        self.offset = offset
        self._moved = asyncio.Event()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def move_to(self, when: dt.datetime) -> None:
        """Jump forward to `when` (never back: the schedule must not fire twice)."""
        self.offset = max(self.offset, when.astimezone(dt.UTC) - dt.datetime.now(dt.UTC))
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def sleep_until(self, when: dt.datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), min(delay, 30.0))
