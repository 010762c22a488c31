"""PushScheduler on a controllable clock: cron in TIMEZONE across DST, catch-up, waiting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.schedule import PushScheduler
from tests.delivery_helpers import FakeClock, write_digest

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


class RecordingDelivery:
    """Stands in for DeliveryService (our own class, not PTB): records when a push was asked."""

    def __init__(self) -> None:
        self.calls: list[dt.datetime] = []

    async def push_due(self, now: dt.datetime) -> object:
        self.calls.append(now)
        return object()  # DeliveryService returns a report when it pushed something


class JournalDelivery(RecordingDelivery):
    """Like DeliveryService.push_due: pushes today's newest digest unless already delivered."""

    def __init__(self, store, tz) -> None:
        super().__init__()
        self.store, self.tz, self.pushed = store, tz, []

    async def push_due(self, now: dt.datetime) -> object | None:
        records = await self.store.on_date(now.astimezone(self.tz).date())
        newest = max(records, key=lambda r: r.path)
        if newest.id in self.pushed:
            return None
        self.calls.append(now)
        self.pushed.append(newest.id)
        return object()


def make_settings(tmp_path: Path, **kw) -> Settings:
    base = dict(
        token=None,
        content_dir=tmp_path / "content",
        database_path=tmp_path / "db.sqlite",
        push_schedule="0 8 * * *",
        timezone=BERLIN,
        push_grace_minutes=180,
        wait_for_digest_minutes=60,
    )
    base.update(kw)
    (tmp_path / "content").mkdir(exist_ok=True)
    return Settings(**base)


async def started(settings, store, start: dt.datetime):
    clock = FakeClock(start)
    delivery = RecordingDelivery()
    scheduler = PushScheduler(settings=settings, store=store, delivery=delivery, clock=clock)
    await scheduler.start()
    await clock.wait_parked()
    return clock, delivery, scheduler


def test_fire_times_follow_local_time_across_dst():
    settings = Settings(token=None, push_schedule="0 8 * * *", timezone=NEW_YORK)
    scheduler = PushScheduler(settings=settings, store=None, delivery=None)
    start = dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC)
    fires = []
    moment = start
    for _ in range(4):
        fire = scheduler.next_fire_after(moment)
        fires.append(fire)
        moment = fire + dt.timedelta(seconds=1)
    assert [f.astimezone(NEW_YORK).hour for f in fires] == [8, 8, 8, 8]
    # EST (UTC-5) before 8 March 2026, EDT (UTC-4) from then on
    assert [f.astimezone(dt.UTC).hour for f in fires] == [13, 13, 12, 12]


def test_a_time_that_happens_twice_in_autumn_fires_once():
    settings = Settings(token=None, push_schedule="30 2 * * *", timezone=BERLIN)
    scheduler = PushScheduler(settings=settings, store=None, delivery=None)
    moment = dt.datetime(2026, 10, 24, 12, tzinfo=dt.UTC)
    fires = []
    for _ in range(3):
        fire = scheduler.next_fire_after(moment)
        fires.append(fire.astimezone(BERLIN).date())
        moment = fire + dt.timedelta(seconds=1)
    assert fires == [dt.date(2026, 10, 25), dt.date(2026, 10, 26), dt.date(2026, 10, 27)]


async def test_pushes_at_the_scheduled_time_and_again_next_day_across_dst(tmp_path, store):
    settings = make_settings(tmp_path)
    write_digest(settings.content_dir, dt.date(2026, 3, 28))
    write_digest(settings.content_dir, dt.date(2026, 3, 29))
    clock, delivery, scheduler = await started(
        settings, store, dt.datetime(2026, 3, 28, 6, 0, tzinfo=dt.UTC)
    )  # 07:00 in Berlin
    assert delivery.calls == []
    assert scheduler.next_run_time() == dt.datetime(2026, 3, 28, 8, 0, tzinfo=BERLIN)
    await clock.advance_to(dt.datetime(2026, 3, 28, 6, 59, tzinfo=dt.UTC))
    assert delivery.calls == []
    await clock.advance_to(dt.datetime(2026, 3, 28, 7, 0, tzinfo=dt.UTC))  # 08:00 CET
    assert [c.astimezone(dt.UTC) for c in delivery.calls] == [
        dt.datetime(2026, 3, 28, 7, 0, tzinfo=dt.UTC)
    ]
    # the clocks go forward that night: 08:00 CEST is 06:00 UTC
    nxt = scheduler.next_run_time()
    assert nxt.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    await clock.advance_to(dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC))
    assert len(delivery.calls) == 2
    assert delivery.calls[1].astimezone(BERLIN).date() == dt.date(2026, 3, 29)
    await scheduler.stop()


