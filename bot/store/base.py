"""The connection shared by every part of the Store: pragmas, migrations, write transactions."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.schema import MIGRATIONS
from bot.store.search_rank import rank_bucket
from bot.tagnorm import normalize_tag

log = logging.getLogger("digestbot.store")

_NUMERIC_CHAT = re.compile(r"^-?\d+$")
# databases (resolved paths) with a bulk sync running in this process: a second Store on the same
# file must not mistake that sync for an interrupted one
_BULK_IN_PROGRESS: set[str] = set()


def chat_key(chat_id: int | str) -> int | str:
    """One form per chat: numeric ids as int (so "-100" and -100 are the same chat)."""
    if isinstance(chat_id, str) and _NUMERIC_CHAT.match(chat_id.strip()):
        return int(chat_id.strip())
    return chat_id


def thread_key(thread_id: int | None) -> int:
    return thread_id or 0  # 0 = the chat itself; see the targets table comment


def thread_out(thread_key_value: int) -> int | None:
    return thread_key_value or None


def process_running(pid: int) -> bool:
    """Is a process with this id running on this host? (signal 0 only asks; a process of
    another user answers PermissionError: it exists.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreBase:
    """One aiosqlite connection (it owns one thread); writes serialised by an asyncio.Lock."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = asyncio.Lock()
        # one content sync at a time (the rescan loop and /reload may overlap)
        self.sync_lock = asyncio.Lock()
        # bumped by every sync that changed the index, whoever ran it (rescan loop, /reload,
        # the scheduler): readers key their caches on it
        self.index_generation = 0
        self.fts_rows_added = 0  # items a running cold bulk sync put in the search index itself

    @classmethod
    async def open(cls, path: Path | str) -> StoreBase:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; we BEGIN/COMMIT explicitly.
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # WAL + synchronous=NORMAL: a commit survives a crash of the process (what the
            # journal needs for "never twice"); only an OS crash/power cut may lose the very
            # last commits. FULL would fsync on every delivery for little gain here.
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")  # another process (CLI) may be writing
            # schema v7 rewrites stored tag keys with the Python rule (no SQL equivalent)
            await db.create_function("digestbot_tag_key", 1, normalize_tag, deterministic=True)
            await db.create_function("digestbot_rank_bucket", 1, rank_bucket, deterministic=True)
            store = cls(db, path)
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        async with self._lock:
            await self._db.close()

    async def __aenter__(self) -> StoreBase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path}: database schema v{version} is newer than this digestbot "
                f"(v{len(MIGRATIONS)}); upgrade digestbot"
            )
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript runs the step and the version bump as one transaction
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{step}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
        if version < len(MIGRATIONS):  # one line, however many steps ran
            log.info(
                "database %s: schema v%d -> v%d%s",
                self.path,
                version,
                len(MIGRATIONS),
                " (new database)" if version == 0 else "",
            )
        row = await self._one("SELECT bulk FROM fts_state WHERE id = 1")
        if row and row[0] and not self._bulk_owner_alive(int(row[0])):
            log.warning("search index was left in bulk mode (interrupted sync); rebuilding it")
            await self.end_bulk()

    def _bulk_owner_alive(self, pid: int) -> bool:
        """Is the sync that set bulk mode still running (another Store, maybe another process)?"""
        if pid == os.getpid():
            return self._bulk_key() in _BULK_IN_PROGRESS
        return process_running(pid)

    def _bulk_key(self) -> str:
        return str(self.path.resolve())

    async def begin_bulk(self) -> None:
        """Bulk mode: the FTS triggers stand still (for every connection) until end_bulk()."""
        _BULK_IN_PROGRESS.add(self._bulk_key())
        async with self.transaction() as db:
            await db.execute("UPDATE fts_state SET bulk = ? WHERE id = 1", (os.getpid(),))

    async def end_bulk(self, rebuild: bool = True) -> None:
        """Rebuild the full-text index from `items` and leave bulk mode, in one transaction.
        rebuild=False: the sync kept the index complete itself (see bot.ingest._sync)."""
        async with self.transaction() as db:
            if rebuild:
                await db.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
            await db.execute("UPDATE fts_state SET bulk = 0 WHERE id = 1")
        _BULK_IN_PROGRESS.discard(self._bulk_key())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; committed on success, rolled back on any error."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    # Reads run start to finish in ONE call on aiosqlite's thread: a statement left open across
    # an await would hold a read snapshot while another task's BEGIN IMMEDIATE runs on this
    # connection, and with a second process writing that upgrade can never succeed ("database
    # is locked" after the busy timeout, both processes stuck).
    async def _all(self, sql: str, params: tuple | list = ()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: tuple | list = ()) -> aiosqlite.Row | None:
        rows = list(await self._db.execute_fetchall(sql, params))  # callers ask for one row
        return rows[0] if rows else None
