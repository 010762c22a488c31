"""The digest index follows the content folder: sync_content() and the digest/tag queries."""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.digest.items import extract_items_and_sections
from bot.digest.loader import iter_digest_files, load_digest
from bot.digest.model import Digest, DigestError
from bot.digest.tags import normalize_tag
from bot.store.base import StoreBase
from bot.store.records import BadFile, DigestRecord, Page, SyncReport

log = logging.getLogger("digestbot.store")

BATCH_SIZE = 250  # files parsed per worker hop and written per transaction
PROCESS_POOL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
BULK_MIN_FILES = 500  # from this many files to parse, rebuild the search index once at the end

# every query returning DigestRecord selects these columns, in this order
RECORD_COLUMNS = """
    d.id, d.path, d.date, d.published_at, d.title, d.summary, d.category, d.content_hash,
    d.sections,
    (SELECT json_group_array(tag_display) FROM
        (SELECT tag_display FROM digest_tags t WHERE t.digest_id = d.id ORDER BY t.position))
"""
NEWEST_FIRST = "d.date DESC, d.published_at DESC, d.id DESC"


def record_from_row(row: Sequence) -> DigestRecord:
    return DigestRecord(
        id=row[0],
        path=row[1],
        date=dt.date.fromisoformat(row[2]),
        published_at=dt.datetime.fromisoformat(row[3]) if row[3] else None,
        title=row[4],
        summary=row[5],
        category=row[6],
        content_hash=row[7],
        sections=tuple(json.loads(row[8] or "[]")),
        tags=tuple(json.loads(row[9] or "[]")),
    )


@dataclass(frozen=True)
class _Stamp:
    mtime_ns: int
    size: int
    content_hash: str


@dataclass(frozen=True)
class _Todo:
    path: Path
    rel: str
    known_hash: str | None  # hash of the indexed version, if any


@dataclass(frozen=True)
class _Parsed:
    """A parsed file, already as table rows: cheap to pickle back from a worker process."""

    rel: str
    stamp: _Stamp
    digest_id: str
    digest_row: tuple  # digests columns after `id, path` (see _INSERT_DIGEST)
    tag_rows: list[tuple[str, str, int]]  # (tag_norm, tag_display, position)
    item_rows: list[tuple]  # (position, section, title, text, url)


@dataclass(frozen=True)
class _Same:
    """Stamp changed (touched, copied) but the bytes are identical: no parse needed."""

    rel: str
    stamp: _Stamp


@dataclass(frozen=True)
class _Bad:
    rel: str
    stamp: _Stamp
    reason: str


