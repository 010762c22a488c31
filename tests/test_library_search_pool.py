"""ReaderService spreads searches over its read connections: the least busy one first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.reader.service import ReaderService
from bot.store import Page


class FakeStore:
    def __init__(self, name: str) -> None:
        self.name = name
        self.index_generation = 0
        self.running = 0
        self.seen: list[str] = []

    async def search(self, query: str, offset: int, limit: int) -> Page:
        self.running += 1
        self.seen.append(query)
        await asyncio.sleep(0.02)
        self.running -= 1
        return Page([], 0)


async def test_concurrent_searches_use_every_connection() -> None:
    main, a, b = FakeStore("main"), FakeStore("a"), FakeStore("b")
    library = ReaderService(main, Path("."), search_stores=[a, b])  # type: ignore[list-item,arg-type]
    assert library.search_store is a
    await asyncio.gather(*(library.search(f"q{n}", 0, 10) for n in range(6)))
    assert sorted(a.seen + b.seen) == [f"q{n}" for n in range(6)]
    assert len(a.seen) == len(b.seen) == 3 and main.seen == []
    await library.search("later", 0, 10)  # nothing running: the first connection
    assert a.seen[-1] == "later"


async def test_one_connection_or_the_store_itself() -> None:
    main, only = FakeStore("main"), FakeStore("only")
    assert ReaderService(main, Path("."), search_store=only).search_stores == [only]  # type: ignore[arg-type]
    library = ReaderService(main, Path("."))  # type: ignore[arg-type]
    await library.search("x", 0, 10)
    assert library.search_stores == [main] and main.seen == ["x"]
