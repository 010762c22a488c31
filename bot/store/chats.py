"""Per-chat settings: the language a chat admin chose with /language (schema v7)."""

from __future__ import annotations

import datetime as dt

from bot.store.base import StoreBase, chat_key


class ChatSettingsMixin(StoreBase):
    async def chat_language(self, chat_id: int | str) -> str | None:
        """The language set for this chat, or None (use the default)."""
        cache = self._languages()
        key = chat_key(chat_id)
        if key not in cache:  # read once per chat: every update asks
            row = await self._one("SELECT language FROM chat_settings WHERE chat_id = ?", (key,))
            cache[key] = row[0] if row else None
        return cache[key]

    async def set_chat_language(self, chat_id: int | str, language: str | None) -> None:
        key = chat_key(chat_id)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO chat_settings (chat_id, language, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET language = excluded.language,"
                " updated_at = excluded.updated_at",
                (key, language, now),
            )
        self._languages()[key] = language

    def _languages(self) -> dict[int | str, str | None]:
        # only this connection writes chat settings (the bot's main store), so its cache is true
        cache = self.__dict__.setdefault("_chat_languages", {})
        return cache
