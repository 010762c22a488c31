"""The daily push: APScheduler's CronTrigger in TIMEZONE, catch-up after downtime, waiting for
a late digest file.

APScheduler computes the fire times (`CronTrigger.from_crontab(..., timezone=...)` is correct
across daylight-saving changes); one asyncio task sleeps until each of them on an injectable
clock, so tests move time forward without sleeping. Whether a push is still needed is decided by
the journal, never by in-memory state: a restart after a push never pushes again, a restart
before or during one finishes it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Protocol

from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings
from bot.delivery.push import DeliveryService, PushReport
from bot.ingest import sync_content
from bot.tasks import cancel_and_wait

_LOG = logging.getLogger("digestbot.schedule")
# Step past a fire time. Arithmetic is done in UTC: adding to an aware local time is wall-clock
# arithmetic in Python and would land back on the repeated autumn hour.
_TICK = dt.timedelta(seconds=1)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...  # timezone-aware

    async def sleep_until(self, when: dt.datetime) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep_until(self, when: dt.datetime) -> None:
        # Short naps instead of one long sleep: a suspended machine or a clock change is noticed.
        while (delay := (when - self.now()).total_seconds()) > 0:  # noqa: ASYNC110 (wall clock)
            await asyncio.sleep(min(delay, 30.0))


class PushScheduler:
    def __init__(
        self,
        *,
        settings: Settings,
        store,
        delivery: DeliveryService,
        clock: Clock | None = None,
        recheck: dt.timedelta = dt.timedelta(minutes=1),
    ) -> None:
        self.settings = settings
        self.store = store
        self.delivery = delivery
        self.clock: Clock = clock or SystemClock()
        self.recheck = recheck
        self.trigger = CronTrigger.from_crontab(settings.push_schedule, timezone=settings.timezone)
        self.grace = dt.timedelta(minutes=settings.push_grace_minutes)
        self.wait = dt.timedelta(minutes=settings.wait_for_digest_minutes)
        self._next: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None

    # -- public ------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._next = self.next_fire_after(self.clock.now())
            self._task = asyncio.create_task(self._run(), name="digestbot-push-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    def next_run_time(self) -> dt.datetime | None:
        """The next scheduled push, in TIMEZONE."""
        return self._next.astimezone(self.settings.timezone) if self._next else None

    # -- fire times ----------------------------------------------------------------------------
    def next_fire_after(self, moment: dt.datetime) -> dt.datetime | None:
        """First fire time >= moment.

        APScheduler 3 fires twice when the local time happens twice (the autumn hour, e.g. 02:30
        in Europe/Berlin); the second one (fold=1) is skipped: one push per scheduled time.
        """
        fire = self.trigger.get_next_fire_time(None, moment.astimezone(dt.UTC))
        while fire is not None:
            local = fire.astimezone(self.settings.timezone)
            if not (local.fold and local.replace(fold=0).utcoffset() != local.utcoffset()):
                return fire
            fire = self.trigger.get_next_fire_time(None, fire.astimezone(dt.UTC) + _TICK)
        return None

    def missed_fire(self, now: dt.datetime) -> dt.datetime | None:
        """The latest fire time <= now, if it is within the grace period."""
        last = None
        fire = self.next_fire_after(now.astimezone(dt.UTC) - self.grace)
        while fire is not None and fire <= now:
            last = fire
            fire = self.next_fire_after(fire.astimezone(dt.UTC) + _TICK)
        return last

    # -- the loop -----------------------------------------------------------------------------
    async def _run(self) -> None:
        now = self.clock.now()
        missed = self.missed_fire(now)
        if missed is not None:
            _LOG.info("catching up on the push scheduled at %s", missed.isoformat())
            await self._fire_safely(missed)
        cursor = now.astimezone(dt.UTC) + _TICK
        while True:
            fire = self.next_fire_after(cursor)
            self._next = fire
            if fire is None:
                return
            await self.clock.sleep_until(fire)
            await self._fire_safely(fire)
            cursor = fire.astimezone(dt.UTC) + _TICK

    async def _fire_safely(self, fire: dt.datetime) -> None:
        try:
            await self.fire(fire)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad day must not stop the schedule
            _LOG.exception("scheduled push at %s failed", fire.isoformat())

    async def fire(self, fire: dt.datetime) -> PushReport | None:
        """One scheduled push: today's digest to whoever lacks it; if today's file is not there
        yet, rescan the content folder every `recheck` until `wait_for_digest_minutes` passed."""
        today = fire.astimezone(self.settings.timezone).date()
        deadline = fire.astimezone(dt.UTC) + self.wait
        while True:
            try:
                await sync_content(self.store, self.settings.content_dir)
            except Exception:  # a broken content folder: still push what the index holds
                _LOG.exception("content rescan failed")
            if await self.store.on_date(today):
                report = await self.delivery.push_due(fire)
                if report is not None:
                    return report
                # Every edition dated today is already delivered (e.g. the morning one, at an
                # evening fire time): the edition this fire is for is late, keep looking.
            now = self.clock.now()
            if now >= deadline:
                _LOG.warning("no new digest dated %s appeared by %s", today, deadline.isoformat())
                return None
            await self.clock.sleep_until(min(now.astimezone(dt.UTC) + self.recheck, deadline))
