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
from typing import Literal, Protocol, TypeGuard

from telegram import Bot
from telegram.error import ChatMigrated, TelegramError

from bot.admin_views import code_html, digest_name
from bot.catalog import Catalog
from bot.config import ChatTarget, Settings
from bot.delivery.layouts import FALLBACK, LayoutPolicy, RichRefused, send_call_kind, send_calls
from bot.delivery.notify import esc, notify_admins
from bot.delivery.ratelimit import is_group_chat
from bot.delivery.rich_api import RichMessagesUnsupported
from bot.delivery.sender import (
    ChatGone,
    DeliveryError,
    RetryPolicy,
    SendFailed,
    SendOptions,
    TopicClosed,
)
from bot.digest.calls import OutgoingCall
from bot.digest.model import Digest, OutgoingMessage
from bot.i18n import N_, _, use_language
from bot.store.jobs import JobKind, new_owner, retire_owner
from bot.tasks import cancel_and_wait

_LOG = logging.getLogger("digestbot.push")

# A claim whose owner stops renewing it (a process on another host, or a hung one) is taken over
# after CLAIM_TTL seconds; a dead process on this host loses its claims at once (pid check).
CLAIM_TTL = 30.0
# how often a pusher waiting for another pusher's claim looks again (a read, no write lock)
CLAIM_POLL = 0.1


def part_hash(message: OutgoingMessage | OutgoingCall) -> str:
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
    layout: str = "sections"  # what this target's push uses (recorded in the journal)
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
        targets = f"{done}/{len(self.results)}"
        return (
            f"{self.digest_id}: {self.parts} parts, {targets} targets complete, "  # operator
            f"{self.sent} messages sent, {len(self.failed)} failed"
        )  # operator


def _is_name(chat_id: int | str) -> TypeGuard[str]:
    return isinstance(chat_id, str) and chat_id.startswith("@")


