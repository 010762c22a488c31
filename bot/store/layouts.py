"""Layouts chosen with /layout: per chat or forum topic (a chat admin's choice for a push
target) and per private reader (chat id = user id: their /today, /digest, deep links and
subscription). A chat with no row uses its DIGEST_CHATS layout, else DIGEST_LAYOUT."""

from __future__ import annotations

import datetime as dt

from bot.store.base import StoreBase, chat_key, thread_key, thread_out


class LayoutsMixin(StoreBase):
    async def set_layout(
        self,
        chat_id: int | str,
        thread_id: int | None,
        layout: str,
        *,
        chosen_by: int | None = None,
    ) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO layout_choices (chat_id, thread_id, layout, chosen_by, chosen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE SET"
                " layout = excluded.layout, chosen_by = excluded.chosen_by,"
                " chosen_at = excluded.chosen_at",
                (chat_key(chat_id), thread_key(thread_id), layout, chosen_by, now),
            )

    async def chosen_layout(self, chat_id: int | str, thread_id: int | None) -> str | None:
        """The layout chosen for exactly this chat/topic, None if none was."""
        row = await self._one(
            "SELECT layout FROM layout_choices WHERE chat_id = ? AND thread_id = ?",
            (chat_key(chat_id), thread_key(thread_id)),
        )
        return str(row[0]) if row else None

    async def chosen_layouts(self) -> dict[tuple[int | str, int | None], str]:
        rows = await self._all("SELECT chat_id, thread_id, layout FROM layout_choices")
        return {(r[0], thread_out(r[1])): str(r[2]) for r in rows}

    async def move_layout_choices(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """A migrated group keeps its choice (a choice already under the new id wins)."""
        old, new = chat_key(old_chat_id), chat_key(new_chat_id)
        if old == new:
            return
        async with self.transaction() as db:
            await db.execute(
                "UPDATE OR IGNORE layout_choices SET chat_id = ? WHERE chat_id = ?", (new, old)
            )
            await db.execute("DELETE FROM layout_choices WHERE chat_id = ?", (old,))

    # -- the layout of each target's push (the journal and the job rows) -----------------------
    async def journal_layout(
        self, digest_id: str, chat_id: int | str, thread_id: int | None
    ) -> str | None:
        """The layout the parts of `digest_id` already delivered there were sent in (None:
        nothing delivered yet). 'classic' (rows before layouts) is `sections`."""
        row = await self._one(
            "SELECT layout FROM deliveries WHERE digest_id = ? AND chat_id = ? AND thread_id = ?"
            " ORDER BY part LIMIT 1",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return normal_layout(row[0]) if row else None

    async def unfinished_layout(
        self, digest_id: str, chat_id: int | str, thread_id: int | None
    ) -> str | None:
        """The layout an unfinished push of `digest_id` to chat/thread started with (the
        newest such job; its owner may have died mid-push), None if there is none."""
        row = await self._one(
            "SELECT t.layout FROM push_job_targets t JOIN push_jobs j ON j.id = t.job_id"
            " WHERE j.digest_id = ? AND j.state = 'running' AND t.state = 'pending'"
            " AND t.chat_id = ? AND t.thread_id = ? ORDER BY j.id DESC LIMIT 1",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return normal_layout(row[0]) if row else None

    async def job_target_layouts(self, job_id: int) -> dict[tuple[int | str, int | None], str]:
        rows = await self._all(
            "SELECT chat_id, thread_id, layout FROM push_job_targets WHERE job_id = ?", (job_id,)
        )
        return {(r[0], thread_out(r[1])): normal_layout(r[2]) for r in rows}

    async def set_job_target_layout(
        self, job_id: int, chat_id: int | str, thread_id: int | None, layout: str
    ) -> None:
        """A target's push switched layout before its first part (rich refused -> compact)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE push_job_targets SET layout = ? WHERE job_id = ? AND chat_id = ?"
                " AND thread_id = ?",
                (layout, job_id, chat_key(chat_id), thread_key(thread_id)),
            )


def normal_layout(stored: str) -> str:
    # wt7's schema names the classic cut 'classic' (the catalogue's name): it is `sections`
    return "sections" if stored == "classic" else str(stored)
