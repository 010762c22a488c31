"""The delivery journal: one row per message delivered; failures kept for /status."""

from __future__ import annotations

import datetime as dt

from bot.store.base import StoreBase, chat_key, thread_key, thread_out
from bot.store.records import PushSummary
from bot.store.targets import TARGET_COLUMNS, target_from_row

ERROR_MAX_CHARS = 500


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class JournalMixin(StoreBase):
    async def delivered_parts(
        self, digest_id: str, chat_id: int | str, thread_id: int | None
    ) -> dict[int, int]:
        """part -> message_id of every part of this digest already delivered there."""
        rows = await self._all(
            "SELECT part, message_id FROM deliveries"
            " WHERE digest_id = ? AND chat_id = ? AND thread_id = ? ORDER BY part",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return {part: message_id for part, message_id in rows}

    async def record_delivery(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        part: int,
        message_id: int,
    ) -> bool:
        """Journal one delivered message; durable (committed) when this returns.

        Returns False, keeping the first row, if that part was already recorded: the UNIQUE
        key makes a second record impossible, and a push should never have sent it again.
        """
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO deliveries"
                " (digest_id, chat_id, thread_id, part, message_id, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (digest_id, chat_key(chat_id), thread_key(thread_id), part, message_id, _now()),
            )
            inserted = cur.rowcount > 0
        return inserted

    async def record_failure(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        part: int | None,
        error: str,
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO failures (digest_id, chat_id, thread_id, part, error, failed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    digest_id,
                    chat_key(chat_id),
                    thread_key(thread_id),
                    part,
                    str(error)[:ERROR_MAX_CHARS],
                    _now(),
                ),
            )

    async def deliveries_in_chat(
        self, digest_id: str, chat_id: int | str
    ) -> list[tuple[int | None, int]]:
        """(thread_id, message id of the first part delivered) per topic of that chat."""
        rows = await self._all(
            "SELECT thread_id, message_id FROM deliveries d WHERE digest_id = ? AND chat_id = ?"
            " AND part = (SELECT min(part) FROM deliveries e WHERE e.digest_id = d.digest_id"
            " AND e.chat_id = d.chat_id AND e.thread_id = d.thread_id) ORDER BY thread_id",
            (digest_id, chat_key(chat_id)),
        )
        return [(thread_out(thread), message_id) for thread, message_id in rows]

    async def last_push_per_target(self) -> list[PushSummary]:
        """Per target (active first): its latest digest push, parts delivered, failures."""
        summaries: list[PushSummary] = []
        targets = await self._all(f"SELECT {TARGET_COLUMNS} FROM targets ORDER BY active DESC, id")
        for row in targets:
            target = target_from_row(row)
            key = (chat_key(target.chat_id), thread_key(target.thread_id))
            last_ok = await self._one(
                "SELECT digest_id, sent_at FROM deliveries WHERE chat_id = ? AND thread_id = ?"
                " ORDER BY sent_at DESC LIMIT 1",
                key,
            )
            last_bad = await self._one(
                "SELECT digest_id, failed_at, error FROM failures"
                " WHERE chat_id = ? AND thread_id = ? ORDER BY id DESC LIMIT 1",
                key,
            )
            # the digest of the latest event, delivery or failure
            if last_ok and (not last_bad or last_ok[1] >= last_bad[1]):
                digest_id: str | None = last_ok[0]
            else:
                digest_id = last_bad[0] if last_bad else None
            parts = failures = 0
            if digest_id is not None:
                parts_row = await self._one(
                    "SELECT count(*) FROM deliveries WHERE digest_id = ? AND chat_id = ?"
                    " AND thread_id = ?",
                    (digest_id, *key),
                )
                fail_row = await self._one(
                    "SELECT count(*) FROM failures WHERE digest_id = ? AND chat_id = ?"
                    " AND thread_id = ?",
                    (digest_id, *key),
                )
                parts = int(parts_row[0]) if parts_row else 0
                failures = int(fail_row[0]) if fail_row else 0
            summaries.append(
                PushSummary(
                    target=target,
                    digest_id=digest_id,
                    parts_delivered=parts,
                    last_sent_at=dt.datetime.fromisoformat(last_ok[1]) if last_ok else None,
                    failures=failures,
                    last_error=last_bad[2] if last_bad else None,
                )
            )
        return summaries
