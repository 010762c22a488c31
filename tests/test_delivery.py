"""DeliveryService with a REAL PTB bot over REAL HTTP against the fake Bot API server.

Every test ends by checking each target holds every part exactly once, in order.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.config import ChatTarget
from bot.digest.loader import load_digest
from bot.ingest import sync_content
from bot.standin import FakeTelegram
from tests.delivery_helpers import (
    ADMIN,
    CHANNEL,
    DAY,
    FORUM,
    GROUP,
    TOPIC,
    fail_transiently,
    write_digest,
)


def assert_exactly_once(tg: FakeTelegram, chat, digest_parts: list[str], thread=None) -> None:
    got = [m.html for m in tg.sent_to(chat, thread) if m.message_thread_id == thread]
    assert got == digest_parts


async def test_every_target_gets_every_part_once_in_order(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP), "@digest_chan", f"{FORUM}:{TOPIC}"])
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert len(parts) == 5
    report = await svc.push(digest)
    assert report.ok and report.sent == 15
    for chat, thread in ((GROUP, None), (CHANNEL, None), (FORUM, TOPIC)):
        assert_exactly_once(tg, chat, parts, thread)
        sent = tg.sent_to(chat, thread)
        # only the first part makes a sound; link previews are off
        assert [m.disable_notification for m in sent] == [False, True, True, True, True]
        assert all(m.link_preview_options == {"is_disabled": True} for m in sent)
    assert tg.stats.sent_429 == 0
    # a second push (a restart, a manual /post) sends nothing again
    again = await svc.push(digest)
    assert again.ok and again.sent == 0 and len(tg.sent) == 15
    assert await svc.push_due(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)) is None


async def test_push_due_finds_todays_digest_and_resumes_after_a_partial_push(
    tg, delivery_env, store
):
    service, digest = delivery_env
    svc = await service([str(GROUP), str(CHANNEL)])
    await sync_content(store, svc.settings.content_dir)
    # the journal says GROUP already got parts 0-2 (e.g. a push interrupted by a crash)
    for part in range(3):
        await store.record_delivery(digest.id, GROUP, None, part, 1000 + part)
    report = await svc.push_due(dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC))
    assert report is not None and report.ok
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert [m.html for m in tg.sent_to(GROUP)] == parts[3:]
    assert_exactly_once(tg, CHANNEL, parts)
    assert await svc.push_due(dt.datetime(2026, 11, 25, 20, tzinfo=dt.UTC)) is None
    # no digest dated the next day: nothing due
    assert await svc.push_due(dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC)) is None


async def test_429_5xx_and_network_errors_are_waited_out_and_nothing_is_lost(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP), str(CHANNEL), f"{FORUM}:{TOPIC}"], read_timeout=0.3)
    fail_transiently(tg)  # the forum's timeout drops the request before delivery: resent once
    report = await svc.push(digest)
    assert report.ok, report.summary()
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert_exactly_once(tg, GROUP, parts)
    assert_exactly_once(tg, CHANNEL, parts)
    assert_exactly_once(tg, FORUM, parts, TOPIC)
    assert tg.stats.sent_429 == 2 and svc.bot.rate_limiter.stats.retry_after == 2


async def test_a_timeout_after_delivery_repeats_at_most_that_one_message(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP)], read_timeout=0.3)
    tg.fail_next(GROUP, "timeout", hold=1.0, delivered=True)
    report = await svc.push(digest)
    assert report.ok
    parts = [m.html for m in svc.catalog.messages(digest)]
    got = [m.html for m in tg.sent_to(GROUP)]
    assert got == [parts[0], *parts]  # part 0 twice (the one in flight), nothing else


async def test_migration_kick_closed_topic_and_parse_errors(tg, delivery_env, store):
    service, digest = delivery_env
    tg.add_group(-55, "Old group")
    tg.add_supergroup(-1004, "Doomed")
    tg.add_supergroup(-1005, "Closed forum", topics={7: "Shut"})
    svc = await service(["-55", "-1004", "-1005:7", str(GROUP)])
    tg.migrate_group(-55, -1009)
    tg.kick_bot(-1004)
    tg.close_topic(-1005, 7)
    tg.fail_next(GROUP, "parse")
    report = await svc.push(digest)
    parts = [m.html for m in svc.catalog.messages(digest)]
    by_chat = {r.chat_id: r for r in report.results}
    # migration: carried on under the new id, which the store now holds
    assert by_chat[-55].complete and by_chat[-55].migrated_to == -1009
    assert_exactly_once(tg, -1009, parts)
    assert {t.chat_id for t in await store.active_targets()} >= {-1009}
    assert len(await store.delivered_parts(digest.id, -1009, None)) == len(parts)
    # kicked: deactivated, admins told
    assert by_chat[-1004].deactivated and not by_chat[-1004].complete
    assert -1004 not in {t.chat_id for t in await store.active_targets()}
    # closed topic: kept, admins told
    assert not by_chat[-1005].complete and not by_chat[-1005].deactivated
    admin_texts = [m.parsed_text for m in tg.sent_to(ADMIN)]
    assert any("-1004" in t and "deactivated" in t for t in admin_texts)
    assert any("-1005:7" in t and "closed" in t for t in admin_texts)
    # can't parse entities: that part went again as plain text, not dropped
    group = tg.sent_to(GROUP)
    assert len(group) == len(parts)
    assert group[0].parse_mode is None and "Digest of 2026-11-25" in group[0].text
    assert [m.html for m in group[1:]] == parts[1:]
    assert not report.ok and {r.chat_id for r in report.failed} == {-1004, -1005}
    # reopening the topic and pushing again resumes there, sends nothing elsewhere
    tg.reopen_topic(-1005, 7)
    before = len(tg.sent)
    again = await svc.push(digest)
    assert {r.chat_id for r in again.failed} == set()
    assert len(tg.sent) - before == len(parts)
    assert_exactly_once(tg, -1005, parts, 7)


async def test_a_failing_chat_does_not_hold_back_the_others(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP), str(CHANNEL)], read_timeout=0.3)
    tg.fail_next(GROUP, "timeout", times=3, hold=1.0)
    finished: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    report = await svc.push(
        digest,
        progress=lambda e: (
            finished.setdefault(e.chat_id, loop.time()) if e.kind == "done" else None
        ),
    )
    assert report.ok
    assert finished[CHANNEL] < finished[GROUP]
    # the channel's parts were all out before the group's first part got through
    channel_last = tg.sent_to(CHANNEL)[-1].time
    assert channel_last < tg.sent_to(GROUP)[0].time


async def test_pin_first_message_in_groups(tg, delivery_env):
    service, digest = delivery_env
    tg.add_supergroup(-1006, "Pinnable", bot_status="administrator")
    svc = await service([str(GROUP), "-1006"], pin_first_message=True)
    report = await svc.push(digest)
    assert tg.chat(-1006).pinned == [tg.sent_to(-1006)[0].message_id]
    # no right to pin in GROUP: the digest is still delivered in full
    assert report.ok and tg.chat(GROUP).pinned == []


async def test_link_previews_setting(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP)], link_previews=True)
    await svc.push(digest)
    assert all(m.link_preview_options in (None, {"is_disabled": False}) for m in tg.sent_to(GROUP))


async def test_a_scheduled_and_a_manual_push_at_once_send_each_part_once(tg, delivery_env):
    service, digest = delivery_env
    svc = await service([str(GROUP), str(CHANNEL)])
    first, second = await asyncio.gather(svc.push(digest), svc.push(digest))
    assert first.ok and second.ok and first.sent + second.sent == 10
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert_exactly_once(tg, GROUP, parts)
    assert_exactly_once(tg, CHANNEL, parts)


async def test_scheduler_catches_up_after_downtime_and_a_restart_never_pushes_again(
    tg, delivery_env, store
):
    from bot.schedule import PushScheduler
    from tests.delivery_helpers import FakeClock

    service, digest = delivery_env
    svc = await service([str(GROUP), f"{FORUM}:{TOPIC}"])
    parts = [m.html for m in svc.catalog.messages(digest)]
    # down at 08:00 (UTC), back at 09:30: within the 180-minute grace period
    for restart in range(2):
        clock = FakeClock(dt.datetime(2026, 11, 25, 9, 30 + restart, tzinfo=dt.UTC))
        scheduler = PushScheduler(settings=svc.settings, store=store, delivery=svc, clock=clock)
        await scheduler.start()
        await clock.wait_parked(timeout=30)
        await scheduler.stop()
        assert_exactly_once(tg, GROUP, parts)
        assert_exactly_once(tg, FORUM, parts, TOPIC)
    assert len(tg.sent) == 2 * len(parts)


async def test_config_chat_that_migrated_keeps_receiving_after_a_restart(
    tg, delivery_env, store, tmp_path
):
    # DIGEST_CHATS still names the old group id. After the migration the store holds the
    # target under the new id; a restart re-syncs the config (old id back, new id "no longer
    # configured"): the next push must follow the old id to the new one and keep it active.
    service, digest = delivery_env
    tg.add_group(-56, "Old group")
    svc = await service(["-56"])
    tg.migrate_group(-56, -1010)
    assert (await svc.push(digest)).ok
    restarted = await service(["-56"])
    await restarted.sync_config_targets()
    day2 = load_digest(
        write_digest(tmp_path / "content", DAY + dt.timedelta(days=1), sections=1),
        tmp_path / "content",
    )
    assert (await restarted.push(day2)).ok
    # the day after: the target is still there (no second restart to re-add the old id)
    assert [(t.chat_id, t.thread_id) for t in await restarted.active_targets()] == [(-1010, None)]


async def test_a_channel_subscribed_by_id_and_configured_by_name_gets_each_part_once(
    tg, delivery_env, store
):
    # a channel admin ran /subscribe (stored by numeric id), and DIGEST_CHATS names it @name
    service, digest = delivery_env
    await store.upsert_target(CHANNEL, None, "subscribe", title="Channel")
    svc = await service(["@Digest_Chan", str(GROUP)])  # usernames are case-insensitive
    report = await svc.push(digest)
    assert report.ok and report.sent == 10
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert_exactly_once(tg, CHANNEL, parts)
    assert_exactly_once(tg, GROUP, parts)
    # ONE target per chat; 'config' is sticky, so /unsubscribe cannot remove it
    assert [(t.chat_id, t.source) for t in await store.all_targets()] == [
        (CHANNEL, "config"),
        (GROUP, "config"),
    ]
    # an explicit target list naming the chat both ways is one target as well
    again = await svc.push(digest, [ChatTarget("@digest_chan"), ChatTarget(CHANNEL)])
    assert [r.chat_id for r in again.results] == [CHANNEL] and again.sent == 0


async def test_a_chat_pushed_under_its_name_is_not_pushed_again_once_resolved(
    tg, delivery_env, store, tmp_path
):
    service, digest = delivery_env
    # first run: getChat fails, so the target and its journal stay under the @name
    tg.fail_next(None, "500", method="getChat")
    first = await service(["@digest_chan"])
    assert (await first.push(digest)).ok
    assert await store.delivered_parts(digest.id, "@digest_chan", None)
    # restart, getChat answers: the name becomes the id and its journal comes along
    restarted = await service(["@digest_chan"])
    await store.upsert_target(CHANNEL, None, "subscribe")  # and an admin /subscribed it
    again = await restarted.push(digest)
    assert again.ok and again.sent == 0
    parts = [m.html for m in restarted.catalog.messages(digest)]
    assert_exactly_once(tg, CHANNEL, parts)
    assert [(t.chat_id, t.active) for t in await store.all_targets()] == [(CHANNEL, True)]
    assert len(await store.delivered_parts(digest.id, CHANNEL, None)) == len(parts)
    assert await store.delivered_parts(digest.id, "@digest_chan", None) == {}
    # nor is it later, nor on the next day is it sent twice
    assert await restarted.push_due(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)) is None
    day2 = load_digest(
        write_digest(tmp_path / "content", DAY + dt.timedelta(days=1), sections=1),
        tmp_path / "content",
    )
    assert (await restarted.push(day2)).ok
    assert_exactly_once(tg, CHANNEL, parts + [m.html for m in restarted.catalog.messages(day2)])


async def test_a_name_getchat_cannot_resolve_still_receives_the_push(
    tg, delivery_env, store, caplog
):
    service, digest = delivery_env
    tg.fail_next(None, "500", method="getChat")
    svc = await service(["@digest_chan", str(GROUP)])
    report = await svc.push(digest)
    assert report.ok and report.sent == 10
    assert [e.method for e in tg.errors] == ["getChat"]
    parts = [m.html for m in svc.catalog.messages(digest)]
    assert_exactly_once(tg, CHANNEL, parts)
    assert {t.chat_id for t in await store.active_targets()} == {"@digest_chan", GROUP}
    assert any("could not resolve @digest_chan" in r.getMessage() for r in caplog.records)
    # the next push retries getChat, which now answers: merged, nothing sent again
    again = await svc.push(digest)
    assert again.ok and again.sent == 0
    assert {t.chat_id for t in await store.active_targets()} == {CHANNEL, GROUP}
    assert_exactly_once(tg, CHANNEL, parts)


async def test_a_restart_whose_getchat_fails_uses_the_remembered_id(
    tg, delivery_env, store, tmp_path
):
    service, digest = delivery_env
    first = await service(["@digest_chan"])  # getChat answers: stored and pushed under the id
    assert (await first.push(digest)).ok
    parts = [m.html for m in first.catalog.messages(digest)]
    # the next start cannot reach getChat at all: the name must not become a second target
    tg.fail_next(None, "500", method="getChat", times=50)
    restarted = await service(["@digest_chan"])
    again = await restarted.push(digest)
    assert again.ok and again.sent == 0
    assert_exactly_once(tg, CHANNEL, parts)
    assert [(t.chat_id, t.active) for t in await store.all_targets()] == [(CHANNEL, True)]
