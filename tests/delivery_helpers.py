"""Digest files and clocks for the delivery, schedule, admin and crash tests (our own writing)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path


def write_digest(
    root: Path,
    day: dt.date,
    *,
    title: str | None = None,
    sections: int = 3,
    items: int = 3,
    filler: int = 1,
    name: str | None = None,
) -> Path:
    """A digest file; `filler` lengthens every item so the splitter makes more messages."""
    title = title or f"Digest of {day.isoformat()}"
    lines = [
        "---",
        f"title: {title}",
        f"date: {day.isoformat()}",
        "tags: [test, delivery]",
        "summary: A digest written for the delivery tests.",
        "---",
        f"# {title}",
        "",
    ]
    for s in range(sections):
        lines += [f"## Section {s + 1}", ""]
        for i in range(items):
            lines += [
                f"### [Item {s + 1}.{i + 1} <&> news](https://example.com/{day}/{s}/{i})",
                "- " + " ".join(["Words about the item, with *emphasis* & care."] * filler),
                "",
            ]
    path = root / (name or f"{day.isoformat()}-test.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class FakeClock:
    """A wall clock for the scheduler that only moves when the test says so.

    `sleep_until` parks the caller; `advance_to` wakes sleepers in time order and waits until the
    scheduler is parked again (or `timeout` passes), so a test sees the effect of each fire time.
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[dt.datetime, asyncio.Future[None]]] = []
        self._parked = asyncio.Event()
        self.sleeps: list[dt.datetime] = []

    def now(self) -> dt.datetime:
        return self._now

    async def sleep_until(self, when: dt.datetime) -> None:
        self.sleeps.append(when)
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((when, future))
        self._parked.set()
        await future

    async def wait_parked(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await asyncio.wait_for(self._parked.wait(), timeout)

    async def advance_to(self, when: dt.datetime, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        while True:
            due = sorted((s for s in self._sleepers if s[0] <= when), key=lambda s: s[0])
            if not due:
                break
            moment, future = due[0]
            self._sleepers.remove(due[0])
            self._now = max(self._now, moment)
            self._parked.clear()
            future.set_result(None)
            await self.wait_parked(timeout)
        self._now = max(self._now, when)

    async def advance(self, delta: dt.timedelta) -> None:
        await self.advance_to(self._now + delta)
