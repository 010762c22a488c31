"""The reader-side core: find digests in the store, load and render them, and write the HTML of
cards and paged lists. No Telegram objects here (handlers turn these into replies and keyboards),
so every view is a pure function that property tests can throw arbitrary titles at.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from telegram.constants import MessageLimit

from bot.digest.limits import limited_messages
from bot.digest.loader import load_digest, parse_day
from bot.digest.model import OutgoingMessage
from bot.digest.tags import normalize_tag
from bot.digest.tghtml import escape, escape_attr, utf16_len
from bot.store import DigestRecord, Page, SearchHit, Store

T = TypeVar("T")

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
ARCHIVE_PAGE = 10  # issues per /archive and /tag page
SEARCH_PAGE = 5  # hits per /search page (each hit is several lines)
TAGS_PAGE = 30  # tags per /tags page
KEY_CHARS = 10  # hex digits of a short key (tag / query) inside callback_data

# Characters that belong to the grapheme before them: a cut just before one would split an emoji
# ZWJ sequence, a flag, a keycap or a letter from its accent.
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def _glued(ch: str) -> bool:
    return (ch in _JOINERS or unicodedata.combining(ch) > 0
            or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
            or "\U000e0020" <= ch <= "\U000e007f")  # tag characters (subdivision flags)


def shorten(text: str, max_chars: int) -> str:
    """Plain text cut to at most `max_chars` code points (ellipsis included), on a grapheme edge.

    Python strings hold code points, so a surrogate pair cannot be split; the loop below keeps
    ZWJ sequences, modifiers and combining marks with their base character.
    """
    text = " ".join(text.split())  # one line: titles and snippets go into list lines
    if len(text) <= max_chars:
        return text
    cut = max(max_chars - 1, 0)
    while cut > 0 and (_glued(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    # regional indicator flags come in pairs: never keep an odd one at the end
    flags = 0
    while cut - flags > 0 and "\U0001f1e6" <= text[cut - flags - 1] <= "\U0001f1ff":
        flags += 1
    cut -= flags % 2
    return text[:cut].rstrip() + "…"


def short_key(text: str) -> str:
    """Stable short key for a long callback argument (a tag or a query)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:KEY_CHARS]


def tag_key(tag: str) -> str:
    """Short key of a tag: equal for spellings the store treats as the same tag."""
    return short_key(normalize_tag(tag))


def parse_date_arg(text: str) -> dt.date | None:
    """`2026-01-25` or `20260125` -> date; None if it is no date (also `2026-02-30`)."""
    try:
        return parse_day(text)
    except ValueError:
        return None


def message_link(chat_id: int, username: str | None, thread_id: int | None,
                 message_id: int) -> str | None:
    """t.me link to a message in a group or channel, or None where Telegram has none."""
    if username:
        base = f"https://t.me/{username}"
    elif str(chat_id).startswith("-100"):
        base = f"https://t.me/c/{str(chat_id)[4:]}"  # supergroup/channel internal id
    else:
        return None  # basic groups and private chats have no message links
    return f"{base}/{thread_id}/{message_id}" if thread_id else f"{base}/{message_id}"


# ---------------------------------------------------------------------------- views


def fit_lines(head: list[str], lines: Sequence[str], tail: list[str], more: str) -> str:
    """Join head + as many `lines` as fit in one message + tail (with `more` when some are left).

    `more` may contain `{n}` for the number of lines left out. Sizes are those of the HTML
    source, never less than the visible text Telegram counts, so the result always fits; and it
    is cut only between lines, never inside a tag or an escape.
    """
    fixed = utf16_len("\n".join(head + tail)) + 2 + utf16_len(more) + 8
    kept: list[str] = []
    used = fixed
    for line in lines:
        size = utf16_len(line) + 1
        if used + size > TEXT_LIMIT:
            break
        kept.append(line)
        used += size
    extra = [more.format(n=len(lines) - len(kept))] if len(kept) < len(lines) else []
    return "\n".join(part for part in [*head, *kept, *extra, *tail] if part is not None)


def digest_line(record: DigestRecord) -> str:
    return f"<b>{record.date:%Y-%m-%d}</b> · {escape(shorten(record.title, 120))}"


def card_html(record: DigestRecord, *, note: str | None = None,
              posted: Sequence[str | None] = ()) -> str:
    """The compact card a group gets: title, date, summary, sections (and where it was posted).

    `note` is already HTML; `posted` are message links (None: posted, but no link exists).
    """
    head = [note, ""] if note else []
    head.append(f"<b>{escape(shorten(record.title, 200))}</b>")
    meta = f"{record.date:%Y-%m-%d}"
    if record.tags:
        meta += " · " + escape(shorten(", ".join(record.tags), 150))
    head.append(meta)
    if record.summary:
        head += ["", escape(shorten(record.summary, 700))]
    tail: list[str] = []
    if posted:
        links = [f'<a href="{escape_attr(url)}">{n}</a>' if url else str(n)
                 for n, url in enumerate(posted[:20], 1)]
        tail = ["", "Already posted here: " + ", ".join(links)]
    sections = [f"• {escape(shorten(s, 100))}" for s in record.sections]
    if sections:
        head += ["", f"<b>Sections ({len(sections)})</b>"]
    return fit_lines(head, sections, tail, "• … and {n} more")


