"""Push a digest to its targets through the delivery journal: in order, exactly once, resumable.

Each target is served by its own asyncio task, so a slow or failing chat never holds the others
back (the FloodLimiter on the bot interleaves them fairly). A target's parts go out in order;
before each part is sent it is claimed in the database (bot/store/jobs.py), which checks the
journal in the same transaction, and the delivery is journaled (claim dropped) right after
Telegram confirms it. So two pushers - in one process or in two processes on one database -
never both send a part: the second waits while the first holds the claim, then skips it. A
crash repeats at most the one part in flight (sent, not yet recorded): its claim dies with the
process and the next pusher sends it again. Every push runs under a durable job row
(bot/delivery/jobs.py) that a restart resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from telegram import Bot
from telegram.error import ChatMigrated, TelegramError

from bot.catalog import Catalog
from bot.config import ChatTarget, Settings
from bot.delivery.notify import esc, notify_admins
from bot.delivery.ratelimit import is_group_chat
from bot.delivery.sender import (
    ChatGone,
    DeliveryError,
    RetryPolicy,
    SendOptions,
    TopicClosed,
    send_part,
)
from bot.digest.model import Digest, OutgoingMessage
from bot.store.jobs import JobKind, new_owner, retire_owner

_LOG = logging.getLogger(__name__)

# A claim whose owner stops renewing it (a process on another host, or a hung one) is taken over
# after CLAIM_TTL seconds; a dead process on this host loses its claims at once (pid check).
CLAIM_TTL = 30.0
# how often a pusher waiting for another pusher's claim looks again (a read, no write lock)
CLAIM_POLL = 0.1


def part_hash(message: OutgoingMessage) -> str:
    """sha256 of a part as rendered: what was delivered, for corrections to compare against."""
    text = f"{message.method}\n{message.photo or ''}\n{message.html}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TargetLike(Protocol):
    """Store's Target or config's ChatTarget: all a push needs is where to send."""

    @property
    def chat_id(self) -> int | str: ...

    @property
    def thread_id(self) -> int | None: ...


@dataclass(frozen=True)
class PushEvent:
    kind: Literal["sent", "skipped", "done", "failed"]
    chat_id: int | str
    thread_id: int | None
    part: int | None  # part index for sent/skipped
    total: int  # parts of the digest
    error: str | None = None


@dataclass
class TargetResult:
    chat_id: int | str
    thread_id: int | None
    total: int
    sent: int = 0  # parts delivered by this push
    already: int = 0  # parts the journal already held
    error: str | None = None
    deactivated: bool = False
    migrated_to: int | None = None
    waited: int = 0  # times this pusher waited for another pusher's claim

    @property
    def complete(self) -> bool:
        return self.error is None and self.sent + self.already >= self.total

    @property
    def label(self) -> str:
        chat = self.migrated_to if self.migrated_to is not None else self.chat_id
        return f"{chat}:{self.thread_id}" if self.thread_id else str(chat)


@dataclass
class PushReport:
    digest_id: str
    title: str
    parts: int
    results: list[TargetResult] = field(default_factory=list)
    job_id: int | None = None

    @property
    def ok(self) -> bool:
        return all(r.complete for r in self.results)

    @property
    def failed(self) -> list[TargetResult]:
        return [r for r in self.results if not r.complete]

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results)

    def summary(self) -> str:
        """One line: what happened, for logs, the CLI and admins (plain text)."""
        done = sum(r.complete for r in self.results)
        return (f"{self.digest_id}: {self.parts} parts, {done}/{len(self.results)} targets "
                f"complete, {self.sent} messages sent, {len(self.failed)} failed")


def _is_name(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) and chat_id.startswith("@")


class DeliveryService:
    def __init__(self, *, settings: Settings, store, bot: Bot,
                 retry: RetryPolicy | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.store = store
        # where digests are found and rendered (shared with the reader side in the bot)
        self.catalog = catalog or Catalog(store, settings.content_dir)
        self.bot = bot
        self.retry = retry or RetryPolicy()
        # One lock per (digest, chat, thread): a scheduled push and a /post running at once
        # must not both read "part 3 missing" from the journal and both send it.
        self._locks: dict[tuple[str, int | str, int | None], asyncio.Lock] = {}
        self._config_synced = False
        # '@name' (lower case) -> numeric chat id, learned from getChat or a /subscribe
        self._resolved: dict[str, int] = {}
        self._resolve_lock = asyncio.Lock()
        # who this pusher is in part_claims / push_jobs; renewed while pushes run
        self.owner = new_owner()
        self.claim_ttl = CLAIM_TTL
        self.claim_poll = CLAIM_POLL
        self._running = 0
        self._heartbeat: asyncio.Task[None] | None = None

    async def close(self) -> None:
        """Stop renewing; free this pusher's claims (a part claimed but not confirmed may have
        been delivered: the next pusher repeats at most that one)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        retire_owner(self.owner)
        with contextlib.suppress(Exception):  # the store may already be closed
            await self.store.release_all(self.owner)

    async def _renew_forever(self) -> None:
        """Renew while pushes run (each push and create_job starts this again)."""
        while True:
            await asyncio.sleep(self.claim_ttl / 4)
            try:
                await self.store.renew(self.owner, self.claim_ttl)
            except Exception:  # a locked database now and then: try again next round
                _LOG.warning("could not renew push claims", exc_info=True)
            if self._running == 0:
                return

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._renew_forever(),
                                                  name="digestbot-push-heartbeat")

    # -- targets and digests ---------------------------------------------------------------
    async def sync_config_targets(self) -> None:
        """DIGEST_CHATS become stored targets once per process (source 'config'); a chat
        removed from the setting stops receiving. Once only: a config chat that kicked the bot
        stays deactivated until the next start. `@name` chats are stored under their numeric
        id (see resolve_chat), so a chat also subscribed by id is still ONE target."""
        if self._config_synced:
            return
        chats = [ChatTarget(await self.resolve_chat(c.chat_id), c.thread_id)
                 for c in self.settings.digest_chats]
        await self.store.sync_config_targets(chats)
        self._config_synced = True

    async def active_targets(self) -> list:
        just_synced = not self._config_synced
        await self.sync_config_targets()
        targets = await self.store.active_targets()
        if not just_synced and any(_is_name(t.chat_id) for t in targets):
            # names getChat could not resolve before (network, not a member yet): try again
            for target in targets:
                await self.resolve_chat(target.chat_id)
            targets = await self.store.active_targets()
        return list(targets)

    async def resolve_chat(self, chat_id: int | str) -> int | str:
        """The numeric id of an `@name` chat (getChat); other ids pass through. A chat is one
        target and one journal key however it was named: stored targets and journal rows under
        the name move to the id (adopt_name). If getChat fails the name stays as it is (a
        warning is logged): it is still pushed to, by name."""
        if not _is_name(chat_id):
            return chat_id
        async with self._resolve_lock:
            known = self._resolved.get(chat_id.lower())
            if known is not None:
                return known
            try:
                chat = await self.bot.get_chat(chat_id)
            except TelegramError as exc:
                remembered = await self.store.chat_id_for_name(chat_id)
                if remembered is not None:
                    # the journal is kept under that id: pushing by name would repeat parts
                    _LOG.warning("could not resolve %s (%s); using its known id %s",
                                 chat_id, exc, remembered)
                    await self.adopt_name(chat_id, remembered)
                    return remembered
                _LOG.warning("could not resolve %s to a chat id (%s); it stays a target by name",
                             chat_id, exc)
                return chat_id
            await self.adopt_name(chat_id, chat.id, title=chat.title)
            return chat.id

    async def adopt_name(self, name: str, chat_id: int, *, title: str | None = None) -> None:
        """`name` (`@name`, any case) is chat `chat_id`: move every stored target and journal
        row kept under a spelling of that name to the id (parts already delivered stay
        delivered), keeping a live target live."""
        self._resolved[name.lower()] = chat_id
        await self.store.remember_chat_name(name, chat_id)
        stored = [t for t in await self.store.all_targets()
                  if _is_name(t.chat_id) and t.chat_id.lower() == name.lower()]
        for spelling in {name, *(t.chat_id for t in stored)}:
            await self.store.migrate_target(spelling, chat_id)
        for target in stored:
            if target.active:
                # the id may hold a deactivated row (e.g. unsubscribed): that one was kept
                await self.store.upsert_target(chat_id, target.thread_id, target.source,
                                               title=target.title or title)
        if stored:
            _LOG.info("target %s is chat %s: merged", name, chat_id)

    # -- pushing ---------------------------------------------------------------------------
    async def resolve_targets(
        self, targets: Sequence[TargetLike] | None,
    ) -> list[tuple[int | str, int | None]]:
        """(chat, thread) per chat+topic (default: all active targets), names resolved to ids
        where possible, each chat once however the caller named it."""
        if targets is None:
            targets = await self.active_targets()  # names already resolved where possible
        else:
            targets = [ChatTarget(await self.resolve_chat(t.chat_id), t.thread_id)
                       for t in targets]
        where: dict[tuple[int | str, int | None], tuple[int | str, int | None]] = {}
        for target in targets:
            chat = target.chat_id
            key = (chat.lower() if _is_name(chat) else chat, target.thread_id)
            where.setdefault(key, (chat, target.thread_id))
        return list(where.values())

    async def create_job(
        self, digest: Digest, targets: Sequence[TargetLike] | None = None, *,
        kind: JobKind = "manual", requested_by: int | None = None,
        report_chat: int | None = None, report_thread: int | None = None,
    ) -> tuple[int, list[tuple[int | str, int | None]]]:
        """The durable job row for a push (committed before anything is sent)."""
        where = await self.resolve_targets(targets)
        job_id = await self.store.create_job(
            digest.id, kind, where, owner=self.owner, requested_by=requested_by,
            report_chat=report_chat, report_thread=report_thread)
        self._ensure_heartbeat()
        return job_id, where

    async def push(
        self, digest: Digest, targets: Sequence[TargetLike] | None = None, *,
        progress: Callable[[PushEvent], None] | None = None, kind: JobKind = "manual",
        job: tuple[int, Sequence[tuple[int | str, int | None]]] | None = None,
    ) -> PushReport:
        """Deliver every part of `digest` not yet in the journal to every target (default: all
        active targets), targets side by side, under a job (a new one unless `job` is given as
        create_job returned it). Never raises for a chat's error: see the report."""
        messages = self.catalog.messages(digest)
        job_id, where = job if job is not None else await self.create_job(digest, targets,
                                                                          kind=kind)
        report = PushReport(digest.id, digest.title, len(messages), job_id=job_id)
        results = [TargetResult(chat, thread, len(messages)) for chat, thread in where]
        report.results = results
        emit = progress or (lambda _event: None)
        self._running += 1
        self._ensure_heartbeat()
        try:
            await asyncio.gather(*(self._push_one(digest, messages, r, emit, job_id)
                                   for r in results))
            await self.store.finish_job(job_id, ok=report.ok, summary=report.summary())
        finally:
            self._running -= 1
        _LOG.info("push %s", report.summary())
        return report

    async def _push_one(self, digest: Digest, messages: list[OutgoingMessage],
                        result: TargetResult, emit: Callable[[PushEvent], None],
                        job_id: int) -> None:
        key = (digest.id, result.chat_id, result.thread_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await self._deliver(digest, messages, result, emit)
        except Exception as exc:  # a bug must not take the other chats' tasks down
            _LOG.exception("push of %s to %s crashed", digest.id, result.label)
            result.error = result.error or f"internal error: {exc!r}"
        try:
            await self.store.finish_job_target(
                job_id, result.chat_id, result.thread_id, ok=result.complete, sent=result.sent,
                error=result.error, new_chat_id=result.migrated_to)
        except Exception:  # the journal holds the parts; only the job's bookkeeping is late
            _LOG.exception("could not record the end of %s to %s", digest.id, result.label)
        if result.complete:
            emit(PushEvent("done", result.chat_id, result.thread_id, None, result.total))
        else:
            emit(PushEvent("failed", result.chat_id, result.thread_id, None, result.total,
                           result.error))

    async def _deliver(self, digest: Digest, messages: list[OutgoingMessage],
                       result: TargetResult, emit: Callable[[PushEvent], None]) -> None:
        chat, thread = result.chat_id, result.thread_id
        part = 0
        while part < len(messages):
            # the journal is checked part by part, in the transaction that claims the part:
            # another process may have sent it since this push began
            state = await self.store.claim_part(digest.id, chat, thread, part,
                                                owner=self.owner, ttl=self.claim_ttl)
            if state == "delivered":
                result.already += 1
                emit(PushEvent("skipped", chat, thread, part, len(messages)))
                part += 1
                continue
            if state == "busy":  # another pusher is sending it: wait until it is done or dead
                result.waited += 1
                # polling: the other pusher may be another process (no event to wait on)
                while await self.store.part_state(digest.id, chat, thread, part) == "busy":  # noqa: ASYNC110
                    await asyncio.sleep(self.claim_poll)
                continue
            options = SendOptions(notify=part == 0, link_previews=self.settings.link_previews)
            try:
                sent = await send_part(self.bot, chat, thread, messages[part], options,
                                       retry=self.retry)
            except ChatMigrated as exc:
                await self.store.release_part(digest.id, chat, thread, part, owner=self.owner)
                new_chat = int(exc.new_chat_id)
                _LOG.warning("chat %s became supergroup %s: moving its target", chat, new_chat)
                before = await self.store.get_target(chat, thread)
                # journal rows, job targets and claims move to the new id with the target
                await self.store.migrate_target(chat, new_chat)
                if before is not None and before.active:
                    # The new id may already hold a deactivated row (DIGEST_CHATS still names
                    # the old id, so the config sync at start retired the new one):
                    # migrate_target keeps that inactive row, and the chat would silently stop
                    # getting digests. The old target was live, so the new one is too.
                    await self.store.upsert_target(new_chat, thread, before.source)
                result.migrated_to = chat = new_chat
                continue
            except DeliveryError as exc:
                await self.store.release_part(digest.id, chat, thread, part, owner=self.owner)
                await self._chat_error(digest, chat, thread, part, exc, result)
                return
            except BaseException:
                # unknown whether it went out (cancelled, a bug): free it for the next pusher,
                # which repeats at most this one part
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.release_part(digest.id, chat, thread, part,
                                                                 owner=self.owner))
                raise
            await self.store.deliver_claimed(digest.id, chat, thread, part, owner=self.owner,
                                             message_id=sent.message_id,
                                             content_hash=part_hash(messages[part]),
                                             # a refused photo went out as text (sender)
                                             kind="photo" if sent.photo else "text",
                                             media=messages[part].photo if sent.photo else None)
            result.sent += 1
            emit(PushEvent("sent", chat, thread, part, len(messages)))
            if part == 0 and self.settings.pin_first_message and is_group_chat(chat):
                await self._pin(chat, sent.message_id)
            part += 1

    async def _chat_error(self, digest: Digest, chat: int | str, thread: int | None, part: int,
                          exc: DeliveryError, result: TargetResult) -> None:
        result.error = exc.reason
        where = f"{chat}:{thread}" if thread else str(chat)
        _LOG.warning("push of %s to %s stopped at part %d: %s", digest.id, where, part, exc.reason)
        await self.store.record_failure(digest.id, chat, thread, part, exc.reason)
        if isinstance(exc, ChatGone):
            result.deactivated = True
            # kicked / chat gone: every topic of that chat is dead too
            await self.store.deactivate_chat(chat, exc.reason)
            text = (f"⚠️ Target <code>{esc(where)}</code> deactivated: {esc(exc.reason)}\n"
                    f"Digest {esc(digest.id)} stopped at part {part + 1}. "
                    "Re-add the bot and /subscribe (or fix DIGEST_CHATS) to resume.")
        elif isinstance(exc, TopicClosed):
            text = (f"⚠️ Topic <code>{esc(where)}</code> is closed or gone: {esc(exc.reason)}\n"
                    f"Digest {esc(digest.id)} stopped at part {part + 1}; reopen the topic and "
                    "/post to resume.")
        else:
            text = (f"⚠️ Push of {esc(digest.id)} to <code>{esc(where)}</code> failed at part "
                    f"{part + 1}: {esc(exc.reason)}\n/post resumes where it stopped.")
        await notify_admins(self.bot, self.settings.admin_ids, text)

    async def _pin(self, chat: int | str, message_id: int) -> None:
        try:
            await self.bot.pin_chat_message(chat, message_id, disable_notification=True)
        except TelegramError as exc:  # no pin right: the digest itself is delivered, just log
            _LOG.warning("could not pin message %s in %s: %s", message_id, chat, exc)

    async def preview(self, digest: Digest, chat_id: int) -> int:
        """Send the digest exactly as a push would (same parts, same options) to one chat,
        outside the journal. Returns the number of parts sent."""
        messages = self.catalog.messages(digest)
        for part, message in enumerate(messages):
            options = SendOptions(notify=part == 0, link_previews=self.settings.link_previews)
            await send_part(self.bot, chat_id, None, message, options, retry=self.retry)
        return len(messages)

    # -- the scheduled push ------------------------------------------------------------------
    async def due_digest(self, now: dt.datetime) -> Digest | None:
        """The newest digest dated today (TIMEZONE) if some active target lacks a part of it."""
        today = now.astimezone(self.settings.timezone).date()
        newest = await self.catalog.newest_on(today)  # several editions a day: the last one
        if newest is None:
            return None
        digest = self.catalog.load(newest)
        parts = len(self.catalog.messages(digest))
        for target in await self.active_targets():
            done = await self.store.delivered_parts(digest.id, target.chat_id, target.thread_id)
            if len(done) < parts:
                return digest
        return None

    async def push_due(self, now: dt.datetime) -> PushReport | None:
        """Push today's newest digest to the targets that have not fully received it."""
        digest = await self.due_digest(now)
        if digest is None:
            return None
        report = await self.push(digest, kind="scheduled")
        if not report.ok:
            _LOG.warning("scheduled push incomplete: %s", report.summary())
        return report
