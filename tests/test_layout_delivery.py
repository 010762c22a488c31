"""Pushes in each layout, end to end: DeliveryService with a REAL PTB bot over REAL HTTP
against the fake Bot API server (strict sendRichMessage, 404 switch).

Every test checks what each chat holds: exactly the calls of the layout its push used, once,
in order, never a rich message and classic parts of one digest in one chat.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import ChatTarget, Settings
from bot.delivery.push import DeliveryService
from bot.delivery.ratelimit import FloodLimiter
from bot.delivery.sender import RetryPolicy
from bot.digest.calls import LAYOUTS
from bot.digest.loader import load_digest
from bot.standin import FakeTelegram
from bot.store import Store
from tests.delivery_helpers import write_digest

SPEED = 20.0
ADMIN = 900
DAY = dt.date(2026, 11, 25)
GROUP, CHANNEL, FORUM, TOPIC = -1001, -1002, -1003, 42


@pytest.fixture
async def tg():
    async with FakeTelegram(speed=SPEED, integer_retry_after=False) as server:
        server.add_private_chat(ADMIN, "Admin")
        server.add_supergroup(GROUP, "Group")
        server.add_channel(CHANNEL, "Channel", username="digest_chan")
        server.add_supergroup(FORUM, "Forum", is_forum=True, topics={TOPIC: "News"})
        yield server


@pytest.fixture
async def store(tmp_path: Path):
    store = await Store.open(tmp_path / "db.sqlite")
    yield store
    await store.close()


@pytest.fixture
async def env(tg, store, tmp_path):
    """(service factory, digest): a digest of four sections on disk."""
    bots: list[ExtBot] = []

    async def service(chats: list[str], *, read_timeout: float = 5.0, **kw) -> DeliveryService:
        request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout)
        bot = ExtBot(
            tg.token,
            base_url=tg.base_url,
            request=request,
            rate_limiter=FloodLimiter(scale=tg.speed),
        )
        await bot.initialize()
        bots.append(bot)
        settings = Settings(
            token=None,
            content_dir=tmp_path / "content",
            digest_chats=tuple(ChatTarget.parse(c) for c in chats),
            admin_ids=frozenset({ADMIN}),
            **kw,
        )
        return DeliveryService(
            settings=settings,
            store=store,
            bot=bot,
            retry=RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.5),
        )

    path = write_digest(tmp_path / "content", DAY, sections=4)
    yield service, load_digest(path, tmp_path / "content")
    for bot in bots:
        await bot.shutdown()


def calls_of(svc: DeliveryService, digest, layout: str) -> list[tuple[str, str]]:
    return [(c.method, c.html) for c in svc.catalog.calls(digest, layout=layout)]


def held(tg: FakeTelegram, chat, thread=None) -> list[tuple[str, str]]:
    return [(m.method, m.html) for m in tg.sent_to(chat, thread) if m.message_thread_id == thread]


async def journal_layouts(store: Store, digest_id: str, chat, thread=None) -> set[str]:
    rows = await store._all(
        "SELECT layout FROM deliveries WHERE digest_id = ? AND chat_id = ? AND thread_id = ?",
        (digest_id, chat, thread or 0),
    )
    return {r[0] for r in rows}


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_group_channel_and_topic_in_each_layout(tg, env, store, layout):
    service, digest = env
    svc = await service(
        [f"{GROUP}:{layout}", f"@digest_chan:{layout}", f"{FORUM}:{TOPIC}:{layout}"]
    )
    report = await svc.push(digest)
    assert report.ok, report.summary()
    expected = calls_of(svc, digest, layout)
    assert {m for m, _ in expected} <= (
        {"sendRichMessage"} if layout == "rich" else {"sendMessage", "sendPhoto"}
    )
    for chat, thread in ((GROUP, None), (CHANNEL, None), (FORUM, TOPIC)):
        assert held(tg, chat, thread) == expected
        # only the first message of a push notifies
        assert [m.disable_notification for m in tg.sent_to(chat, thread)] == [False] + [True] * (
            len(expected) - 1
        )
        assert await journal_layouts(store, digest.id, chat, thread) == {layout}
    assert {r.layout for r in report.results} == {layout}
    # a second push has nothing to do
    before = len(tg.sent)
    assert (await svc.push(digest)).sent == 0 and len(tg.sent) == before


async def test_each_target_its_own_layout_and_a_new_choice_from_the_next_digest(tg, env, store):
    service, digest = env
    svc = await service(
        [f"{GROUP}:rich", "@digest_chan:compact", f"{FORUM}:{TOPIC}"], digest_layout="compact"
    )
    await store.set_layout(FORUM, TOPIC, "sections")  # an admin's /layout beats the default
    report = await svc.push(digest)
    assert report.ok
    assert held(tg, GROUP) == calls_of(svc, digest, "rich")
    assert held(tg, CHANNEL) == calls_of(svc, digest, "compact")
    assert held(tg, FORUM, TOPIC) == calls_of(svc, digest, "sections")
    # the group's admin now picks sections: this digest stays rich there (nothing resent,
    # nothing in another form), the next digest comes in sections
    await store.set_layout(GROUP, None, "sections")
    before = len(tg.sent)
    assert (await svc.push(digest)).sent == 0 and len(tg.sent) == before
    path = write_digest(svc.settings.content_dir, DAY + dt.timedelta(days=1), sections=2)
    nxt = load_digest(path, svc.settings.content_dir)
    assert (await svc.push(nxt)).ok
    assert held(tg, GROUP)[-len(calls_of(svc, nxt, "sections")) :] == calls_of(svc, nxt, "sections")


async def test_a_refused_rich_message_goes_as_compact_and_admins_hear_once(tg, env, store):
    service, digest = env
    svc = await service([f"{GROUP}:rich", f"{CHANNEL}:rich", f"{FORUM}:{TOPIC}:rich"])
    tg.fail_next(GROUP, "rich")
    tg.fail_next(CHANNEL, "rich")
    report = await svc.push(digest)
    assert report.ok, report.summary()
    compact, rich = calls_of(svc, digest, "compact"), calls_of(svc, digest, "rich")
    for chat in (GROUP, CHANNEL):  # the refused ones: compact, and no rich message at all
        assert held(tg, chat) == compact
        assert await journal_layouts(store, digest.id, chat) == {"compact"}
    assert held(tg, FORUM, TOPIC) == rich  # the others still get rich
    by_chat = {r.chat_id: r.layout for r in report.results}
    assert by_chat == {GROUP: "compact", CHANNEL: "compact", FORUM: "rich"}
    job = await store.get_job(report.job_id)
    assert {(t.chat_id, t.layout) for t in job.targets} == {
        (GROUP, "compact"),
        (CHANNEL, "compact"),
        (FORUM, "rich"),
    }
    told = [m.parsed_text for m in tg.sent_to(ADMIN)]
    assert len(told) == 1 and "rich_message_invalid" in told[0].lower() and "compact" in told[0]
    # a later push of the same digest stays compact there (the journal says so)
    before = len(tg.sent)
    assert (await svc.push(digest)).sent == 0 and len(tg.sent) == before


async def test_a_server_without_rich_messages_gets_compact_for_the_rest_of_the_run(
    tg, env, store, caplog
):
    service, digest = env
    svc = await service([f"{GROUP}:rich", f"{CHANNEL}:rich", f"{FORUM}:{TOPIC}"])
    tg.set_rich_messages(False)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.layouts"):
        report = await svc.push(digest)
    assert report.ok, report.summary()
    compact = calls_of(svc, digest, "compact")
    assert held(tg, GROUP) == compact and held(tg, CHANNEL) == compact
    assert held(tg, FORUM, TOPIC) == calls_of(svc, digest, "sections")
    assert svc.layouts.rich_unsupported is not None
    assert sum("no sendRichMessage" in r.getMessage() for r in caplog.records) == 1
    assert tg.sent_to(ADMIN) == []  # a server's age is no refusal: the log and /status say it
    tries = sum(r.method == "sendRichMessage" for r in tg.requests)
    assert tries <= 2  # at most the two first sends, racing, before the latch
    path = write_digest(svc.settings.content_dir, DAY + dt.timedelta(days=1), sections=2)
    nxt = load_digest(path, svc.settings.content_dir)
    assert (await svc.push(nxt)).ok
    assert sum(r.method == "sendRichMessage" for r in tg.requests) == tries  # not tried again
    assert held(tg, GROUP)[len(compact) :] == calls_of(svc, nxt, "compact")


async def test_rich_pushes_keep_every_delivery_promise(tg, env, store):
    """429s, 5xx, a timeout and a migration on rich sends: waited out, each message once."""
    service, digest = env
    tg.add_group(-55, "Old group")
    svc = await service(
        [f"{GROUP}:rich", f"{CHANNEL}:rich", f"{FORUM}:{TOPIC}:rich", "-55:rich"], read_timeout=0.3
    )
    tg.migrate_group(-55, -1009)
    tg.fail_next(GROUP, "429", times=2, retry_after=0.2)
    tg.fail_next(CHANNEL, "500", times=2)
    tg.fail_next(CHANNEL, "502")
    tg.fail_next(FORUM, "timeout", hold=1.0)  # dropped before delivery: resent once
    report = await svc.push(digest)
    assert report.ok, report.summary()
    rich = calls_of(svc, digest, "rich")
    for chat, thread in ((GROUP, None), (CHANNEL, None), (FORUM, TOPIC), (-1009, None)):
        assert held(tg, chat, thread) == rich
    assert tg.stats.sent_429 == 2
    assert await journal_layouts(store, digest.id, -1009) == {"rich"}
    # the migrated group keeps its configured layout under its new id, after a restart too
    assert await store.chosen_layout(-1009, None) == "rich"


async def test_a_kicked_bot_and_a_closed_topic_in_rich(tg, env, store):
    service, digest = env
    tg.add_supergroup(-1004, "Doomed")
    tg.add_supergroup(-1005, "Closed forum", is_forum=True, topics={7: "Shut"})
    svc = await service(["-1004:rich", "-1005:7:rich", f"{GROUP}:rich"])
    tg.kick_bot(-1004)
    tg.close_topic(-1005, 7)
    report = await svc.push(digest)
    by_chat = {r.chat_id: r for r in report.results}
    assert by_chat[-1004].deactivated  # 403 is not a refused rich message: no compact retry
    assert not by_chat[-1005].complete and not by_chat[-1005].deactivated
    assert held(tg, GROUP) == calls_of(svc, digest, "rich")
    assert tg.sent_to(-1004) == [] and tg.sent_to(-1005, 7) == []
    texts = [m.parsed_text for m in tg.sent_to(ADMIN)]
    assert any("-1004" in t and "deactivated" in t for t in texts)
    assert not any("refused the rich message" in t for t in texts)
