"""Delivery targets: chats/channels/forum topics from the config or from /subscribe."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.store.base import StoreBase, chat_key, thread_key, thread_out
from bot.store.records import Target, TargetSource

if TYPE_CHECKING:
    from bot.config import ChatTarget

log = logging.getLogger("digestbot.store")

TARGET_COLUMNS = "chat_id, thread_id, source, active, title, deactivated_reason"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def target_from_row(row: Sequence) -> Target:
    return Target(
        chat_id=row[0],
        thread_id=thread_out(row[1]),
        source=row[2],
        active=bool(row[3]),
        title=row[4],
        deactivated_reason=row[5],
    )


class TargetsMixin(StoreBase):
    async def upsert_target(
        self,
        chat_id: int | str,
        thread_id: int | None,
        source: TargetSource,
        title: str | None = None,
    ) -> Target:
        """Add a target or reactivate it. 'config' is sticky: a config target that someone
        also subscribes stays 'config' (so /unsubscribe cannot remove it)."""
        if source not in ("config", "subscribe"):
            raise ValueError(f"source must be 'config' or 'subscribe', not {source!r}")
        chat, thread, now = chat_key(chat_id), thread_key(thread_id), _now()
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO targets (chat_id, thread_id, source, active, title, created_at,"
                " updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT (chat_id, thread_id) DO UPDATE SET active = 1,"
                " deactivated_reason = NULL, updated_at = excluded.updated_at,"
                " title = coalesce(excluded.title, title),"
                " source = CASE WHEN source = 'config' THEN 'config' ELSE excluded.source END",
                (chat, thread, source, title, now, now),
            )
            row = await self._one(
                f"SELECT {TARGET_COLUMNS} FROM targets WHERE chat_id = ? AND thread_id = ?",
                (chat, thread),
            )
        assert row is not None
        return target_from_row(row)

    async def remember_chat_name(self, name: str, chat_id: int) -> None:
        """`name` (@name, any case) is chat `chat_id`, as getChat said."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO chat_names (name, chat_id, resolved_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET chat_id = excluded.chat_id,"
                " resolved_at = excluded.resolved_at",
                (name.lower(), chat_id, _now()),
            )

    async def chat_id_for_name(self, name: str) -> int | None:
        """The chat id `name` resolved to last time, if it ever did."""
        row = await self._one("SELECT chat_id FROM chat_names WHERE name = ?", (name.lower(),))
        return int(row[0]) if row else None

    async def get_target(self, chat_id: int | str, thread_id: int | None) -> Target | None:
        row = await self._one(
            f"SELECT {TARGET_COLUMNS} FROM targets WHERE chat_id = ? AND thread_id = ?",
            (chat_key(chat_id), thread_key(thread_id)),
        )
        return target_from_row(row) if row else None

    async def deactivate_target(
        self, chat_id: int | str, thread_id: int | None, reason: str
    ) -> None:
        """Stop pushing there (bot kicked, chat gone...). thread_id=None with a topic-less
        target only; to stop a whole chat with all its topics use deactivate_chat()."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE targets SET active = 0, deactivated_reason = ?, updated_at = ?"
                " WHERE chat_id = ? AND thread_id = ?",
                (reason, _now(), chat_key(chat_id), thread_key(thread_id)),
            )
        log.info("target %s:%s deactivated: %s", chat_id, thread_id or "-", reason)

    async def deactivate_chat(self, chat_id: int | str, reason: str) -> None:
        """Deactivate every target (all topics) of a chat, e.g. after a 403."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE targets SET active = 0, deactivated_reason = ?, updated_at = ?"
                " WHERE chat_id = ?",
                (reason, _now(), chat_key(chat_id)),
            )
        log.info("chat %s deactivated: %s", chat_id, reason)

    async def migrate_target(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """A group became a supergroup: move its targets AND journal to the new id, so a push
        resumes where it stopped instead of starting over."""
        old, new = chat_key(old_chat_id), chat_key(new_chat_id)
        if old == new:
            return
        async with self.transaction() as db:
            # a target already present under the new id wins; the old row then just goes away
            await db.execute(
                "UPDATE OR IGNORE targets SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
                (new, _now(), old),
            )
            await db.execute("DELETE FROM targets WHERE chat_id = ?", (old,))
            # journal rows: a part already recorded under the new id keeps its message id
            await db.execute(
                "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?", (new, old)
            )
            await db.execute("DELETE FROM deliveries WHERE chat_id = ?", (old,))
            await db.execute("UPDATE failures SET chat_id = ? WHERE chat_id = ?", (new, old))
            # unfinished jobs and claims follow the chat too (a resumed job pushes to the new id)
            for table in ("push_job_targets", "part_claims"):
                await db.execute(
                    f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", (new, old)
                )
                await db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old,))
        log.info("chat %s migrated to %s", old, new)

    async def follow_migration(
        self, old_chat_id: int | str, new_chat_id: int, thread_id: int | None
    ) -> None:
        """Telegram said the chat moved (ChatMigrated, mid-push or mid-correction):
        migrate_target, and a target that was live stays live under the new id."""
        before = await self.get_target(old_chat_id, thread_id)
        await self.migrate_target(old_chat_id, new_chat_id)
        if before is not None and before.active:
            # The new id may already hold a deactivated row (DIGEST_CHATS still names the old
            # id, so the config sync at start retired the new one): migrate_target keeps that
            # inactive row, and the chat would silently stop getting digests.
            await self.upsert_target(new_chat_id, thread_id, before.source)

    async def active_targets(self) -> list[Target]:
        rows = await self._all(f"SELECT {TARGET_COLUMNS} FROM targets WHERE active = 1 ORDER BY id")
        return [target_from_row(r) for r in rows]

    async def all_targets(self) -> list[Target]:
        rows = await self._all(f"SELECT {TARGET_COLUMNS} FROM targets ORDER BY active DESC, id")
        return [target_from_row(r) for r in rows]

    async def remove_subscription(self, chat_id: int | str, thread_id: int | None) -> bool:
        """/unsubscribe: deactivate a 'subscribe' target. False if there was no active
        subscription there (config targets are the operator's, not removable by chat)."""
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE targets SET active = 0, deactivated_reason = 'unsubscribed',"
                " updated_at = ? WHERE chat_id = ? AND thread_id = ? AND source = 'subscribe'"
                " AND active = 1",
                (_now(), chat_key(chat_id), thread_key(thread_id)),
            )
            changed = cur.rowcount
        return changed > 0

    async def sync_config_targets(
        self, targets: Iterable[ChatTarget | tuple[int | str, int | None]]
    ) -> list[Target]:
        """Make the 'config' targets match the configured list (e.g. DIGEST_CHATS at start):
        listed ones are upserted (reactivated), config targets no longer listed are deactivated.
        Accepts ChatTarget objects or (chat_id, thread_id) pairs."""
        wanted: list[tuple[int | str, int]] = []
        for target in targets:
            chat, thread = (
                target if isinstance(target, tuple) else (target.chat_id, target.thread_id)
            )
            wanted.append((chat_key(chat), thread_key(thread)))
        for chat, thread in wanted:
            await self.upsert_target(chat, thread_out(thread), "config")
        keep = set(wanted)
        for active in await self.active_targets():
            key = (chat_key(active.chat_id), thread_key(active.thread_id))
            if active.source == "config" and key not in keep:
                await self.deactivate_target(
                    active.chat_id, active.thread_id, "removed from configuration"
                )
        return await self.active_targets()