async def test_waits_for_a_late_digest_and_pushes_as_soon_as_it_appears(tmp_path, store):
    settings = make_settings(tmp_path)
    clock, delivery, scheduler = await started(
        settings, store, dt.datetime(2026, 11, 25, 7, 30, tzinfo=BERLIN)
    )
    await clock.advance_to(dt.datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN))
    assert delivery.calls == []  # nothing dated today yet: keeps looking
    await clock.advance_to(dt.datetime(2026, 11, 25, 8, 10, tzinfo=BERLIN))
    assert delivery.calls == []
    write_digest(settings.content_dir, dt.date(2026, 11, 25))
    await clock.advance_to(dt.datetime(2026, 11, 25, 8, 11, tzinfo=BERLIN))
    assert len(delivery.calls) == 1
    await clock.advance_to(dt.datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN))
    assert len(delivery.calls) == 1  # stopped looking once pushed
    await scheduler.stop()


async def test_gives_up_waiting_after_the_configured_while(tmp_path, store):
    settings = make_settings(tmp_path, wait_for_digest_minutes=30)
    clock, delivery, scheduler = await started(
        settings, store, dt.datetime(2026, 11, 25, 7, 30, tzinfo=BERLIN)
    )
    await clock.advance_to(dt.datetime(2026, 11, 25, 8, 30, tzinfo=BERLIN))
    assert clock.sleeps[-1] == dt.datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)  # gave up
    write_digest(settings.content_dir, dt.date(2026, 11, 25))
    await clock.advance_to(dt.datetime(2026, 11, 25, 23, 0, tzinfo=BERLIN))
    assert delivery.calls == []
    await scheduler.stop()


async def back_after_downtime(tmp_path, store, now: dt.datetime):
    """A bot with a 120-minute grace period, started at `now` with 2026-11-25's digest on disk
    and its 08:00 push not made."""
    settings = make_settings(tmp_path, push_grace_minutes=120)
    write_digest(settings.content_dir, dt.date(2026, 11, 25))
    return await started(settings, store, now)


async def test_a_bot_back_within_the_grace_period_catches_up(tmp_path, store):
    _clock, delivery, scheduler = await back_after_downtime(
        tmp_path, store, dt.datetime(2026, 11, 25, 9, 45, tzinfo=BERLIN)
    )
    assert [c.astimezone(BERLIN) for c in delivery.calls] == [
        dt.datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN)
    ]
    assert scheduler.next_run_time() == dt.datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    await scheduler.stop()


async def test_a_bot_back_after_the_grace_period_waits_for_the_next_day(tmp_path, store):
    _clock, delivery, scheduler = await back_after_downtime(
        tmp_path, store, dt.datetime(2026, 11, 25, 10, 1, tzinfo=BERLIN)
    )
    assert delivery.calls == []
    await scheduler.stop()


async def test_an_evening_edition_that_is_late_is_still_waited_for(tmp_path, store):
    # Two pushes a day; the morning edition went out at 08:00. At 20:00 the evening file is not
    # there yet: the scheduler must keep looking for it, not stop because "a digest dated today"
    # (the morning one, already delivered) exists.
    settings = make_settings(tmp_path, push_schedule="0 8,20 * * *")
    day = dt.date(2026, 11, 25)
    write_digest(settings.content_dir, day, name="2026-11-25-a-morning.md")
    clock = FakeClock(dt.datetime(2026, 11, 25, 7, 30, tzinfo=BERLIN))
    delivery = JournalDelivery(store, BERLIN)
    scheduler = PushScheduler(settings=settings, store=store, delivery=delivery, clock=clock)
    await scheduler.start()
    await clock.wait_parked()
    await clock.advance_to(dt.datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN))
    assert len(delivery.calls) == 1
    await clock.advance_to(dt.datetime(2026, 11, 25, 20, 10, tzinfo=BERLIN))
    assert len(delivery.calls) == 1
    write_digest(settings.content_dir, day, name="2026-11-25-b-evening.md")
    await clock.advance_to(dt.datetime(2026, 11, 25, 20, 11, tzinfo=BERLIN))
    assert len(delivery.calls) == 2 and len(set(delivery.pushed)) == 2
    await scheduler.stop()
