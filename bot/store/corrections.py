"""Journal side of corrections: the parts a chat holds, updated one confirmed action at a time.

A correction changes `deliveries` rows of one (digest, chat, topic) only after Telegram confirmed
the action: an edit sets the row's new hash (the message id stays), an appended send adds a row
under a temporary negative part number (claimed first, like a push part, so two processes never
both send it), a deletion or a "removed" note drops the row. When the chat shows the new parts,
`renumber_parts` gives every row its new position in one transaction, so the journal then looks
exactly like a fresh push of the new version (pushes and claims keep working by part number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.store.base import StoreBase, chat_key, thread_key, thread_out

CorrectionState = str  # running | done | failed | outside_window | off | file_deleted


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class JournalRow:
    part: int  # slot: >= 0 pushed or renumbered; < 0 appended by an unfinished correction
    message_id: int
    content_hash: str | None
    kind: str | None
    media: str | None
    layout: str
    sent_at: dt.datetime
    gone: bool


@dataclass(frozen=True)
class PushedDigest:
    digest_id: str
    first_sent_at: dt.datetime
    file_hash: str | None  # current digests.content_hash (None: the file is gone)
    reconciled_hash: str | None  # what the journal was last reconciled with (None: never)
    title: str | None


@dataclass(frozen=True)
class CorrectionRecord:
    id: int
    digest_id: str
    title: str
    state: CorrectionState
    edited: int
    added: int
    removed: int
    chats: int
    failed: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


_CORRECTION_COLUMNS = (
    "id, digest_id, title, state, edited, added, removed, chats, failed, started_at, finished_at"
)


def _correction(row) -> CorrectionRecord:
    edited, added, removed, chats, failed = (int(v) for v in row[4:9])
    return CorrectionRecord(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        edited,
        added,
        removed,
        chats,
        failed,
        dt.datetime.fromisoformat(row[9]),
        dt.datetime.fromisoformat(row[10]) if row[10] else None,
    )


class CorrectionsMixin(StoreBase):
    # -- what needs looking at -------------------------------------------------------------
    async def pushed_digests(self) -> list[PushedDigest]:
        """Every digest with journal rows whose file changed (or vanished) since the journal was
        last reconciled with it."""
        rows = await self._all(
            "SELECT j.digest_id, j.first, d.content_hash, r.file_hash, d.title FROM"
            " (SELECT digest_id, min(sent_at) AS first FROM deliveries GROUP BY digest_id) j"
            " LEFT JOIN digests d ON d.id = j.digest_id"
            " LEFT JOIN reconciled r ON r.digest_id = j.digest_id"
            " WHERE r.file_hash IS NULL OR r.file_hash IS NOT ifnull(d.content_hash, '')"
        )
        return [PushedDigest(r[0], dt.datetime.fromisoformat(r[1]), r[2], r[3], r[4]) for r in rows]

    async def mark_reconciled(self, digest_id: str, file_hash: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO reconciled (digest_id, file_hash) VALUES (?, ?)",
                (digest_id, file_hash),
            )

    async def delivered_targets(self, digest_id: str) -> list[tuple[int | str, int | None]]:
        rows = await self._all(
            "SELECT DISTINCT chat_id, thread_id FROM deliveries"
            " WHERE digest_id = ? ORDER BY chat_id, thread_id",
            (digest_id,),
        )
        return [(r[0], thread_out(r[1])) for r in rows]

    async def push_pending(self, digest_id: str, chat_id: int | str, thread_id: int | None) -> bool:
        """A push job of this digest to that target is still running (the push finishes it
        with the current file; correcting now would race with it)."""
        row = await self._one(
            "SELECT 1 FROM push_job_targets t JOIN push_jobs j ON j.id = t.job_id"
            " WHERE j.digest_id = ? AND t.chat_id = ? AND t.thread_id = ?"
            " AND j.state = 'running' AND t.state = 'pending'",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return row is not None

    async def digest_push_running(self, digest_id: str) -> bool:
        """A push job of this digest is unfinished: a correction waits until it is done (the
        push sends the current version; the journal is complete only then)."""
        return (
            await self._one(
                "SELECT 1 FROM push_jobs WHERE digest_id = ? AND state = 'running'", (digest_id,)
            )
            is not None
        )

    # -- one target's rows -----------------------------------------------------------------
    async def journal_rows(
        self, digest_id: str, chat_id: int | str, thread_id: int | None
    ) -> list[JournalRow]:
        """Rows in chat order: pushed parts by number, then parts a correction appended."""
        rows = await self._all(
            "SELECT part, message_id, content_hash, kind, media, layout, sent_at, gone"
            " FROM deliveries WHERE digest_id = ? AND chat_id = ? AND thread_id = ?"
            " ORDER BY part < 0, abs(part)",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return [
            JournalRow(
                int(r[0]),
                int(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                dt.datetime.fromisoformat(r[6]),
                bool(r[7]),
            )
            for r in rows
        ]

    async def set_part(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        part: int,
        *,
        content_hash: str,
        kind: str | None,
        media: str | None,
        message_id: int | None = None,
        gone: bool | None = None,
    ) -> None:
        """Telegram confirmed the part shows `content_hash` (or that its message is gone)."""
        sets = ["content_hash = ?", "kind = ?", "media = ?"]
        args: list[str | int | None] = [content_hash, kind, media]
        if message_id is not None:
            sets.append("message_id = ?")
            args.append(message_id)
        if gone is not None:
            sets.append("gone = ?")
            args.append(int(gone))
        async with self.transaction() as db:
            await db.execute(
                f"UPDATE deliveries SET {', '.join(sets)} WHERE digest_id = ? AND chat_id = ?"
                " AND thread_id = ? AND part = ?",
                (*args, digest_id, chat_key(chat_id), thread_key(thread_id), part),
            )

    async def hash_count(
        self, digest_id: str, chat_id: int | str, thread_id: int | None, content_hash: str
    ) -> int:
        """How many messages of that chat are journaled as showing this part (by anyone)."""
        row = await self._one(
            "SELECT count(*) FROM deliveries WHERE digest_id = ? AND chat_id = ?"
            " AND thread_id = ? AND content_hash = ?",
            (digest_id, chat_key(chat_id), thread_key(thread_id), content_hash),
        )
        return int(row[0]) if row else 0

    async def drop_part(
        self, digest_id: str, chat_id: int | str, thread_id: int | None, part: int
    ) -> None:
        """The part's message was deleted or turned into a "removed" note."""
        async with self.transaction() as db:
            await db.execute(
                "DELETE FROM deliveries WHERE digest_id = ? AND chat_id = ?"
                " AND thread_id = ? AND part = ?",
                (digest_id, chat_key(chat_id), thread_key(thread_id), part),
            )

    async def set_part_meta(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        parts: dict[int, tuple[str, str, str | None]],
    ) -> None:
        """Rows journaled before v6 (no hash or kind): adopt part -> (hash, kind, media)."""
        key = (digest_id, chat_key(chat_id), thread_key(thread_id))
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE deliveries SET content_hash = ifnull(content_hash, ?),"
                " kind = ifnull(kind, ?), media = ifnull(media, ?)"
                " WHERE digest_id = ? AND chat_id = ? AND thread_id = ? AND part = ?",
                [(h, k, m, *key, part) for part, (h, k, m) in parts.items()],
            )

    async def renumber_parts(
        self, digest_id: str, chat_id: int | str, thread_id: int | None, positions: dict[int, int]
    ) -> bool:
        """slot -> new position for every row, in one transaction. False (nothing changed) when
        the rows are not exactly the slots named."""
        key = (digest_id, chat_key(chat_id), thread_key(thread_id))
        where = "digest_id = ? AND chat_id = ? AND thread_id = ?"
        # park every row on a number no position or temporary slot uses, then place it
        park = 1_000_000_000
        async with self.transaction() as db:
            # another process may have renumbered since the caller looked: then the mapping
            # is stale and applying it would drop rows; leave it, the next look sees no work
            async with db.execute(f"SELECT part FROM deliveries WHERE {where}", key) as cur:
                present = {int(r[0]) for r in await cur.fetchall()}
            if present != set(positions):
                return False
            await db.execute(f"UPDATE deliveries SET part = -? - part WHERE {where}", (park, *key))
            await db.executemany(
                f"UPDATE deliveries SET part = ? WHERE {where} AND part = ?",
                [(pos, *key, -park - slot) for slot, pos in positions.items()],
            )
            await db.execute(
                f"DELETE FROM deliveries WHERE {where} AND part <= ?", (*key, -park // 2)
            )
        return True

    # -- correction records ------------------------------------------------------------------
    async def open_correction(
        self, digest_id: str, title: str, file_hash: str, state: CorrectionState = "running"
    ) -> CorrectionRecord:
        """The running correction of this digest version (resumed after a crash), else a new
        row in `state`."""
        row = await self._one(
            f"SELECT {_CORRECTION_COLUMNS} FROM corrections WHERE digest_id = ? AND"
            " file_hash = ? AND state = 'running' ORDER BY id DESC LIMIT 1",
            (digest_id, file_hash),
        )
        if row is not None and state == "running":
            return _correction(row)
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO corrections (digest_id, title, file_hash, state, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest_id, title, file_hash, state, _now_iso()),
            )
            new_id = cur.lastrowid
        found = await self._one(
            f"SELECT {_CORRECTION_COLUMNS} FROM corrections WHERE id = ?", (new_id,)
        )
        assert found is not None
        return _correction(found)

    async def running_corrections(self, digest_id: str) -> list[CorrectionRecord]:
        rows = await self._all(
            f"SELECT {_CORRECTION_COLUMNS} FROM corrections"
            " WHERE digest_id = ? AND state = 'running'",
            (digest_id,),
        )
        return [_correction(r) for r in rows]

    async def forget_correction(self, correction_id: int) -> None:
        """A correction row that did nothing (paused, then found nothing left to do)."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM corrections WHERE id = ?", (correction_id,))

    async def add_to_correction(
        self,
        correction_id: int,
        *,
        edited: int = 0,
        added: int = 0,
        removed: int = 0,
        chats: int = 0,
        failed: int = 0,
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE corrections SET edited = edited + ?, added = added + ?,"
                " removed = removed + ?, chats = chats + ?, failed = failed + ? WHERE id = ?",
                (edited, added, removed, chats, failed, correction_id),
            )

    async def finish_correction(self, correction_id: int, state: CorrectionState) -> bool:
        """Close the row; True the first time (the admins are told exactly then)."""
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE corrections SET state = ?, finished_at = ?, notified = 1"
                " WHERE id = ? AND notified = 0",
                (state, _now_iso(), correction_id),
            )
            return cur.rowcount > 0

    async def get_correction(self, correction_id: int) -> CorrectionRecord | None:
        row = await self._one(
            f"SELECT {_CORRECTION_COLUMNS} FROM corrections WHERE id = ?", (correction_id,)
        )
        return _correction(row) if row else None

    async def last_corrections(self, limit: int = 5) -> list[CorrectionRecord]:
        rows = await self._all(
            f"SELECT {_CORRECTION_COLUMNS} FROM corrections ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_correction(r) for r in rows]
