"""Store: the one SQLite database of digestbot (index, search, targets, journal)."""

from __future__ import annotations

from pathlib import Path

from bot.store.buttons import ButtonsMixin
from bot.store.chats import ChatSettingsMixin
from bot.store.corrections import CorrectionsMixin
from bot.store.index import IndexMixin
from bot.store.jobs import JobsMixin
from bot.store.journal import JournalMixin
from bot.store.layouts import LayoutsMixin
from bot.store.search import SearchMixin
from bot.store.targets import TargetsMixin


class Store(
    IndexMixin,
    SearchMixin,
    TargetsMixin,
    JournalMixin,
    ButtonsMixin,
    JobsMixin,
    ChatSettingsMixin,
    LayoutsMixin,
    CorrectionsMixin,
):
    """All methods are async. Open with `await Store.open(path)`; close with `await close()`.

    One aiosqlite connection serves everything; write transactions are serialised by an
    asyncio.Lock so concurrent handlers and pushes never interleave inside one transaction.
    """

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        store = await super().open(path)
        assert isinstance(store, Store)
        return store
