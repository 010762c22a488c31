"""QueryCache: concurrent identical queries run once; entries expire and can be dropped."""

from __future__ import annotations

import asyncio

import pytest

from bot.ingest import sync_content
from bot.reader.service import QueryCache


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.calls


async def test_concurrent_callers_share_one_query() -> None:
    cache, compute = QueryCache(ttl=60), Counter()
    results = await asyncio.gather(*(cache.get(("q",), compute) for _ in range(50)))
    assert results == [1] * 50 and compute.calls == 1
    assert await cache.get(("other",), compute) == 2


async def test_entries_expire_after_ttl() -> None:
    cache, compute = QueryCache(ttl=0.05), Counter()
    assert await cache.get(("q",), compute) == 1
    assert await cache.get(("q",), compute) == 1
    await asyncio.sleep(0.06)
    assert await cache.get(("q",), compute) == 2


async def test_failures_are_not_cached() -> None:
    cache = QueryCache(ttl=60)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database is locked")
        return "ok"

    with pytest.raises(RuntimeError):
        await cache.get(("q",), flaky)
    assert await cache.get(("q",), flaky) == "ok"


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    cache, compute = QueryCache(ttl=60), Counter()
    first = asyncio.ensure_future(cache.get(("q",), compute))
    second = asyncio.ensure_future(cache.get(("q",), compute))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == 1


async def test_bounded_size() -> None:
    cache, compute = QueryCache(ttl=60, max_entries=3), Counter()
    for n in range(5):
        await cache.get((n,), compute)
    assert await cache.get((0,), compute) == 6  # the oldest was dropped: computed again


async def test_any_sync_that_changed_the_index_refreshes_cached_reads(tmp_path) -> None:
    from bot.reader.service import ReaderService
    from bot.store import Store
    from tests.harness import digest_text

    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(digest_text("2026-01-01", "First", {"S": ["x"]}))
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        await sync_content(store, content)
        library = ReaderService(store, content, query_ttl=3600)
        assert (await library.page(0, 10)).total == 1
        (content / "b.md").write_text(digest_text("2026-01-02", "Second", {"S": ["y"]}))
        assert (await library.page(0, 10)).total == 1  # cached: nothing synced yet
        await sync_content(store, content)  # as /reload or the scheduler do, not the library
        assert (await library.page(0, 10)).total == 2
        generation = store.index_generation
        await sync_content(store, content)  # nothing changed: the cache stays valid
        assert store.index_generation == generation
    finally:
        await store.close()
