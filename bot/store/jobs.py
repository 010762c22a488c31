"""Durable push jobs and per-part claims: what makes "exactly once" hold across processes.

A push is a `push_jobs` row (with one `push_job_targets` row per chat/topic) before any message
goes out; a restart adopts every job whose owner is gone and finishes it. Each part is claimed
(`part_claims`) in a write transaction that first checks the journal, and the claim is dropped
in the transaction that journals the delivery. SQLite's write lock (BEGIN IMMEDIATE) makes the
check-and-claim atomic for every connection and every process on the database file.

Owners are `host:pid:token` strings, one per DeliveryService. A claim or job is stale when its
owner stopped renewing it for `ttl` seconds, or at once when the owner is on this host and its
process is gone (or, in this process, the owner was closed).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.store.base import StoreBase, chat_key, process_running, thread_key, thread_out

JobKind = Literal["scheduled", "manual", "cli"]
ClaimState = Literal["delivered", "claimed", "busy"]

# a part's journal row and its claim, keyed (digest_id, chat_id, thread_id, part): read by the
# lock-free poll (part_state) and inside the claiming transaction (claim_part)
_DELIVERED_PART = (
    "SELECT 1 FROM deliveries WHERE digest_id = ? AND chat_id = ? AND thread_id = ? AND part = ?"
)
_PART_CLAIM = (
    "SELECT owner, expires_at FROM part_claims WHERE digest_id = ? AND chat_id = ?"
    " AND thread_id = ? AND part = ?"
)

# owners alive in this process (a closed DeliveryService's claims are free at once)
_LIVE_OWNERS: set[str] = set()


def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _LIVE_OWNERS.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    _LIVE_OWNERS.discard(owner)


def owner_alive(owner: str) -> bool | None:
    """True/False when this host can tell; None for another host (then only the ttl counts)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    return process_running(pid)


def _stale(owner: str, expires_at: float, now: float) -> bool:
    alive = owner_alive(owner)
    return alive is False or (alive is None and expires_at <= now)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class JobTarget:
    chat_id: int | str
    thread_id: int | None
    layout: str
    state: str


@dataclass(frozen=True)
class PushJob:
    id: int
    digest_id: str
    kind: JobKind
    layout: str
    requested_by: int | None
    report_chat: int | None
    report_thread: int | None
    targets: tuple[JobTarget, ...]


