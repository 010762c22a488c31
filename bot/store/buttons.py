"""Texts behind button keys (bot.reader.keys): kept in the database, so they outlive restarts."""

from __future__ import annotations

import datetime as dt

from bot.store.base import StoreBase

KEPT_TEXTS = 50_000  # the most recently used keys kept; older buttons say "expired"


class ButtonsMixin(StoreBase):
    async def remember_text(self, key: str, text: str) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO button_texts (key, text, used_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET text = excluded.text, used_at = excluded.used_at",
                (key, text, now),
            )
            await db.execute(
                "DELETE FROM button_texts WHERE used_at < (SELECT used_at FROM button_texts"
                " ORDER BY used_at DESC LIMIT 1 OFFSET ?)",
                (KEPT_TEXTS - 1,),
            )

    async def recall_text(self, key: str) -> str | None:
        row = await self._one("SELECT text FROM button_texts WHERE key = ?", (key,))
        return str(row[0]) if row else None
