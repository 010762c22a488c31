"""Digest files, clocks and the delivery world (chats, bot, settings) for the delivery,
schedule, corrections, admin and crash tests (our own writing).

The `tg`, `store` and `delivery_env` fixtures in tests/conftest.py are built from these.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import ChatTarget, Settings
from bot.delivery.ratelimit import FloodLimiter
from bot.standin import FakeTelegram

# the delivery world: an admin, a group, a public channel and a forum with one topic
SPEED = 20.0
ADMIN = 900
DAY = dt.date(2026, 11, 25)
GROUP, CHANNEL, FORUM, TOPIC = -1001, -1002, -1003, 42
TARGETS = [(GROUP, None), (CHANNEL, None), (FORUM, TOPIC)]  # (chat, thread) pushed to


@asynccontextmanager
async def delivery_telegram() -> AsyncIterator[FakeTelegram]:
    """The fake server SPEED times faster, with fractional retry_after (short waits), holding
    the delivery world's chats."""
    async with FakeTelegram(speed=SPEED, integer_retry_after=False) as server:
        server.add_private_chat(ADMIN, "Admin")
        server.add_supergroup(GROUP, "Group")
        server.add_channel(CHANNEL, "Channel", username="digest_chan")
        server.add_supergroup(FORUM, "Forum", topics={TOPIC: "News"})
        yield server


def fail_transiently(tg: FakeTelegram) -> None:
    """The transient faults a push must ride out: two 429s (retry_after 0.2 s) in GROUP, two
    500s and a 502 in CHANNEL, one timeout in FORUM that drops the request before delivery."""
    tg.fail_next(GROUP, "429", times=2, retry_after=0.2)
    tg.fail_next(CHANNEL, "500", times=2)
    tg.fail_next(CHANNEL, "502")
    tg.fail_next(FORUM, "timeout", hold=1.0)


def make_bot(tg: FakeTelegram, read_timeout: float = 5.0) -> ExtBot:
    """A real PTB bot talking to `tg`, its flood limiter scaled like the server."""
    request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout)
    return ExtBot(
        tg.token, base_url=tg.base_url, request=request, rate_limiter=FloodLimiter(scale=tg.speed)
    )


def make_settings(root: Path, chats: Iterable[str], **kw) -> Settings:
    """Settings pushing to `chats` (DIGEST_CHATS entries) from root/content, ADMIN the admin."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    return Settings(
        token=None,
        content_dir=root / "content",
        digest_chats=tuple(ChatTarget.parse(c) for c in chats),
        admin_ids=frozenset({ADMIN}),
        **kw,
    )


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
