"""Store: delivery targets, subscriptions, chat migration and the delivery journal."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import ChatTarget
from bot.store import Store, Target


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db.sqlite3")
    yield s
    await s.close()


async def test_upsert_deactivate_reactivate(store: Store) -> None:
    t = await store.upsert_target(-1001, None, "config", title="Group")
    assert t == Target(-1001, None, "config", True, "Group", None)
    await store.upsert_target("@channel", None, "subscribe")
    await store.upsert_target(-1002, 7, "subscribe")
    assert [(x.chat_id, x.thread_id) for x in await store.active_targets()] == [
        (-1001, None),
        ("@channel", None),
        (-1002, 7),
    ]

    await store.deactivate_target(-1001, None, "403 Forbidden: bot was kicked")
    assert [x.chat_id for x in await store.active_targets()] == ["@channel", -1002]
    gone = await store.get_target(-1001, None)
    assert gone is not None and not gone.active
    assert gone.deactivated_reason == "403 Forbidden: bot was kicked"

    again = await store.upsert_target("-1001", None, "subscribe")  # digits string == int id
    assert again.active and again.deactivated_reason is None
    assert again.source == "config" and again.title == "Group"  # config sticky, title kept
    assert len(await store.all_targets()) == 3


async def test_topic_and_chat_are_distinct_and_deactivate_chat(store: Store) -> None:
    await store.upsert_target(-100, None, "config")
    await store.upsert_target(-100, 5, "config")
    await store.upsert_target(-200, None, "config")
    assert len(await store.active_targets()) == 3
    await store.deactivate_target(-100, 5, "topic closed")
    assert {(t.chat_id, t.thread_id) for t in await store.active_targets()} == {
        (-100, None),
        (-200, None),
    }
    await store.deactivate_chat(-100, "403")
    assert [(t.chat_id, t.thread_id) for t in await store.active_targets()] == [(-200, None)]


async def test_remove_subscription(store: Store) -> None:
    await store.upsert_target(-1, None, "subscribe")
    await store.upsert_target(-2, None, "config")
    assert await store.remove_subscription(-1, None) is True
    assert await store.remove_subscription(-1, None) is False  # already gone
    assert await store.remove_subscription(-2, None) is False  # config: operator's choice
    assert await store.remove_subscription(-3, 4) is False
    assert [t.chat_id for t in await store.active_targets()] == [-2]
    back = await store.upsert_target(-1, None, "subscribe")
    assert back.active


async def test_sync_config_targets(store: Store) -> None:
    await store.upsert_target(-9, None, "subscribe")
    await store.sync_config_targets([ChatTarget(-1), ChatTarget(-2, 3)])
    active = await store.sync_config_targets([ChatTarget(-2, 3), ChatTarget("@news")])
    assert {(t.chat_id, t.thread_id, t.source) for t in active} == {
        (-9, None, "subscribe"),
        (-2, 3, "config"),
        ("@news", None, "config"),
    }
    removed = await store.get_target(-1, None)
    assert removed is not None and removed.deactivated_reason == "removed from configuration"


async def test_journal_unique_and_durable(store: Store, tmp_path: Path) -> None:
    assert await store.record_delivery("d1", -100, None, 0, 11) is True
    assert await store.record_delivery("d1", -100, None, 1, 12) is True
    assert await store.record_delivery("d1", -100, None, 1, 99) is False  # never twice
    assert await store.delivered_parts("d1", -100, None) == {0: 11, 1: 12}
    assert await store.delivered_parts("d1", -100, 5) == {}
    assert await store.delivered_parts("d2", -100, None) == {}

    # committed on return: a second, independent connection sees it right away
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:
        rows = other.execute("SELECT part, message_id FROM deliveries ORDER BY part").fetchall()
        assert rows == [(0, 11), (1, 12)]
        with pytest.raises(sqlite3.IntegrityError):  # the guarantee lives in the schema
            other.execute(
                "INSERT INTO deliveries (digest_id, chat_id, thread_id, part, message_id,"
                " sent_at) VALUES ('d1', -100, 0, 1, 5, 'now')"
            )


async def test_concurrent_records_do_not_interleave(store: Store) -> None:
    results = await asyncio.gather(
        *(store.record_delivery("d", -1, None, n % 10, 100 + n) for n in range(40))
    )
    assert sum(results) == 10
    assert sorted(await store.delivered_parts("d", -1, None)) == list(range(10))


async def test_migrate_target_moves_journal_so_push_resumes(store: Store) -> None:
    await store.upsert_target(-42, None, "config", title="Old group")
    await store.upsert_target(-42, 3, "subscribe")
    await store.record_delivery("d1", -42, None, 0, 1)
    await store.record_delivery("d1", -42, None, 1, 2)
    await store.record_delivery("d1", -42, 3, 0, 5)
    await store.record_failure("d1", -42, None, 2, "400: group chat was upgraded")

    await store.migrate_target(-42, -1000042)
    assert {(t.chat_id, t.thread_id) for t in await store.active_targets()} == {
        (-1000042, None),
        (-1000042, 3),
    }
    assert await store.delivered_parts("d1", -1000042, None) == {0: 1, 1: 2}
    assert await store.delivered_parts("d1", -42, None) == {}
    assert (await store.get_target(-1000042, None)).title == "Old group"  # type: ignore[union-attr]
    summary = {
        (s.target.chat_id, s.target.thread_id): s for s in await store.last_push_per_target()
    }
    assert summary[(-1000042, None)].failures == 1


async def test_migrate_onto_existing_target_merges(store: Store) -> None:
    await store.upsert_target(-1, None, "subscribe")
    await store.upsert_target(-2, None, "config")
    await store.record_delivery("d", -1, None, 0, 10)
    await store.record_delivery("d", -1, None, 1, 11)
    await store.record_delivery("d", -2, None, 0, 20)
    await store.migrate_target(-1, -2)
    targets = await store.all_targets()
    assert [(t.chat_id, t.source) for t in targets] == [(-2, "config")]
    assert await store.delivered_parts("d", -2, None) == {0: 20, 1: 11}  # existing row wins


async def test_last_push_per_target_and_deliveries_in_chat(store: Store) -> None:
    await store.upsert_target(-1, None, "config")
    await store.upsert_target(-1, 9, "config")
    await store.upsert_target(-3, None, "subscribe")  # never pushed
    await store.record_delivery("old", -1, None, 0, 1)
    await store.record_delivery("new", -1, None, 0, 2)
    await store.record_delivery("new", -1, None, 1, 3)
    await store.record_delivery("new", -1, 9, 1, 8)
    await store.record_delivery("new", -1, 9, 0, 7)
    await store.record_failure("new", -1, 9, 2, "Forbidden: bot is not a member")

    rows = {(s.target.chat_id, s.target.thread_id): s for s in await store.last_push_per_target()}
    main, topic, never = rows[(-1, None)], rows[(-1, 9)], rows[(-3, None)]
    assert (main.digest_id, main.parts_delivered, main.failures, main.last_error) == (
        "new",
        2,
        0,
        None,
    )
    assert main.last_sent_at is not None
    assert (topic.digest_id, topic.parts_delivered, topic.failures) == ("new", 2, 1)
    assert topic.last_error == "Forbidden: bot is not a member"
    assert (never.digest_id, never.parts_delivered, never.last_sent_at) == (None, 0, None)

    assert await store.deliveries_in_chat("new", -1) == [(None, 2), (9, 7)]
    assert await store.deliveries_in_chat("new", -5) == []


async def test_long_errors_are_truncated(store: Store) -> None:
    await store.upsert_target(-1, None, "config")
    await store.record_failure("d", -1, None, None, "x" * 5000)
    (summary,) = await store.last_push_per_target()
    assert summary.last_error is not None and len(summary.last_error) == 500
    assert summary.digest_id == "d" and summary.failures == 1


async def test_bad_source_rejected(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.upsert_target(-1, None, "admin")  # type: ignore[arg-type]
