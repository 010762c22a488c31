"""Ingestion: the digest index follows the content folder.

Scan the folder, parse new and changed files (a thread, or worker processes for a cold start) and
hand the rows to the store, which only writes SQL. `sync_content` once, `watch` in a loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.digest.items import extract_items_and_sections, head_text
from bot.digest.limits import current_limits
from bot.digest.loader import DraftError, load_digest, scan_digest_files
from bot.digest.model import Digest, DigestError
from bot.digest.tags import normalize_tag
from bot.store import Store
from bot.store.index import BrokenFile, FileStamp, FileTodo, ParsedFile, SameFile
from bot.store.records import BadFile, SyncReport
from bot.workers import init_worker

log = logging.getLogger("digestbot.store")

BATCH_SIZE = 250  # files parsed per worker hop and written per transaction
PROCESS_POOL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
BULK_MIN_FILES = 500  # from this many files to parse, rebuild the search index once at the end


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def _rows(digest: Digest, stamp: FileStamp, rel: str) -> ParsedFile:
    items, sections = extract_items_and_sections(digest)
    digest_row = (
        digest.date.isoformat(),
        digest.published_at.isoformat() if digest.published_at else None,
        digest.title,
        digest.summary,
        digest.category,
        stamp.content_hash,
        stamp.mtime_ns,
        stamp.size,
        json.dumps(sections, ensure_ascii=False),
    )
    tag_rows = [(normalize_tag(tag), tag, n) for n, tag in enumerate(digest.tags)]
    # position 0: the digest itself (title, plain summary, seo/keywords), searchable like items
    item_rows: list[tuple[int, str | None, str, str, str | None]] = [
        (0, None, digest.title, head_text(digest), None)
    ]
    item_rows.extend(
        (n, item.section, item.title, item.text, item.url) for n, item in enumerate(items, 1)
    )
    return ParsedFile(rel, stamp, digest.id, digest_row, [t for t in tag_rows if t[0]], item_rows)


def _parse_one(todo: FileTodo, root: Path) -> ParsedFile | SameFile | BrokenFile:
    """Runs in a worker: read, hash, and only if the bytes changed, parse."""
    try:
        st = os.stat(todo.path)
        data = todo.path.read_bytes()
    except OSError as exc:
        return BrokenFile(
            todo.rel, FileStamp(-1, -1, ""), f"cannot read file ({exc.strerror or exc})"
        )
    stamp = FileStamp(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())
    if stamp.content_hash == todo.known_hash:
        return SameFile(todo.rel, stamp)
    try:
        return _rows(load_digest(todo.path, root), stamp, todo.rel)
    except DraftError as exc:  # not published, and not an error either
        return BrokenFile(todo.rel, stamp, exc.reason, draft=True)
    except DigestError as exc:
        return BrokenFile(todo.rel, stamp, exc.reason)
    except Exception as exc:  # a loader bug must not stop the other files
        log.exception("unexpected error loading %s", todo.rel)
        return BrokenFile(todo.rel, stamp, f"internal error: {type(exc).__name__}: {exc}")


def _parse_batch(batch: list[FileTodo], root: Path) -> list[ParsedFile | SameFile | BrokenFile]:
    return [_parse_one(todo, root) for todo in batch]


def _list_files(root: Path) -> tuple[dict[str, tuple[Path, int, int]], dict[str, str]]:
    """rel path -> (path, mtime_ns, size), and rel path -> reason for what could not be looked
    at (symlink loops, unreadable folders: scan_digest_files). Runs in a thread: stat of 10k
    files takes a while."""
    found: dict[str, tuple[Path, int, int]] = {}
    paths, problems = scan_digest_files(root)
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat: it is simply not there
        found[_rel(path, root)] = (path, st.st_mtime_ns, st.st_size)
    return found, {_rel(Path(p.path), root): p.reason for p in problems}


def _pool_workers(files: int) -> int:
    """Worker processes for a sync of `files` files; 0 = parse in a thread instead."""
    cpus = os.cpu_count() or 1
    if files < PROCESS_POOL_MIN_FILES or cpus < 2:
        return 0
    return min(cpus, 4)


# ---------------------------------------------------------------- sync


async def sync_content(store: Store, content_dir: Path | str) -> SyncReport:
    """Make the index match the folder: add new, re-parse changed, drop deleted files."""
    async with store.sync_lock:
        return await _sync(store, Path(content_dir))


async def _sync(store: Store, content_dir: Path) -> SyncReport:
    started = time.perf_counter()
    root = Path(content_dir)
    if not await asyncio.to_thread(root.is_dir):
        # an unmounted or mistyped folder must not wipe the index: report and keep it
        log.error("content folder %s does not exist; index left as it is", root)
        return SyncReport(errors=[BadFile(str(root), "content folder does not exist")])
    files, unlisted = await asyncio.to_thread(_list_files, root)
    known, known_bad = await store.file_stamps()
    # symlink loops, unreadable folders: bad files too (in /status), recorded once
    scan_problems = [
        BrokenFile(rel, FileStamp(-1, -1, ""), reason)
        for rel, reason in unlisted.items()
        if rel not in known_bad
    ]

    todo: list[FileTodo] = []
    unchanged = 0
    for rel, (path, mtime, size) in files.items():
        old = known.get(rel) or known_bad.get(rel)
        if old is not None and old[0] == mtime and old[1] == size:
            unchanged += 1
            continue
        todo.append(FileTodo(path, rel, old[2] if old else None))
    gone = [rel for rel in known if rel not in files]
    gone_bad = [rel for rel in known_bad if rel not in files and rel not in unlisted]

    added = changed = 0
    errors: list[BadFile] = []
    drafts: list[str] = []
    batches = [todo[i : i + BATCH_SIZE] for i in range(0, len(todo), BATCH_SIZE)]
    # many files relative to the whole: a rebuild of the search index at the end is cheaper
    bulk = len(todo) >= BULK_MIN_FILES and len(todo) * 3 >= len(files)
    # An index built from nothing (cold start) only ever inserts items: then each batch adds
    # its own rows to the search index, in this process while the workers parse the next
    # batches, instead of a rebuild at the end that runs alone on one core. A sync that
    # replaces or deletes items must rebuild (the paused triggers miss the deletions).
    incremental = bulk and not known
    store.fts_rows_added = 0
    if bulk:
        await store.begin_bulk()
        if incremental:
            await store.clear_search_index()
    complete = False  # the search index holds every item (no rebuild needed)
    if scan_problems:
        _, _, _, bad, _ = await store.write_batch(scan_problems, known, fts=False)
        errors.extend(bad)
    try:
        async for results in _parsed_batches(batches, root):
            a, c, u, bad, new_drafts = await store.write_batch(results, known, fts=incremental)
            added, changed, unchanged = added + a, changed + c, unchanged + u
            errors.extend(bad)
            drafts.extend(new_drafts)
        if incremental:
            # every item is one this sync indexed (no other writer slipped any in)
            complete = await store.item_count() == store.fts_rows_added
    finally:
        if bulk:
            await store.end_bulk(rebuild=not complete)
    if gone or gone_bad:
        await store.remove_files(gone, gone_bad)
        for rel in gone:
            log.info("digest removed from index: %s", rel)
    report = SyncReport(
        added, changed, len(gone), unchanged, errors, time.perf_counter() - started, drafts
    )
    if report.touched:
        store.index_generation += 1
        log.info(
            "content sync: %d added, %d changed, %d removed, %d unchanged, %d bad, %d drafts"
            " (%.2fs)",
            added,
            changed,
            len(gone),
            unchanged,
            len(errors),
            len(drafts),
            report.seconds,
        )
    return report


async def _parsed_batches(
    batches: list[list[FileTodo]], root: Path
) -> AsyncIterator[list[ParsedFile | SameFile | BrokenFile]]:
    """Parse results batch by batch, in order, while the caller writes the previous batch.

    Parsing is CPU work (markdown-it-py is pure Python, ~2 ms for a 3 KB digest), so it never
    runs on the event loop. A large sync (cold start) uses worker processes: threads would
    share one core because of the GIL, and SQLite's FTS indexing needs the other one.
    """
    workers = _pool_workers(sum(len(b) for b in batches))
    if workers:
        loop = asyncio.get_running_loop()
        # spawn, not fork: forking a process that runs threads (aiosqlite) can deadlock
        # the workers die with this process (bot.workers) and parse under its size limits
        with ProcessPoolExecutor(
            workers,
            mp_context=mp.get_context("spawn"),
            initializer=init_worker,
            initargs=(os.getpid(), current_limits()),
        ) as pool:
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
                pending = asyncio.create_task(asyncio.to_thread(_parse_batch, batches[n + 1], root))
            yield results
    finally:
        if pending is not None:
            pending.cancel()


async def watch(
    store: Store,
    content_dir: Path | str,
    interval: float,
    on_report: Callable[[SyncReport], Awaitable[None] | None] | None = None,
) -> None:
    """Sync every `interval` seconds until cancelled; a failing sync is logged, not fatal."""
    while True:
        try:
            report = await sync_content(store, content_dir)
            if on_report is not None:
                result = on_report(report)
                if asyncio.iscoroutine(result):
                    await result
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("content sync failed; retrying in %ss", interval)
        await asyncio.sleep(interval)