class JobsMixin(StoreBase):
    # -- jobs ------------------------------------------------------------------------------
    async def create_job(
        self,
        digest_id: str,
        kind: JobKind,
        targets: Iterable[tuple[int | str, int | None]],
        *,
        owner: str,
        layout: str = "classic",
        requested_by: int | None = None,
        report_chat: int | None = None,
        report_thread: int | None = None,
        target_layouts: Mapping[tuple[int | str, int | None], str] | None = None,
    ) -> int:
        """The job and its targets, committed before the first message goes out;
        `target_layouts` (chat, thread) -> layout where a target's differs from `layout`."""
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO push_jobs (digest_id, kind, layout, requested_by, report_chat,"
                " report_thread, owner, heartbeat, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    digest_id,
                    kind,
                    layout,
                    requested_by,
                    report_chat,
                    thread_key(report_thread),
                    owner,
                    time.time(),
                    _now_iso(),
                ),
            )
            job_id = int(cur.lastrowid or 0)
            await db.executemany(
                "INSERT OR IGNORE INTO push_job_targets (job_id, chat_id, thread_id, layout)"
                " VALUES (?, ?, ?, ?)",
                [
                    (job_id, chat_key(c), thread_key(t), (target_layouts or {}).get((c, t), layout))
                    for c, t in targets
                ],
            )
        return job_id

    async def finish_job_target(
        self,
        job_id: int,
        chat_id: int | str,
        thread_id: int | None,
        *,
        ok: bool,
        sent: int,
        error: str | None = None,
        new_chat_id: int | str | None = None,
    ) -> None:
        async with self.transaction() as db:
            if new_chat_id is not None:  # the group became a supergroup during the push
                await db.execute(
                    "UPDATE OR IGNORE push_job_targets SET chat_id = ? WHERE job_id = ?"
                    " AND chat_id = ? AND thread_id = ?",
                    (chat_key(new_chat_id), job_id, chat_key(chat_id), thread_key(thread_id)),
                )
                chat_id = new_chat_id
            await db.execute(
                "UPDATE push_job_targets SET state = ?, sent = sent + ?, error = ?"
                " WHERE job_id = ? AND chat_id = ? AND thread_id = ?",
                (
                    "done" if ok else "failed",
                    sent,
                    error,
                    job_id,
                    chat_key(chat_id),
                    thread_key(thread_id),
                ),
            )

    async def finish_job(self, job_id: int, *, ok: bool, summary: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE push_jobs SET state = ?, finished_at = ?, summary = ? WHERE id = ?",
                ("done" if ok else "failed", _now_iso(), summary, job_id),
            )

    async def adopt_stale_jobs(self, owner: str, ttl: float) -> list[PushJob]:
        """Every unfinished job whose owner is gone becomes `owner`'s (atomically: two
        processes starting at once never adopt the same job), oldest first."""
        now = time.time()
        async with self.transaction() as db:
            async with db.execute(
                "SELECT id, owner, heartbeat FROM push_jobs WHERE state = 'running' ORDER BY id"
            ) as cur:
                rows = list(await cur.fetchall())
            mine = [
                int(r[0]) for r in rows if r[1] != owner and _stale(r[1], float(r[2]) + ttl, now)
            ]
            await db.executemany(
                "UPDATE push_jobs SET owner = ?, heartbeat = ? WHERE id = ?",
                [(owner, now, job_id) for job_id in mine],
            )
        return [job for job_id in mine if (job := await self.get_job(job_id)) is not None]

    async def get_job(self, job_id: int) -> PushJob | None:
        row = await self._one(
            "SELECT id, digest_id, kind, layout, requested_by, report_chat, report_thread"
            " FROM push_jobs WHERE id = ?",
            (job_id,),
        )
        if row is None:
            return None
        targets = await self._all(
            "SELECT chat_id, thread_id, layout, state FROM push_job_targets WHERE job_id = ?"
            " ORDER BY rowid",
            (job_id,),
        )
        return PushJob(
            id=int(row[0]),
            digest_id=row[1],
            kind=row[2],
            layout=row[3],
            requested_by=row[4],
            report_chat=row[5],
            report_thread=thread_out(row[6]),
            targets=tuple(JobTarget(t[0], thread_out(t[1]), t[2], t[3]) for t in targets),
        )

    async def job_states(self) -> list[tuple[int, str, str, str]]:
        """(id, digest, kind, state) of every job, oldest first (tests, /status)."""
        rows = await self._all("SELECT id, digest_id, kind, state FROM push_jobs ORDER BY id")
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    async def unfinished_jobs(self) -> int:
        row = await self._one("SELECT count(*) FROM push_jobs WHERE state = 'running'")
        return int(row[0]) if row else 0

    async def renew(self, owner: str, ttl: float) -> None:
        """The owner is alive: push its claims' expiry and its jobs' heartbeat forward."""
        now = time.time()
        async with self.transaction() as db:
            await db.execute(
                "UPDATE part_claims SET expires_at = ? WHERE owner = ?", (now + ttl, owner)
            )
            await db.execute(
                "UPDATE push_jobs SET heartbeat = ? WHERE owner = ? AND state = 'running'",
                (now, owner),
            )

    # -- claims ----------------------------------------------------------------------------
    async def part_state(
        self, digest_id: str, chat_id: int | str, thread_id: int | None, part: int
    ) -> ClaimState | None:
        """A read without the write lock: 'delivered', 'busy' (a live claim), or None (free).
        Waiting pushers poll this, so they do not queue for the write lock."""
        key = (digest_id, chat_key(chat_id), thread_key(thread_id), part)
        if await self._one(_DELIVERED_PART, key):
            return "delivered"
        row = await self._one(_PART_CLAIM, key)
        if row is not None and not _stale(row[0], float(row[1]), time.time()):
            return "busy"
        return None

    async def claim_part(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        part: int,
        *,
        owner: str,
        ttl: float,
    ) -> ClaimState:
        """Check the journal and claim the part in one write transaction."""
        key = (digest_id, chat_key(chat_id), thread_key(thread_id), part)
        now = time.time()
        async with self.transaction() as db:
            async with db.execute(_DELIVERED_PART, key) as cur:
                if await cur.fetchone():
                    return "delivered"
            async with db.execute(_PART_CLAIM, key) as cur:
                row = await cur.fetchone()
            if row is not None and row[0] != owner and not _stale(row[0], float(row[1]), now):
                return "busy"
            await db.execute(
                "INSERT OR REPLACE INTO part_claims (digest_id, chat_id, thread_id, part, owner,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (*key, owner, now + ttl),
            )
        return "claimed"

    async def deliver_claimed(
        self,
        digest_id: str,
        chat_id: int | str,
        thread_id: int | None,
        part: int,
        *,
        owner: str,
        message_id: int,
        content_hash: str | None,
        layout: str = "classic",
        kind: str | None = None,
        media: str | None = None,
    ) -> bool:
        """Journal the part Telegram confirmed and drop its claim, in one transaction.
        False (first row kept) if the journal already held it. `kind`/`media`: what message
        Telegram made (text, photo + URL, rich), for a later correction to edit it right."""
        key = (digest_id, chat_key(chat_id), thread_key(thread_id), part)
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO deliveries (digest_id, chat_id, thread_id, part,"
                " message_id, sent_at, content_hash, layout, kind, media)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, message_id, _now_iso(), content_hash, layout, kind, media),
            )
            inserted = cur.rowcount > 0
            await db.execute(
                "DELETE FROM part_claims WHERE digest_id = ? AND chat_id = ? AND thread_id = ?"
                " AND part = ? AND owner = ?",
                (*key, owner),
            )
        return inserted

    async def release_part(
        self, digest_id: str, chat_id: int | str, thread_id: int | None, part: int, *, owner: str
    ) -> None:
        """Not sent after all (an error): another pusher may take it at once."""
        async with self.transaction() as db:
            await db.execute(
                "DELETE FROM part_claims WHERE digest_id = ? AND chat_id = ? AND thread_id = ?"
                " AND part = ? AND owner = ?",
                (digest_id, chat_key(chat_id), thread_key(thread_id), part, owner),
            )

    async def release_all(self, owner: str) -> None:
        async with self.transaction() as db:
            await db.execute("DELETE FROM part_claims WHERE owner = ?", (owner,))

    async def delivered_hashes(
        self, digest_id: str, chat_id: int | str, thread_id: int | None
    ) -> dict[int, str | None]:
        """part -> content hash of what was delivered (issue 10 compares before editing)."""
        rows = await self._all(
            "SELECT part, content_hash FROM deliveries WHERE digest_id = ? AND chat_id = ?"
            " AND thread_id = ? ORDER BY part",
            (digest_id, chat_key(chat_id), thread_key(thread_id)),
        )
        return {int(part): digest for part, digest in rows}

    # -- interactive messages (forged-callback protection) ------------------------------------
    async def remember_interactive(self, chat_id: int | str, message_id: int) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO interactive_messages (chat_id, message_id, created_at)"
                " VALUES (?, ?, ?)",
                (chat_key(chat_id), message_id, _now_iso()),
            )

    async def is_interactive(self, chat_id: int | str, message_id: int) -> bool:
        return (
            await self._one(
                "SELECT 1 FROM interactive_messages WHERE chat_id = ? AND message_id = ?",
                (chat_key(chat_id), message_id),
            )
            is not None
        )
