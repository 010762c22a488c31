"""The digest catalogue: find a digest (by id, date or "latest"), load it, and its messages.

Every reader of digests asks here: the reader commands, the push, `/preview`, `digestbot post`
and `digestbot render`. So there is ONE order of editions ("newest" = the last of it) and ONE
rendering cache, keyed by content, so a push renders each digest once however many steps
(due check, progress bar, the sends) ask for its messages.

The order: by date, then the publishing time as written (its ISO text: wall clock first; none =
the start of the day), then the digest id as the tie-break. The store's SQL
(`bot.store.index.NEWEST_FIRST`, `on_date`) sorts by the same columns; tests/test_catalog.py
checks the two agree.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.digest.calls import DEFAULT_LAYOUT, LAYOUTS, OutgoingCall, build_calls, check_layout
from bot.digest.limits import check_messages, limited_messages
from bot.digest.loader import load_digest, parse_day
from bot.digest.model import Digest, OutgoingMessage

if TYPE_CHECKING:
    from bot.store import DigestRecord, Store

# `messages()` is the classic (one message per `##` section) cut, as OutgoingMessage; `calls()` is
# any layout (bot.digest.calls.LAYOUTS) as the exact Bot API calls a push makes.
CLASSIC = "classic"
_MESSAGES = "messages"  # cache-key tag of messages() results (calls() use the layout name)


class Edition(Protocol):
    """What ordering needs; both a Digest and a store DigestRecord have it."""

    @property
    def id(self) -> str: ...

    @property
    def date(self) -> dt.date: ...

    @property
    def published_at(self) -> dt.datetime | None: ...


def edition_key(edition: Edition) -> tuple[dt.date, str, str]:
    """Sort key, oldest first (send order); the newest is the maximum.

    The time is compared as its ISO text, exactly as the store's SQL compares the column: the
    wall time as written first (an untimed edition is the day's earliest), then the offset.
    """
    at = edition.published_at
    return edition.date, at.isoformat() if at else "", edition.id


def newest(editions: Iterable[Edition]) -> Edition | None:
    return max(editions, key=edition_key, default=None)


def latest(digests: Iterable[Digest]) -> Digest | None:
    """The newest digest, or None if there is none."""
    return max(digests, key=edition_key, default=None)


def find(digests: Sequence[Digest], spec: str) -> list[Digest]:
    """Loaded digests matching spec, oldest first (send order): `digestbot render` without a store.

    spec: `latest`, a date (`2026-01-25` or `20260125`: every edition of that day) or a file path.
    Raises ValueError for a date-shaped spec that is not a real date.
    """
    if spec.strip().lower() == "latest":
        found = latest(digests)
        return [found] if found else []
    day = parse_day(spec)
    if day is not None:
        return sorted((d for d in digests if d.date == day), key=edition_key)
    wanted = Path(spec).resolve()
    return [d for d in digests if d.path.resolve() == wanted]


def _content_key(digest: Digest) -> str:
    # a loaded Digest is frozen data: its repr covers every field the renderer reads
    return hashlib.sha256(repr(digest).encode("utf-8")).hexdigest()


class Catalog:
    """Digests of the store's index, loaded from the content folder, and their messages."""

    def __init__(
        self, store: Store | None, content_dir: Path | str, *, cache_size: int = 64
    ) -> None:
        self.store = store
        self.content_dir = Path(content_dir)
        self._cache: OrderedDict[tuple[str, str], list] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # messages() runs in worker threads too
        self.renders = 0  # digests rendered (not served from the cache): for tests/benchmarks

    # -- finding ----------------------------------------------------------------------------
    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("this catalogue has no store (folder-only use)")
        return self.store

    async def get(self, digest_id: str) -> DigestRecord | None:
        return await self._store().get_digest(digest_id)

    async def newest(self) -> DigestRecord | None:
        return await self._store().latest()

    async def editions(self, day: dt.date) -> list[DigestRecord]:
        """That day's editions in send order (earliest first); the last one is the newest."""
        return await self._store().on_date(day)

    async def newest_on(self, day: dt.date) -> DigestRecord | None:
        editions = await self.editions(day)
        return editions[-1] if editions else None

    async def nearest_dates(self, day: dt.date, limit: int = 3) -> list[dt.date]:
        return await self._store().nearest_dates(day, limit=limit)

    async def find(self, spec: str | None) -> list[DigestRecord]:
        """`None`/`latest`: the newest digest; a date: every edition of that day (send order).
        Raises ValueError for text that is not a date."""
        if spec is None or spec.strip().lower() == "latest":
            found = await self.newest()
            return [found] if found else []
        day = parse_day(spec)
        if day is None:
            raise ValueError(spec)
        return await self.editions(day)

    # -- loading ----------------------------------------------------------------------------
    def load(self, record: DigestRecord) -> Digest:
        """The Digest behind a store record (the index holds no body). Raises DigestError."""
        return load_digest(self.content_dir / record.path, self.content_dir)

    async def find_digests(self, spec: str | None) -> list[Digest]:
        """find() then load(): what a push sends."""
        return [self.load(r) for r in await self.find(spec)]

    # -- messages ---------------------------------------------------------------------------
    @staticmethod
    def _key(item: Digest | DigestRecord, layout: str) -> tuple[str, str]:
        if layout == CLASSIC:
            layout = _MESSAGES
        elif layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")
        return (_content_key(item) if isinstance(item, Digest) else item.content_hash, layout)

    def _cached(self, key: tuple[str, str]) -> list | None:
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            return cached

    def _built(self, item: Digest | DigestRecord, key: tuple[str, str], build) -> list:
        cached = self._cached(key)
        if cached is not None:
            return cached
        digest = item if isinstance(item, Digest) else self.load(item)
        built = build(digest)
        with self._lock:
            self.renders += 1
            self._cache[key] = built
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return built

    def messages(
        self, item: Digest | DigestRecord, *, layout: str = CLASSIC
    ) -> list[OutgoingMessage]:
        """The classic messages of a digest (loaded, or a store record: loaded here), in order.

        Cached by content (a record's file hash; a loaded digest's fields), so an edited file
        is rendered afresh and the same one never twice. Raises DigestError if a record's file
        broke or the digest is over MAX_DIGEST_MESSAGES (DigestTooLarge), ValueError for
        another layout than classic (use calls() for layouts).
        """
        if layout != CLASSIC:
            raise ValueError(f"unknown layout {layout!r} for messages() (use calls())")
        return self._built(item, self._key(item, CLASSIC), limited_messages)

    def calls(
        self, item: Digest | DigestRecord, *, layout: str = DEFAULT_LAYOUT
    ) -> list[OutgoingCall]:
        """Every Bot API call of the digest's push in `layout`, cached like messages().
        DigestTooLarge above MAX_DIGEST_MESSAGES, ValueError for an unknown layout."""
        check_layout(layout)

        def build(digest: Digest) -> list[OutgoingCall]:
            calls = build_calls(digest, layout)
            check_messages(digest.path, len(calls))
            return calls

        return self._built(item, self._key(item, layout), build)

    async def calls_async(
        self, item: Digest | DigestRecord, *, layout: str = DEFAULT_LAYOUT
    ) -> list[OutgoingCall]:
        """calls() off the event loop (see messages_async)."""
        cached = self._cached(self._key(item, layout))
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.calls, item, layout=layout)

    async def messages_async(
        self, item: Digest | DigestRecord, *, layout: str = CLASSIC
    ) -> list[OutgoingMessage]:
        """messages() off the event loop: a long digest takes milliseconds to parse that the
        loop should spend on other users (a cached one is returned at once)."""
        cached = self._cached(self._key(item, layout))
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.messages, item, layout=layout)