_INSERT_DIGEST = (
    "INSERT INTO digests (id, path, date, published_at, title, summary, category,"
    " content_hash, mtime_ns, size, sections, indexed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def _rows(digest: Digest, stamp: _Stamp, rel: str) -> _Parsed:
    items, sections = extract_items_and_sections(digest)
    digest_row = (
        digest.date.isoformat(), digest.published_at.isoformat() if digest.published_at else None,
        digest.title, digest.summary, digest.category, stamp.content_hash, stamp.mtime_ns,
        stamp.size, json.dumps(sections, ensure_ascii=False),
    )
    tag_rows = [(normalize_tag(tag), tag, n) for n, tag in enumerate(digest.tags)]
    # position 0: the digest itself (title + summary), so they are searchable like items
    head_text = digest.title + ("\n" + digest.summary if digest.summary else "")
    item_rows = [(0, None, digest.title, head_text, None)]
    item_rows.extend(
        (n, item.section, item.title, item.text, item.url) for n, item in enumerate(items, 1)
    )
    return _Parsed(rel, stamp, digest.id, digest_row, [t for t in tag_rows if t[0]], item_rows)


def _parse_one(todo: _Todo, root: Path) -> _Parsed | _Same | _Bad:
    """Runs in a worker: read, hash, and only if the bytes changed, parse."""
    try:
        st = os.stat(todo.path)
        data = todo.path.read_bytes()
    except OSError as exc:
        return _Bad(todo.rel, _Stamp(-1, -1, ""), f"cannot read file ({exc.strerror or exc})")
    stamp = _Stamp(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())
    if stamp.content_hash == todo.known_hash:
        return _Same(todo.rel, stamp)
    try:
        return _rows(load_digest(todo.path, root), stamp, todo.rel)
    except DigestError as exc:
        return _Bad(todo.rel, stamp, exc.reason)
    except Exception as exc:  # a loader bug must not stop the other files
        log.exception("unexpected error loading %s", todo.rel)
        return _Bad(todo.rel, stamp, f"internal error: {type(exc).__name__}: {exc}")


def _parse_batch(batch: list[_Todo], root: Path) -> list[_Parsed | _Same | _Bad]:
    return [_parse_one(todo, root) for todo in batch]


def _list_files(root: Path) -> dict[str, tuple[Path, int, int]]:
    """rel path -> (path, mtime_ns, size). Runs in a thread: stat of 10k files takes a while."""
    found: dict[str, tuple[Path, int, int]] = {}
    for path in iter_digest_files(root):
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat: it is simply not there
        found[_rel(path, root)] = (path, st.st_mtime_ns, st.st_size)
    return found


def _pool_workers(files: int) -> int:
    """Worker processes for a sync of `files` files; 0 = parse in a thread instead."""
    cpus = os.cpu_count() or 1
    if files < PROCESS_POOL_MIN_FILES or cpus < 2:
        return 0
    return min(cpus, 4)


class IndexMixin(StoreBase):
    # ------------------------------------------------------------------ sync

    async def sync_content(self, content_dir: Path | str) -> SyncReport:
        """Make the index match the folder: add new, re-parse changed, drop deleted files."""
        async with self._sync_lock:
            return await self._sync(Path(content_dir))

    async def _sync(self, content_dir: Path) -> SyncReport:
        started = time.perf_counter()
        root = Path(content_dir)
        if not await asyncio.to_thread(root.is_dir):
            # an unmounted or mistyped folder must not wipe the index: report and keep it
            log.error("content folder %s does not exist; index left as it is", root)
            return SyncReport(errors=[BadFile(str(root), "content folder does not exist")])
        files = await asyncio.to_thread(_list_files, root)
        known: dict[str, tuple[int, int, str]] = {}
        for rel, mtime, size, content_hash in await self._all(
            "SELECT path, mtime_ns, size, content_hash FROM digests"
        ):
            known[rel] = (mtime, size, content_hash)
        known_bad: dict[str, tuple[int, int, str]] = {}
        for rel, mtime, size, content_hash in await self._all(
            "SELECT path, mtime_ns, size, content_hash FROM bad_files"
        ):
            known_bad[rel] = (mtime, size, content_hash)

        todo: list[_Todo] = []
        unchanged = 0
        for rel, (path, mtime, size) in files.items():
            old = known.get(rel) or known_bad.get(rel)
            if old is not None and old[0] == mtime and old[1] == size:
                unchanged += 1
                continue
            todo.append(_Todo(path, rel, old[2] if old else None))
        gone = [rel for rel in known if rel not in files]
        gone_bad = [rel for rel in known_bad if rel not in files]

        added = changed = 0
        errors: list[BadFile] = []
        batches = [todo[i : i + BATCH_SIZE] for i in range(0, len(todo), BATCH_SIZE)]
        # many files relative to the whole: a rebuild of the search index at the end is cheaper
        bulk = len(todo) >= BULK_MIN_FILES and len(todo) * 3 >= len(files)
        # An index built from nothing (cold start) only ever inserts items: then each batch adds
        # its own rows to the search index, in this process while the workers parse the next
        # batches, instead of a rebuild at the end that runs alone on one core. A sync that
        # replaces or deletes items must rebuild (the paused triggers miss the deletions).
        incremental = bulk and not known
        self._fts_rows_added = 0
        if bulk:
            await self._begin_bulk()
            if incremental:
                async with self.transaction() as db:
                    await db.execute("INSERT INTO items_fts(items_fts) VALUES ('delete-all')")
        complete = False  # the search index holds every item (no rebuild needed)
        try:
            async for results in self._parsed_batches(batches, root):
                a, c, u, bad = await self._write_batch(results, known, fts=incremental)
                added, changed, unchanged = added + a, changed + c, unchanged + u
                errors.extend(bad)
            if incremental:
                # every item is one this sync indexed (no other writer slipped any in)
                row = await self._one("SELECT count(*) FROM items")
                complete = bool(row) and row[0] == self._fts_rows_added
        finally:
            if bulk:
                await self._end_bulk(rebuild=not complete)
        if gone or gone_bad:
            async with self.transaction() as db:
                await db.executemany("DELETE FROM digests WHERE path = ?", [(r,) for r in gone])
                await db.executemany("DELETE FROM bad_files WHERE path = ?",
                                     [(r,) for r in gone_bad])
            for rel in gone:
                log.info("digest removed from index: %s", rel)
        report = SyncReport(added, changed, len(gone), unchanged, errors,
                            time.perf_counter() - started)
        if report.touched:
            self.index_generation += 1
            log.info("content sync: %d added, %d changed, %d removed, %d unchanged, %d bad (%.2fs)",
                     added, changed, len(gone), unchanged, len(errors), report.seconds)
        return report

    async def _parsed_batches(
        self, batches: list[list[_Todo]], root: Path
    ) -> AsyncIterator[list[_Parsed | _Same | _Bad]]:
        """Parse results batch by batch, in order, while the caller writes the previous batch.

        Parsing is CPU work (markdown-it-py is pure Python, ~2 ms for a 3 KB digest), so it never
        runs on the event loop. A large sync (cold start) uses worker processes: threads would
        share one core because of the GIL, and SQLite's FTS indexing needs the other one.
        """
        workers = _pool_workers(sum(len(b) for b in batches))
        if workers:
            loop = asyncio.get_running_loop()
            # spawn, not fork: forking a process that runs threads (aiosqlite) can deadlock
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
                futures = [loop.run_in_executor(pool, _parse_batch, b, root) for b in batches]
                try:
                    for future in futures:
                        yield await future
                finally:
                    for future in futures:
                        future.cancel()
            return
        # small syncs: a thread, one batch ahead of the writer
        pending: asyncio.Task | None = None
        try:
            for n, _ in enumerate(batches):
                if pending is None:
                    pending = asyncio.create_task(asyncio.to_thread(_parse_batch, batches[n], root))
                results = await pending
                pending = None
                if n + 1 < len(batches):
                    pending = asyncio.create_task(
                        asyncio.to_thread(_parse_batch, batches[n + 1], root))
                yield results
        finally:
            if pending is not None:
                pending.cancel()

    async def _write_batch(
        self, results: list[_Parsed | _Same | _Bad], known: dict[str, tuple[int, int, str]],
        *, fts: bool = False,
    ) -> tuple[int, int, int, list[BadFile]]:
        """fts: also add the batch's new items to the search index (bulk mode, inserts only)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added = changed = unchanged = 0
        bad: list[_Bad] = []
        async with self.transaction() as db:
            same = [r for r in results if isinstance(r, _Same)]
            parsed = [r for r in results if isinstance(r, _Parsed)]
            bad = [r for r in results if isinstance(r, _Bad)]
            unchanged = len(same)
            for table in ("digests", "bad_files"):
                await db.executemany(
                    f"UPDATE {table} SET mtime_ns = ?, size = ? WHERE path = ?",
                    [(r.stamp.mtime_ns, r.stamp.size, r.rel) for r in same],
                )
            # an id may only belong to one file: a clash (two files, same date and path hash,
            # or the same id twice in one batch) makes the later file a bad file
            if parsed:
                ids = [p.digest_id for p in parsed]
                owners = dict(await self._all(
                    f"SELECT id, path FROM digests WHERE id IN ({','.join('?' * len(ids))})", ids
                ))
                accepted: list[_Parsed] = []
                for p in parsed:
                    owner = owners.get(p.digest_id)
                    if owner is not None and owner != p.rel:
                        bad.append(_Bad(p.rel, p.stamp, f"digest id {p.digest_id} is already "
                                                        f"used by {owner}"))
                        continue
                    owners[p.digest_id] = p.rel
                    accepted.append(p)
                parsed = accepted
            await db.executemany(
                "DELETE FROM digests WHERE path = ?", [(r.rel,) for r in [*parsed, *bad]]
            )
            await db.executemany(
                "DELETE FROM bad_files WHERE path = ?", [(r.rel,) for r in parsed]
            )
            await db.executemany(
                _INSERT_DIGEST, [(p.digest_id, p.rel, *p.digest_row, now) for p in parsed]
            )
            await db.executemany(
                "INSERT OR IGNORE INTO digest_tags (digest_id, tag_norm, tag_display, position)"
                " VALUES (?, ?, ?, ?)",
                [(p.digest_id, *tag) for p in parsed for tag in p.tag_rows],
            )
            first_item = None
            if fts:
                row = await self._one("SELECT ifnull(max(id), 0) FROM items")
                first_item = int(row[0]) if row else 0
            await db.executemany(
                "INSERT INTO items (digest_id, position, section, title, text, url)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(p.digest_id, *row) for p in parsed for row in p.item_rows],
            )
            if first_item is not None:
                await db.execute("INSERT INTO items_fts(rowid, title, body, section)"
                                 " SELECT id, title, body, section FROM items_doc WHERE id > ?",
                                 (first_item,))
                self._fts_rows_added += sum(len(p.item_rows) for p in parsed)
            await db.executemany(
                "INSERT OR REPLACE INTO bad_files (path, reason, mtime_ns, size, content_hash,"
                " seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(b.rel, b.reason, b.stamp.mtime_ns, b.stamp.size, b.stamp.content_hash, now)
                 for b in bad],
            )
        for p in parsed:
            if p.rel in known:
                changed += 1
            else:
                added += 1
        for b in bad:
            log.warning("bad digest file skipped: %s: %s", b.rel, b.reason)
        return added, changed, unchanged, [BadFile(b.rel, b.reason) for b in bad]

    async def watch(
        self,
        content_dir: Path | str,
        interval: float,
        on_report: Callable[[SyncReport], Awaitable[None] | None] | None = None,
    ) -> None:
        """Sync every `interval` seconds until cancelled; a failing sync is logged, not fatal."""
        while True:
            try:
                report = await self.sync_content(content_dir)
                if on_report is not None:
                    result = on_report(report)
                    if asyncio.iscoroutine(result):
                        await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("content sync failed; retrying in %ss", interval)
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ queries

    async def get_digest(self, digest_id: str) -> DigestRecord | None:
        row = await self._one(f"SELECT {RECORD_COLUMNS} FROM digests d WHERE d.id = ?",
                              (digest_id,))
        return record_from_row(row) if row else None

    async def latest(self) -> DigestRecord | None:
        row = await self._one(f"SELECT {RECORD_COLUMNS} FROM digests d ORDER BY {NEWEST_FIRST}"
                              " LIMIT 1")
        return record_from_row(row) if row else None

    async def on_date(self, date: dt.date) -> list[DigestRecord]:
        """Every edition of that day, in publishing order (earliest first)."""
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS} FROM digests d WHERE d.date = ?"
            " ORDER BY d.published_at, d.id", (date.isoformat(),)
        )
        return [record_from_row(r) for r in rows]

    async def nearest_dates(self, date: dt.date, limit: int = 3) -> list[dt.date]:
        """Days that have a digest, closest to `date` first (ties: the later day first)."""
        rows = await self._all(
            "SELECT date FROM digests GROUP BY date"
            " ORDER BY abs(julianday(date) - julianday(?)), date DESC LIMIT ?",
            (date.isoformat(), limit),
        )
        return [dt.date.fromisoformat(r[0]) for r in rows]

    async def page(self, offset: int, limit: int) -> Page[DigestRecord]:
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS} FROM digests d ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?",
            (limit, max(offset, 0)),
        )
        return Page([record_from_row(r) for r in rows], await self.digest_count())

    async def digest_count(self) -> int:
        row = await self._one("SELECT count(*) FROM digests")
        return int(row[0]) if row else 0

    async def dates(self) -> list[dt.date]:
        """Every day that has a digest, newest first (for calendars/archives)."""
        rows = await self._all("SELECT DISTINCT date FROM digests ORDER BY date DESC")
        return [dt.date.fromisoformat(r[0]) for r in rows]

    async def bad_files(self) -> list[BadFile]:
        rows = await self._all("SELECT path, reason FROM bad_files ORDER BY path")
        return [BadFile(path, reason) for path, reason in rows]

    # ------------------------------------------------------------------ tags

    async def _tag_table(self) -> list[tuple[str, str, int]]:
        """(normalised, display, count) per tag, display = its most used spelling."""
        rows = await self._all(
            "SELECT tag_norm, tag_display, count(*) FROM digest_tags"
            " GROUP BY tag_norm, tag_display"
        )
        best: dict[str, tuple[int, str]] = {}
        total: dict[str, int] = {}
        for norm, display, count in rows:
            total[norm] = total.get(norm, 0) + count
            # most used spelling; a tie goes to the one sorting first ("Rust" over "rust")
            if norm not in best or count > best[norm][0] or (
                count == best[norm][0] and display < best[norm][1]
            ):
                best[norm] = (count, display)
        return [(norm, best[norm][1], total[norm]) for norm in total]

    async def tag_counts(self) -> list[tuple[str, int]]:
        """(display tag, digest count), most used first; case variants merged."""
        table = await self._tag_table()
        table.sort(key=lambda t: (-t[2], t[1].casefold()))
        return [(display, count) for _, display, count in table]

    async def by_tag(self, tag: str, offset: int, limit: int) -> Page[DigestRecord]:
        norm = normalize_tag(tag)
        # ids of the page first, so record columns are built for `limit` rows only
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS} FROM (SELECT d.id AS page_id FROM digests d"
            f" JOIN digest_tags g ON g.digest_id = d.id WHERE g.tag_norm = ?"
            f" ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?) AS hit"
            f" JOIN digests d ON d.id = hit.page_id ORDER BY {NEWEST_FIRST}",
            (norm, limit, max(offset, 0)),
        )
        total = await self._one("SELECT count(*) FROM digest_tags WHERE tag_norm = ?", (norm,))
        return Page([record_from_row(r) for r in rows], int(total[0]) if total else 0)

    async def similar_tags(self, tag: str, limit: int = 5) -> list[str]:
        """Display forms of existing tags that look like `tag` (for "did you mean")."""
        norm = normalize_tag(tag)
        if not norm:
            return []
        scored: list[tuple[float, int, str]] = []
        for other, display, count in await self._tag_table():
            if other == norm:
                continue
            ratio = difflib.SequenceMatcher(None, norm, other).ratio()
            if norm in other or other in norm:
                ratio = max(ratio, 0.8)  # "rust" for "rustlang": a strong hint
            if ratio >= 0.6:
                scored.append((ratio, count, display))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2].casefold()))
        return [display for _, _, display in scored[:limit]]