def records_page_html(heading: str, page: Page[DigestRecord], offset: int) -> str:
    """A numbered page of issues, newest first (heading is already HTML)."""
    if not page.items:
        return f"{heading}\n\nNothing here."
    last = offset + len(page.items)
    head = [f"{heading} — {offset + 1}–{last} of {page.total}", ""]
    lines = [f"{offset + n}. {digest_line(r)}" for n, r in enumerate(page.items, 1)]
    return fit_lines(head, lines, [], "…")


def tags_page_html(tags: Sequence[tuple[str, int]], offset: int, total: int) -> str:
    if not tags:
        return "No tags yet."
    head = [f"<b>Tags</b> — {offset + 1}–{offset + len(tags)} of {total}", ""]
    lines = [f"{escape(shorten(tag, 60))} — {count}" for tag, count in tags]
    tail = ["", "Tap a tag to list its issues, or send /tag &lt;name&gt;."]
    return fit_lines(head, lines, tail, "…")


def _without_prefix(snippet: str, title: str) -> str:
    """An item's text starts with its heading, which the hit already shows as its title."""
    text, title = " ".join(snippet.split()), " ".join(title.split())
    return text[len(title):].strip() if title and text.startswith(title) else text


def search_page_html(query: str, page: Page[SearchHit], offset: int) -> str:
    quoted = escape(shorten(query, 100))
    if not page.items:
        return f"No items match “{quoted}”."
    total = f"{page.total}+" if page.capped else str(page.total)  # search counts up to a cap
    head = [f"<b>Search</b> “{quoted}” — {offset + 1}–{offset + len(page.items)} of {total}", ""]
    blocks = []
    for n, hit in enumerate(page.items, offset + 1):
        where = f" · <i>{escape(shorten(hit.section, 60))}</i>" if hit.section else ""
        title = escape(shorten(hit.item_title or hit.digest.title, 150))
        link = (f'<a href="{escape_attr(hit.url)}">{title}</a>'
                if hit.url and hit.url.startswith(("http://", "https://")) else title)
        lines = [f"{n}. <b>{hit.digest.date:%Y-%m-%d}</b>{where}", link]
        snippet = _without_prefix(hit.snippet, hit.item_title or hit.digest.title)
        if snippet:
            lines.append(escape(shorten(snippet, 300)))
        blocks.append("\n".join(lines) + "\n")
    return fit_lines(head, blocks, [], "…")


# ---------------------------------------------------------------------------- the library


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
    page. Entries live at most `ttl`; DigestLibrary puts the store's `index_generation` in
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


class DigestLibrary:
    """Digests for the reader commands: store queries (cached briefly) and rendered messages."""

    def __init__(self, store: Store, content_dir: Path, *, cache_size: int = 64,
                 query_ttl: float = 30.0, search_store: Store | None = None,
                 search_stores: Sequence[Store] = ()) -> None:
        self.store = store
        # More connections to the same (WAL) database for full-text search: an aiosqlite
        # connection runs one query at a time, and a slow search must not hold up /today.
        # With several, searches run side by side (SQLite releases the GIL while it works and
        # WAL lets readers run concurrently); each goes to the least busy one.
        self.search_stores: list[Store] = list(search_stores) or [search_store or store]
        self.search_store = self.search_stores[0]
        self._searches_running = [0] * len(self.search_stores)
        self.content_dir = Path(content_dir)
        self._cache: OrderedDict[tuple[str, str], list[OutgoingMessage]] = OrderedDict()
        self._cache_size = cache_size
        self.queries = QueryCache(query_ttl)

    async def messages(self, record: DigestRecord) -> list[OutgoingMessage]:
        """The engine's messages for a digest, in order. Raises DigestError if the file broke.

        Keyed by content hash, so an edited file is rendered afresh; parsing runs in a thread
        because a long digest takes milliseconds the event loop should spend on other users.
        """
        key = (record.id, record.content_hash)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        path = self.content_dir / record.path
        messages = await asyncio.to_thread(
            lambda: limited_messages(load_digest(path, self.content_dir)))
        self._cache[key] = messages
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return messages

    async def day(self, day: dt.date) -> DayResult:
        editions = await self.store.on_date(day)
        nearest = [] if editions else await self.store.nearest_dates(day, limit=3)
        return DayResult(day, editions, nearest)

    async def page(self, offset: int, limit: int) -> Page[DigestRecord]:
        return await self.queries.get((self.store.index_generation, "page", offset, limit),
                                      lambda: self.store.page(offset, limit))

    async def tag_counts(self) -> list[tuple[str, int]]:
        return await self.queries.get((self.store.index_generation, "tags"), self.store.tag_counts)

    async def by_tag(self, tag: str, offset: int, limit: int) -> Page[DigestRecord]:
        key = (self.store.index_generation, "tag", normalize_tag(tag), offset, limit)
        return await self.queries.get(key, lambda: self.store.by_tag(tag, offset, limit))

    async def search(self, query: str, offset: int, limit: int) -> Page[SearchHit]:
        return await self.queries.get((self.store.index_generation, "search", query, offset, limit),
                                      lambda: self._search(query, offset, limit))

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
