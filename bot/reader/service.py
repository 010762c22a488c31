"""The reader service: what /today, /archive, /tags, /tag and /search ask, with short-lived
caching of store queries. Digests themselves (find, load, messages) come from the catalogue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.catalog import Catalog
from bot.digest.loader import parse_day
from bot.reader.keys import short_key, tag_key
from bot.store import DigestRecord, Page, SearchHit, Store
from bot.tagnorm import normalize_tag

T = TypeVar("T")


def parse_date_arg(text: str) -> dt.date | None:
    """`2026-01-25` or `20260125` -> date; None if it is no date (also `2026-02-30`)."""
    try:
        return parse_day(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class DayResult:
    """What /today and /digest <date> found."""

    day: dt.date
    editions: list[DigestRecord]  # that day's digests, earliest first
    nearest: list[dt.date]  # when there are none: the closest days that have one


class QueryCache:
    """Results of read queries for `ttl` seconds, shared by concurrent callers (single flight).

    The archive is read-mostly and many readers ask the same things (today's tag, a popular
    search); a full-text search over thousands of issues costs far more than serving a cached
    page. Entries live at most `ttl`; ReaderService puts the store's `index_generation` in
    every key, so a sync that changed the index (by the rescan loop, /reload or the scheduler)
    makes the next read ask the store afresh.
    """

    def __init__(self, ttl: float, max_entries: int = 1024) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[float, asyncio.Future]] = OrderedDict()

    async def get(self, key: tuple, compute: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is None or entry[0] < now:
            future: asyncio.Future[T] = asyncio.ensure_future(compute())
            self._entries[key] = (now + self.ttl, future)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        else:
            future = entry[1]
            self._entries.move_to_end(key)
        try:
            # shield: one caller's cancellation must not cancel the query the others wait for
            return await asyncio.shield(future)
        except Exception:
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]  # never cache a failure
            raise


class ReaderService:
    """What the reader commands ask: days, pages, tags, searches (store queries, cached briefly)."""

    def __init__(
        self,
        store: Store,
        content_dir: Path | str,
        *,
        catalog: Catalog | None = None,
        query_ttl: float = 30.0,
        search_store: Store | None = None,
        search_stores: Sequence[Store] = (),
    ) -> None:
        self.store = store
        self.catalog = catalog or Catalog(store, content_dir)
        # More connections to the same (WAL) database for full-text search: an aiosqlite
        # connection runs one query at a time, and a slow search must not hold up /today.
        # With several, searches run side by side (SQLite releases the GIL while it works and
        # WAL lets readers run concurrently); each goes to the least busy one.
        self.search_stores: list[Store] = list(search_stores) or [search_store or store]
        self.search_store = self.search_stores[0]
        self._searches_running = [0] * len(self.search_stores)
        self.queries = QueryCache(query_ttl)

    async def day(self, day: dt.date) -> DayResult:
        editions = await self.catalog.editions(day)
        nearest = [] if editions else await self.catalog.nearest_dates(day, limit=3)
        return DayResult(day, editions, nearest)

    async def page(self, offset: int, limit: int) -> Page[DigestRecord]:
        return await self.queries.get(
            (self.store.index_generation, "page", offset, limit),
            lambda: self.store.page(offset, limit),
        )

    async def tag_counts(self) -> list[tuple[str, int]]:
        return await self.queries.get((self.store.index_generation, "tags"), self.store.tag_counts)

    async def by_tag(self, tag: str, offset: int, limit: int) -> Page[DigestRecord]:
        key = (self.store.index_generation, "tag", normalize_tag(tag), offset, limit)
        return await self.queries.get(key, lambda: self.store.by_tag(tag, offset, limit))

    async def search(self, query: str, offset: int, limit: int) -> Page[SearchHit]:
        return await self.queries.get(
            (self.store.index_generation, "search", query, offset, limit),
            lambda: self._search(query, offset, limit),
        )

    async def _search(self, query: str, offset: int, limit: int) -> Page[SearchHit]:
        running = self._searches_running
        n = running.index(min(running))  # the least busy connection (the first one on ties)
        running[n] += 1
        try:
            return await self.search_stores[n].search(query, offset, limit)
        finally:
            running[n] -= 1

    async def resolve_tag(self, key: str) -> str | None:
        """The tag whose short key is `key` (callback data carries keys, not long tags)."""
        for tag, _ in await self.tag_counts():
            if tag_key(tag) == key:
                return tag
        return None

    async def remember_query(self, query: str) -> str:
        """The short key of a search query, kept in the store so its buttons outlive a restart."""
        key = short_key(query)
        await self.store.remember_text(key, query)
        return key

    async def resolve_query(self, key: str) -> str | None:
        return await self.store.recall_text(key)
