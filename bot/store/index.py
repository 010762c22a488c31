"""The digest index in SQL: rows of parsed files written per batch, and the digest/tag queries.

Which files to parse, and parsing them, is bot.ingest's job: the store never reads markdown.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store.base import StoreBase
from bot.store.records import BadFile, DigestRecord, Page
from bot.tagnorm import normalize_tag

log = logging.getLogger("digestbot.store")

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
class FileStamp:
    mtime_ns: int
    size: int
    content_hash: str


@dataclass(frozen=True)
class FileTodo:
    path: Path
    rel: str
    known_hash: str | None  # hash of the indexed version, if any


@dataclass(frozen=True)
class ParsedFile:
    """A parsed file, already as table rows: cheap to pickle back from a worker process."""

    rel: str
    stamp: FileStamp
    digest_id: str
    digest_row: tuple  # digests columns after `id, path` (see _INSERT_DIGEST)
    tag_rows: list[tuple[str, str, int]]  # (tag_norm, tag_display, position)
    item_rows: list[tuple]  # (position, section, title, text, url)


@dataclass(frozen=True)
class SameFile:
    """Stamp changed (touched, copied) but the bytes are identical: no parse needed."""

    rel: str
    stamp: FileStamp


@dataclass(frozen=True)
class BrokenFile:
    """A file that is not in the index: it cannot be a digest, or it is a draft (not
    published, not an error: listed apart, `Store.drafts()`)."""

    rel: str
    stamp: FileStamp
    reason: str
    draft: bool = False


_INSERT_DIGEST = (
    "INSERT INTO digests (id, path, date, published_at, title, summary, category,"
    " content_hash, mtime_ns, size, sections, indexed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class IndexMixin(StoreBase):
    # ------------------------------------------------------------------ writes (bot.ingest drives)

    async def file_stamps(
        self,
    ) -> tuple[dict[str, tuple[int, int, str]], dict[str, tuple[int, int, str]]]:
        """(indexed, bad): rel path -> (mtime_ns, size, content_hash) of every known file."""
        known = {
            rel: (mtime, size, h)
            for rel, mtime, size, h in await self._all(
                "SELECT path, mtime_ns, size, content_hash FROM digests"
            )
        }
        known_bad = {
            rel: (mtime, size, h)
            for rel, mtime, size, h in await self._all(
                "SELECT path, mtime_ns, size, content_hash FROM bad_files"
            )
        }
        return known, known_bad

    async def clear_search_index(self) -> None:
        async with self.transaction() as db:
            await db.execute("INSERT INTO items_fts(items_fts) VALUES ('delete-all')")

    async def item_count(self) -> int:
        row = await self._one("SELECT count(*) FROM items")
        return int(row[0]) if row else 0

    async def remove_files(self, gone: Sequence[str], gone_bad: Sequence[str]) -> None:
        async with self.transaction() as db:
            await db.executemany("DELETE FROM digests WHERE path = ?", [(r,) for r in gone])
            await db.executemany("DELETE FROM bad_files WHERE path = ?", [(r,) for r in gone_bad])

    async def write_batch(
        self,
        results: Sequence[ParsedFile | SameFile | BrokenFile],
        known: dict[str, tuple[int, int, str]],
        *,
        fts: bool = False,
    ) -> tuple[int, int, int, list[BadFile], list[str]]:
        """-> (added, changed, unchanged, bad files, drafts) of the batch. fts: also add the
        batch's new items to the search index (bulk mode, inserts only)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added = changed = unchanged = 0
        bad: list[BrokenFile] = []
        async with self.transaction() as db:
            same = [r for r in results if isinstance(r, SameFile)]
            parsed = [r for r in results if isinstance(r, ParsedFile)]
            bad = [r for r in results if isinstance(r, BrokenFile)]
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
                owners = {
                    digest_id: rel
                    for digest_id, rel in await self._all(
                        f"SELECT id, path FROM digests WHERE id IN ({','.join('?' * len(ids))})",
                        ids,
                    )
                }
                accepted: list[ParsedFile] = []
                for p in parsed:
                    owner = owners.get(p.digest_id)
                    if owner is not None and owner != p.rel:
                        bad.append(
                            BrokenFile(
                                p.rel,
                                p.stamp,
                                f"digest id {p.digest_id} is already used by {owner}",
                            )
                        )
                        continue
                    owners[p.digest_id] = p.rel
                    accepted.append(p)
                parsed = accepted
            await db.executemany(
                "DELETE FROM digests WHERE path = ?",
                [(r.rel,) for r in parsed] + [(r.rel,) for r in bad],
            )
            await db.executemany("DELETE FROM bad_files WHERE path = ?", [(r.rel,) for r in parsed])
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
                await db.execute(
                    "INSERT INTO items_fts(rowid, title, body, section)"
                    " SELECT id, title, body, section FROM items_doc WHERE id > ?",
                    (first_item,),
                )
                self.fts_rows_added += sum(len(p.item_rows) for p in parsed)
            await db.executemany(
                "INSERT OR REPLACE INTO bad_files (path, reason, mtime_ns, size, content_hash,"
                " seen_at, draft) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        b.rel,
                        b.reason,
                        b.stamp.mtime_ns,
                        b.stamp.size,
                        b.stamp.content_hash,
                        now,
                        int(b.draft),
                    )
                    for b in bad
                ],
            )
        for p in parsed:
            if p.rel in known:
                changed += 1
            else:
                added += 1
        drafts = [b.rel for b in bad if b.draft]
        for rel in drafts:
            log.info("draft skipped (not published): %s", rel)
        bad = [b for b in bad if not b.draft]
        for b in bad:
            log.warning("bad digest file skipped: %s: %s", b.rel, b.reason)
        return added, changed, unchanged, [BadFile(b.rel, b.reason) for b in bad], drafts

    # ------------------------------------------------------------------ queries

    async def get_digest(self, digest_id: str) -> DigestRecord | None:
        row = await self._one(
            f"SELECT {RECORD_COLUMNS} FROM digests d WHERE d.id = ?", (digest_id,)
        )
        return record_from_row(row) if row else None

    async def latest(self) -> DigestRecord | None:
        row = await self._one(
            f"SELECT {RECORD_COLUMNS} FROM digests d ORDER BY {NEWEST_FIRST} LIMIT 1"
        )
        return record_from_row(row) if row else None

    async def on_date(self, date: dt.date) -> list[DigestRecord]:
        """Every edition of that day, in publishing order (earliest first)."""
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS} FROM digests d WHERE d.date = ?"
            " ORDER BY d.published_at, d.id",
            (date.isoformat(),),
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

    async def bad_files(self) -> list[BadFile]:
        """Every file that cannot be a digest now (drafts are not errors: drafts())."""
        rows = await self._all("SELECT path, reason FROM bad_files WHERE draft = 0 ORDER BY path")
        return [BadFile(path, reason) for path, reason in rows]

    async def drafts(self) -> list[str]:
        """The files marked `draft: true` (not published), by path."""
        return [
            r[0]
            for r in await self._all("SELECT path FROM bad_files WHERE draft = 1 ORDER BY path")
        ]

    # ------------------------------------------------------------------ tags

    async def _tag_table(self) -> list[tuple[str, str, int]]:
        """(normalised, display, count) per tag, display = its most used spelling."""
        rows = await self._all(
            "SELECT tag_norm, tag_display, count(*) FROM digest_tags GROUP BY tag_norm, tag_display"
        )
        best: dict[str, tuple[int, str]] = {}
        total: dict[str, int] = {}
        for norm, display, count in rows:
            total[norm] = total.get(norm, 0) + count
            # most used spelling; a tie goes to the one sorting first ("Rust" over "rust")
            if (
                norm not in best
                or count > best[norm][0]
                or (count == best[norm][0] and display < best[norm][1])
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
