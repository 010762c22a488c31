"""Pushes in each layout, end to end: DeliveryService with a REAL PTB bot over REAL HTTP
against the fake Bot API server (strict sendRichMessage, 404 switch).

Every test checks what each chat holds: exactly the calls of the layout its push used, once,
in order, never a rich message and classic parts of one digest in one chat.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.delivery.push import DeliveryService
from bot.digest.calls import LAYOUTS
from bot.digest.loader import load_digest
from bot.standin import FakeTelegram
from bot.store import Store
from tests.delivery_helpers import (
    ADMIN,
    CHANNEL,
    DAY,
    FORUM,
    GROUP,
    TARGETS,
    TOPIC,
    fail_transiently,
    write_digest,
)


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
async def test_group_channel_and_topic_in_each_layout(tg, delivery_env, store, layout):
    service, digest = delivery_env
    svc = await service(
        [f"{GROUP}:{layout}", f"@digest_chan:{layout}", f"{FORUM}:{TOPIC}:{layout}"]
    )
    report = await svc.push(digest)
    assert report.ok, report.summary()
    expected = calls_of(svc, digest, layout)
    assert {m for m, _ in expected} <= (
        {"sendRichMessage"} if layout == "rich" else {"sendMessage", "sendPhoto"}
    )
    for chat, thread in TARGETS:
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


async def test_each_target_its_own_layout_and_a_new_choice_from_the_next_digest(
    tg, delivery_env, store
):
    service, digest = delivery_env
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


async def test_a_refused_rich_message_goes_as_compact_and_admins_hear_once(tg, delivery_env, store):
    service, digest = delivery_env
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
    tg, delivery_env, store, caplog
):
    service, digest = delivery_env
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


async def test_rich_pushes_keep_every_delivery_promise(tg, delivery_env, store):
    """429s, 5xx, a timeout and a migration on rich sends: waited out, each message once."""
    service, digest = delivery_env
    tg.add_group(-55, "Old group")
    svc = await service(
        [f"{GROUP}:rich", f"{CHANNEL}:rich", f"{FORUM}:{TOPIC}:rich", "-55:rich"], read_timeout=0.3
    )
    tg.migrate_group(-55, -1009)
    fail_transiently(tg)  # the forum's timeout drops the request before delivery: resent once
    report = await svc.push(digest)
    assert report.ok, report.summary()
    rich = calls_of(svc, digest, "rich")
    for chat, thread in [*TARGETS, (-1009, None)]:
        assert held(tg, chat, thread) == rich
    assert tg.stats.sent_429 == 2
    assert await journal_layouts(store, digest.id, -1009) == {"rich"}
    # the migrated group keeps its configured layout under its new id, after a restart too
    assert await store.chosen_layout(-1009, None) == "rich"


async def test_a_kicked_bot_and_a_closed_topic_in_rich(tg, delivery_env, store):
    service, digest = delivery_env
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