class DeliveryService:
    def __init__(
        self,
        *,
        settings: Settings,
        store,
        bot: Bot,
        retry: RetryPolicy | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        # where digests are found and rendered (shared with the reader side in the bot)
        self.catalog = catalog or Catalog(store, settings.content_dir)
        self.bot = bot
        self.retry = retry or RetryPolicy()
        # each chat's layout, and whether this server can send rich messages (bot/delivery/layouts)
        self.layouts = LayoutPolicy(settings, store)
        self._told_rich_refusal: set[int] = set()  # push jobs whose admins heard of a refusal
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
        await cancel_and_wait(self._heartbeat)
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
            self._heartbeat = asyncio.create_task(
                self._renew_forever(), name="digestbot-push-heartbeat"
            )

    # -- targets and digests ---------------------------------------------------------------
    async def sync_config_targets(self) -> None:
        """DIGEST_CHATS become stored targets once per process (source 'config'); a chat
        removed from the setting stops receiving. Once only: a config chat that kicked the bot
        stays deactivated until the next start. `@name` chats are stored under their numeric
        id (see resolve_chat), so a chat also subscribed by id is still ONE target."""
        if self._config_synced:
            return
        chats = []
        for configured in self.settings.digest_chats:
            chat_id = await self.resolve_chat(configured.chat_id)
            self.layouts.note_config_target(configured, chat_id)  # its layout under the id too
            chats.append(ChatTarget(chat_id, configured.thread_id))
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
                    _LOG.warning(
                        "could not resolve %s (%s); using its known id %s", chat_id, exc, remembered
                    )
                    await self.adopt_name(chat_id, remembered)
                    return remembered
                _LOG.warning(
                    "could not resolve %s to a chat id (%s); it stays a target by name",
                    chat_id,
                    exc,
                )
                return chat_id
            await self.adopt_name(chat_id, chat.id, title=chat.title)
            return chat.id

    async def adopt_name(self, name: str, chat_id: int, *, title: str | None = None) -> None:
        """`name` (`@name`, any case) is chat `chat_id`: move every stored target and journal
        row kept under a spelling of that name to the id (parts already delivered stay
        delivered), keeping a live target live."""
        self._resolved[name.lower()] = chat_id
        await self.store.remember_chat_name(name, chat_id)
        stored = [
            t
            for t in await self.store.all_targets()
            if _is_name(t.chat_id) and t.chat_id.lower() == name.lower()
        ]
        for spelling in {name, *(t.chat_id for t in stored)}:
            await self.store.migrate_target(spelling, chat_id)
        for target in stored:
            if target.active:
                # the id may hold a deactivated row (e.g. unsubscribed): that one was kept
                await self.store.upsert_target(
                    chat_id, target.thread_id, target.source, title=target.title or title
                )
        if stored:
            _LOG.info("target %s is chat %s: merged", name, chat_id)

    # -- pushing ---------------------------------------------------------------------------
    async def resolve_targets(
        self,
        targets: Sequence[TargetLike] | None,
    ) -> list[tuple[int | str, int | None]]:
        """(chat, thread) per chat+topic (default: all active targets), names resolved to ids
        where possible, each chat once however the caller named it."""
        if targets is None:
            targets = await self.active_targets()  # names already resolved where possible
        else:
            targets = [ChatTarget(await self.resolve_chat(t.chat_id), t.thread_id) for t in targets]
        where: dict[tuple[int | str, int | None], tuple[int | str, int | None]] = {}
        for target in targets:
            chat = target.chat_id
            key = (chat.lower() if _is_name(chat) else chat, target.thread_id)
            where.setdefault(key, (chat, target.thread_id))
        return list(where.values())

    async def create_job(
        self,
        digest: Digest,
        targets: Sequence[TargetLike] | None = None,
        *,
        kind: JobKind = "manual",
        requested_by: int | None = None,
        report_chat: int | None = None,
        report_thread: int | None = None,
    ) -> tuple[int, list[tuple[int | str, int | None]]]:
        """The durable job row for a push (committed before anything is sent)."""
        where = await self.resolve_targets(targets)
        layouts = {
            (chat, thread): await self.layout_for(digest, chat, thread) for chat, thread in where
        }
        job_id = await self.store.create_job(
            digest.id,
            kind,
            where,
            owner=self.owner,
            requested_by=requested_by,
            report_chat=report_chat,
            report_thread=report_thread,
            target_layouts=layouts,
        )
        self._ensure_heartbeat()
        return job_id, where

    async def push(
        self,
        digest: Digest,
        targets: Sequence[TargetLike] | None = None,
        *,
        progress: Callable[[PushEvent], None] | None = None,
        kind: JobKind = "manual",
        job: tuple[int, Sequence[tuple[int | str, int | None]]] | None = None,
    ) -> PushReport:
        """Deliver every part of `digest` not yet in the journal to every target (default: all
        active targets), targets side by side, under a job (a new one unless `job` is given as
        create_job returned it). Never raises for a chat's error: see the report."""
        job_id, where = (
            job if job is not None else await self.create_job(digest, targets, kind=kind)
        )
        started = await self.store.job_target_layouts(job_id)
        results = []
        for chat, thread in where:
            # resumed or not, a target keeps the layout its push started with
            layout = await self.layout_for(digest, chat, thread, started.get((chat, thread)))
            results.append(
                TargetResult(
                    chat, thread, len(self.catalog.calls(digest, layout=layout)), layout=layout
                )
            )
        # parts: the most any target gets (its layout's count); no target: DIGEST_LAYOUT's
        default = self.layouts.usable(self.settings.digest_layout)
        parts = max(
            (r.total for r in results), default=len(self.catalog.calls(digest, layout=default))
        )
        report = PushReport(digest.id, digest.title, parts, job_id=job_id)
        report.results = results
        emit = progress or (lambda _event: None)
        self._running += 1
        self._ensure_heartbeat()
        try:
            await asyncio.gather(*(self._push_one(digest, r, emit, job_id) for r in results))
            await self.store.finish_job(job_id, ok=report.ok, summary=report.summary())
        finally:
            self._running -= 1
        _LOG.info("push %r (%s): %s", digest.title, digest.date, report.summary())
        return report

    async def _push_one(
        self, digest: Digest, result: TargetResult, emit: Callable[[PushEvent], None], job_id: int
    ) -> None:
        key = (digest.id, result.chat_id, result.thread_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await self._deliver(digest, result, emit, job_id)
        except Exception as exc:  # a bug must not take the other chats' tasks down
            _LOG.exception("push of %s to %s crashed", digest.id, result.label)
            result.error = result.error or _("internal error: {error}").format(error=repr(exc))
        # one line per target outcome, named by the digest's title (operators grep for it)
        if result.complete:
            _LOG.info(
                "push %r (%s) to %s: %s",
                digest.title,
                digest.date,
                result.label,
                f"{result.sent} sent"
                + (f", {result.already} already there" if result.already else ""),
            )
        else:
            _LOG.warning(
                "push %r (%s) to %s: failed after %d of %d parts: %s",
                digest.title,
                digest.date,
                result.label,
                result.sent + result.already,
                result.total,
                result.error,
            )
        try:
            await self.store.finish_job_target(
                job_id,
                result.chat_id,
                result.thread_id,
                ok=result.complete,
                sent=result.sent,
                error=result.error,
                new_chat_id=result.migrated_to,
            )
        except Exception:  # the journal holds the parts; only the job's bookkeeping is late
            _LOG.exception("could not record the end of %s to %s", digest.id, result.label)
        if result.complete:
            emit(PushEvent("done", result.chat_id, result.thread_id, None, result.total))
        else:
            emit(
                PushEvent(
                    "failed", result.chat_id, result.thread_id, None, result.total, result.error
                )
            )

    async def _deliver(
        self, digest: Digest, result: TargetResult, emit: Callable[[PushEvent], None], job_id: int
    ) -> None:
        chat, thread = result.chat_id, result.thread_id
        messages = self.catalog.calls(digest, layout=result.layout)
        part = 0
        while part < len(messages):
            # the journal is checked part by part, in the transaction that claims the part:
            # another process may have sent it since this push began
            state = await self.store.claim_part(
                digest.id, chat, thread, part, owner=self.owner, ttl=self.claim_ttl
            )
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
                sent_id, sent_kind = await send_call_kind(
                    self.bot, chat, thread, messages[part], options, retry=self.retry
                )
            except (RichRefused, RichMessagesUnsupported) as exc:
                await self.store.release_part(digest.id, chat, thread, part, owner=self.owner)
                if not await self._rich_fallback(digest, result, job_id, exc, part):
                    reason = exc.reason if isinstance(exc, RichRefused) else str(exc)
                    failure = SendFailed(_("rich message refused: {reason}").format(reason=reason))
                    await self._chat_error(digest, chat, thread, part, failure, result)
                    return
                messages, part = self.catalog.calls(digest, layout=result.layout), 0
                continue
            except ChatMigrated as exc:
                await self.store.release_part(digest.id, chat, thread, part, owner=self.owner)
                new_chat = int(exc.new_chat_id)
                _LOG.warning("chat %s became supergroup %s: moving its target", chat, new_chat)
                # journal rows, job targets and claims move to the new id with the target
                await self.store.follow_migration(chat, new_chat, thread)
                await self.layouts.follow_migration(chat, new_chat)
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
                    await asyncio.shield(
                        self.store.release_part(digest.id, chat, thread, part, owner=self.owner)
                    )
                raise
            await self.store.deliver_claimed(
                digest.id,
                chat,
                thread,
                part,
                owner=self.owner,
                message_id=sent_id,
                content_hash=part_hash(messages[part]),
                layout=result.layout,
                kind=sent_kind,
                # a refused photo went out as text (sender)
                media=(messages[part].photo if sent_kind == "photo" else None),
            )
            result.sent += 1
            emit(PushEvent("sent", chat, thread, part, len(messages)))
            if part == 0 and self.settings.pin_first_message and is_group_chat(chat):
                await self._pin(chat, sent_id)
            part += 1

    # -- layouts -------------------------------------------------------------------------------
    async def layout_for(
        self, digest: Digest, chat: int | str, thread: int | None, started: str | None = None
    ) -> str:
        """The layout of `digest`'s push to chat/thread: the one its delivered parts are in
        (never two forms of one digest in a chat), else the one its push `started` with (this
        job's, or an interrupted one's), else the target's current choice; rich is compact on
        a server without rich messages (checked again when sending)."""
        delivered = await self.store.journal_layout(digest.id, chat, thread)
        if delivered is not None:
            return delivered
        chosen = (
            started
            or await self.store.unfinished_layout(digest.id, chat, thread)
            or await self.layouts.chosen(chat, thread)
        )
        return self.layouts.usable(chosen)

    async def _rich_fallback(
        self, digest: Digest, result: TargetResult, job_id: int, exc: Exception, part: int
    ) -> bool:
        """Rich refused (400) or unknown to the server (404): switch this target's push to
        compact if none of the digest's rich messages is out there yet (else False: the rest
        cannot follow in another form). Recorded on the job; admins told once per push."""
        if isinstance(exc, RichMessagesUnsupported):
            self.layouts.mark_rich_unsupported(str(exc))  # logs once for the run
        if part > 0 or result.sent or result.already:
            return False
        result.layout = FALLBACK
        result.total = len(self.catalog.calls(digest, layout=FALLBACK))
        await self.store.set_job_target_layout(job_id, result.chat_id, result.thread_id, FALLBACK)
        if isinstance(exc, RichRefused):
            _LOG.warning(
                "push of %s to %s: rich message refused (%s); sending %s",
                digest.id,
                result.label,
                exc.reason,
                FALLBACK,
            )
            if job_id not in self._told_rich_refusal:
                self._told_rich_refusal.add(job_id)
                await notify_admins(
                    self.bot,
                    self.settings.admin_ids,
                    _(
                        "⚠️ Telegram refused the rich message of {name} for {target}: {reason}\n"
                        "Sent as {layout} instead (other targets may follow; told once)."
                    ).format(
                        name=esc(digest.title),
                        target=f"<code>{esc(result.label)}</code>",
                        reason=esc(exc.reason),
                        layout=FALLBACK,
                    ),
                )
        return True

    async def _chat_error(
        self,
        digest: Digest,
        chat: int | str,
        thread: int | None,
        part: int,
        exc: DeliveryError,
        result: TargetResult,
    ) -> None:
        result.error = exc.reason
        where = f"{chat}:{thread}" if thread else str(chat)
        _LOG.warning("push of %s to %s stopped at part %d: %s", digest.id, where, part, exc.reason)
        await self.store.record_failure(digest.id, chat, thread, part, exc.reason)
        if isinstance(exc, ChatGone):
            result.deactivated = True
            # kicked / chat gone: every topic of that chat is dead too
            await self.store.deactivate_chat(chat, exc.reason)
            template = N_(
                "⚠️ Target <code>{where}</code> deactivated: {reason}\n{name} stopped at part "
                "{part}. Re-add the bot and /subscribe (or fix DIGEST_CHATS) to resume."
            )
        elif isinstance(exc, TopicClosed):
            template = N_(
                "⚠️ Topic <code>{where}</code> is closed or gone: {reason}\n{name} stopped at "
                "part {part}; reopen the topic and /post to resume."
            )
        else:
            template = N_(
                "⚠️ Push of {name} to <code>{where}</code> failed at part {part}: {reason}\n"
                "/post resumes where it stopped."
            )
        # no reader asked: the admins get it in the bot's language (BOT_LANGUAGE)
        with use_language(self.settings.bot_language):
            text = _(template).format(
                where=esc(where),
                reason=code_html(exc.reason),
                name=digest_name(digest.title, digest.date),
                part=part + 1,
            )
        await notify_admins(self.bot, self.settings.admin_ids, text)

    async def _pin(self, chat: int | str, message_id: int) -> None:
        try:
            await self.bot.pin_chat_message(chat, message_id, disable_notification=True)
        except TelegramError as exc:  # no pin right: the digest itself is delivered, just log
            _LOG.warning("could not pin message %s in %s: %s", message_id, chat, exc)

    async def preview(
        self, digest: Digest, chat_id: int, *, layout: str | None = None
    ) -> tuple[int, str]:
        """Send the digest exactly as a push in `layout` would (same calls, same options,
        the same compact fallback) to one chat, outside the journal. Returns (messages sent,
        layout used)."""
        layout = self.layouts.usable(layout or self.settings.digest_layout)
        options = SendOptions(notify=True, link_previews=self.settings.link_previews)
        return await send_calls(
            self.bot,
            self.layouts,
            chat_id,
            None,
            self.catalog.calls(digest, layout=layout),
            options,
            layout=layout,
            retry=self.retry,
            first_only_notifies=True,
            fallback=lambda: asyncio.to_thread(self.catalog.calls, digest, layout=FALLBACK),
        )

    # -- the scheduled push ------------------------------------------------------------------
    async def due_digest(self, now: dt.datetime) -> Digest | None:
        """The newest digest dated today (TIMEZONE) if some active target lacks a part of it."""
        today = now.astimezone(self.settings.timezone).date()
        newest = await self.catalog.newest_on(today)  # several editions a day: the last one
        if newest is None:
            return None
        digest = self.catalog.load(newest)
        for target in await self.active_targets():
            layout = await self.layout_for(digest, target.chat_id, target.thread_id)
            parts = len(self.catalog.calls(digest, layout=layout))
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
