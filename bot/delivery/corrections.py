"""Corrections: a digest fixed after its push is corrected in every chat that received it.

`Corrector.reconcile()` runs after each content sync that changed something (and at start, which
resumes a correction a crash interrupted): every pushed digest whose file changed since the
journal was last reconciled with it is rendered again, in each target's recorded layout, and
compared part by part with the journal's hashes. Where they differ, the plan of
`corrections_plan` is carried out through the bot (so through the FloodLimiter: edits and
deletes are paced like sends, `PACED`), and each journal row changes only after Telegram
confirmed the action (bot/store/corrections.py). An interrupted correction is simply planned
again from the journal: edits are idempotent ("not modified" counts as done), an appended part
is claimed and journaled like a push part, so none is ever sent twice.

Not sent: changes more than CORRECTION_WINDOW_HOURS after the push, everything when
CORRECTIONS=off, and nothing at all for a deleted file (its messages stay); each is logged and
listed in /status. The admins hear once per correction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from telegram import Bot, InputMediaPhoto, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.delivery.corrections_plan import (
    Edit,
    NewPart,
    OldPart,
    Plan,
    Remove,
    Send,
    plan_correction,
)
from bot.delivery.notify import esc, notify_admins
from bot.delivery.parts import part_hash, part_kind
from bot.delivery.ratelimit import PACED
from bot.delivery.sender import (
    ChatGone,
    DeliveryError,
    RetryPolicy,
    SendFailed,
    SendOptions,
    classify,
    plain_fallback,
    send_part,
    with_retries,
)
from bot.digest.calls import DEFAULT_LAYOUT, OutgoingCall
from bot.digest.model import Digest, DigestError, OutgoingMessage
from bot.i18n import N_, _, ngettext
from bot.store.corrections import JournalRow, PushedDigest
from bot.store.layouts import normal_layout
from bot.tasks import cancel_and_wait

_LOG = logging.getLogger(__name__)

NOTE_TEXT = N_("(removed in a correction)")  # translated when sent (bot.i18n)
NOTE_HTML = "<i>{note}</i>"
NOTE_RICH = "<p><i>{note}</i></p>"
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "there is no text in the message",
    "there is no caption in the message",
    "there is no media in the message",
    "message can't be edited: it is not a rich",
)
_NOT_MODIFIED = "message is not modified"
_DELETE_GONE = "message to delete not found"
_CANT_DELETE = "message can't be deleted"


@dataclass(frozen=True)
class RenderedPart:
    call: OutgoingCall
    new: NewPart


@dataclass(frozen=True)
class CorrectionEvent:
    """For progress bars: `planned` steps for a target, then one `step` per action taken."""

    kind: Literal["planned", "step"]
    chat_id: int | str
    thread_id: int | None
    steps: int = 1


@dataclass
class TargetCorrection:
    chat_id: int | str
    thread_id: int | None
    edited: int = 0
    added: int = 0
    removed: int = 0
    gone: int = 0  # parts whose message Telegram no longer has (deleted by a chat admin)
    error: str | None = None
    retry: bool = False  # not finished for a reason that passes (a push still running...)

    @property
    def changed(self) -> bool:
        return bool(self.edited or self.added or self.removed or self.gone)

    @property
    def label(self) -> str:
        return f"{self.chat_id}:{self.thread_id}" if self.thread_id else str(self.chat_id)


@dataclass
class CorrectionReport:
    digest_id: str
    title: str
    state: str  # done | outside_window | off | file_deleted | unchanged | running
    results: list[TargetCorrection] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.results)

    @property
    def chats(self) -> int:
        return sum(r.changed for r in self.results)

    @property
    def failed(self) -> list[TargetCorrection]:
        return [r for r in self.results if r.error and not r.retry]

    def summary(self) -> str:
        return (
            f"{self.digest_id}: {self.total('edited')} parts edited, {self.total('added')} "
            f"added, {self.total('removed')} removed in {self.chats} chats"
            + (f", {len(self.failed)} failed" if self.failed else "")
        )


Progress = Callable[[CorrectionEvent], None]


class Corrector:
    def __init__(
        self,
        *,
        settings: Settings,
        store,
        delivery,
        bot: Bot,
        retry: RetryPolicy | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.store = store
        self.delivery = delivery  # its per-target locks keep a push and a correction apart
        self.bot = bot
        self.retry = retry or RetryPolicy()
        self.now = now
        self._lock = asyncio.Lock()  # one reconcile at a time (sync loop, /reload, CLI)
        self._rendered: dict[tuple[str, str], list[RenderedPart]] = {}  # within one digest
        self._task: asyncio.Task[None] | None = None
        self._again = False
        # something was left for later (a push still running, a chat migrating): the sync
        # loop looks again every round until it is done, not only when files change
        self.paused = False

    # -- running in the bot ----------------------------------------------------------------
    def kick(self) -> None:
        """Reconcile in the background (after a sync): a long correction never holds up the
        index; a kick while one runs makes it look once more when it ends."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run_kicked(), name="digestbot-corrections")
        else:
            self._again = True

    async def _run_kicked(self) -> None:
        while True:
            self._again = False
            await self.reconcile()
            if not self._again:
                return

    async def stop(self) -> None:
        """Stop a running reconcile (the journal holds what was done; a restart goes on)."""
        await cancel_and_wait(self._task)
        self._task = None

    # -- what to correct -----------------------------------------------------------------
    async def reconcile(
        self, *, only: Sequence[str] | None = None, progress: Progress | None = None
    ) -> list[CorrectionReport]:
        """Correct every pushed digest whose file changed since the journal last matched it
        (`only`: just these digest ids). Never raises for one digest's trouble."""
        reports: list[CorrectionReport] = []
        async with self._lock:
            self.paused = False
            for pushed in await self.store.pushed_digests():
                if only is not None and pushed.digest_id not in only:
                    continue
                try:
                    report = await self._reconcile_one(pushed, progress)
                except Exception:  # a bug for one digest must not stop the others or the bot
                    _LOG.exception("correction of %s failed", pushed.digest_id)
                    continue
                if report is not None:
                    reports.append(report)
        return reports

    async def _reconcile_one(
        self, pushed: PushedDigest, progress: Progress | None
    ) -> CorrectionReport | None:
        digest_id = pushed.digest_id
        if pushed.file_hash is None:
            if pushed.reconciled_hash != "":
                _LOG.warning(
                    "digest %s was pushed and its file is gone (deleted, or broken: "
                    "see the bad files): its messages stay in the chats (a deleted "
                    "file deletes nothing)",
                    digest_id,
                )
                await self._record(digest_id, pushed.title or digest_id, "", "file_deleted")
                await self.store.mark_reconciled(digest_id, "")
            return None
        record = await self.store.get_digest(digest_id)
        try:
            digest = self.delivery.catalog.load(record)
        except (DigestError, OSError) as exc:  # changed again under us: the next sync retries
            _LOG.warning("correction of %s: cannot load it (%s)", digest_id, exc)
            return None
        if await self.store.digest_push_running(digest_id):
            self.paused = True
            return None  # the push finishes first (with the current file); then we compare
        legacy = pushed.reconciled_hash is None
        self._rendered = {}  # every target of one layout compares against one rendering
        differing = [
            t
            for t in await self.store.delivered_targets(digest_id)
            if await self._differs(digest, *t, adopt=legacy)
        ]
        if not differing:
            await self._close_paused(digest_id, digest.title)
            await self.store.mark_reconciled(digest_id, pushed.file_hash)
            return None
        window = dt.timedelta(hours=self.settings.correction_window_hours)
        late = self.now() - pushed.first_sent_at > window
        if late or self.settings.corrections == "off":
            state = "outside_window" if late else "off"
            _LOG.warning(
                "digest %s changed after its push; not corrected in %d chats (%s)",
                digest_id,
                len(differing),
                f"more than {self.settings.correction_window_hours} h after the push"
                if late
                else "CORRECTIONS=off",
            )
            await self._record(
                digest_id, digest.title, pushed.file_hash, state, chats=len(differing)
            )
            await self.store.mark_reconciled(digest_id, pushed.file_hash)
            return CorrectionReport(digest_id, digest.title, state)
        return await self.correct(digest, pushed.file_hash, differing, progress)

    async def _close_paused(self, digest_id: str, title: str) -> None:
        """A correction paused earlier (a chat migrating, a push starting) that has nothing
        left to do: reported if it changed chats, else forgotten."""
        for rec in await self.store.running_corrections(digest_id):
            if not (rec.edited or rec.added or rec.removed):
                await self.store.forget_correction(rec.id)
            elif await self.store.finish_correction(rec.id, "done"):
                report = CorrectionReport(digest_id, title, "done")
                await self._tell_admins(report, await self.store.get_correction(rec.id))

    async def _record(
        self, digest_id: str, title: str, file_hash: str, state: str, **counts: int
    ) -> None:
        rec = await self.store.open_correction(digest_id, title, file_hash, state)
        if counts:
            await self.store.add_to_correction(rec.id, **counts)
        await self.store.finish_correction(rec.id, state)

    async def _differs(
        self, digest: Digest, chat: int | str, thread: int | None, *, adopt: bool
    ) -> bool:
        rows = await self.store.journal_rows(digest.id, chat, thread)
        if not rows:
            return False
        parts = self.render(digest, rows[0].layout)
        if adopt and any(r.content_hash is None for r in rows):
            # journaled before hashes were kept: take them as showing this version
            await self.store.set_part_meta(
                digest.id,
                chat,
                thread,
                {
                    r.part: (p.new.content_hash, p.new.kind, p.new.media)
                    for r, p in zip(rows, parts, strict=False)
                    if r.part >= 0
                },
            )
            rows = await self.store.journal_rows(digest.id, chat, thread)
        plan = plan_correction(_old_parts(rows, parts), [p.new for p in parts], now=self.now())
        return not plan.empty or _needs_renumber(plan, rows)

    def render(self, digest: Digest, layout: str) -> list[RenderedPart]:
        """The parts as a push in `layout` sends them, with the hash the push journals."""
        key = (digest.id, layout)
        if key not in self._rendered:
            self._rendered = {k: v for k, v in self._rendered.items() if k[0] == digest.id}
            self._rendered[key] = self._render(digest, layout)
        return self._rendered[key]

    def _render(self, digest: Digest, layout: str) -> list[RenderedPart]:
        # the push's own catalogue, so the hashes match what the push journaled
        # (rows journaled as 'classic' are the sections cut)
        try:
            calls = self.delivery.catalog.calls(digest, layout=normal_layout(layout))
        except ValueError:  # a layout this version does not know: what a push would use
            calls = self.delivery.catalog.calls(digest, layout=DEFAULT_LAYOUT)
        return [
            RenderedPart(
                c,
                NewPart(
                    n, part_hash(c), part_kind(c), c.photo if c.method == "sendPhoto" else None
                ),
            )
            for n, c in enumerate(calls)
        ]

    # -- correcting ------------------------------------------------------------------------
    async def correct(
        self,
        digest: Digest,
        file_hash: str,
        targets: Sequence[tuple[int | str, int | None]],
        progress: Progress | None = None,
    ) -> CorrectionReport:
        rec = await self.store.open_correction(digest.id, digest.title, file_hash)
        report = CorrectionReport(digest.id, digest.title, "running")
        emit = progress or (lambda _event: None)
        report.results = [TargetCorrection(chat, thread) for chat, thread in targets]
        await asyncio.gather(
            *(self._correct_target(digest, r, rec.id, emit) for r in report.results)
        )
        if any(r.retry for r in report.results):
            _LOG.info("correction of %s paused: %s", digest.id, report.summary())
            self.paused = True
            return report  # reconciled stays behind: the next sync carries on
        report.state = "done"
        await self.store.mark_reconciled(digest.id, file_hash)
        if await self.store.finish_correction(rec.id, "done"):
            final = await self.store.get_correction(rec.id)
            await self._tell_admins(report, final)
        _LOG.info("correction %s", report.summary())
        return report

    async def _correct_target(
        self, digest: Digest, result: TargetCorrection, rec_id: int, emit: Progress
    ) -> None:
        chat, thread = result.chat_id, result.thread_id
        lock = self.delivery._locks.setdefault((digest.id, chat, thread), asyncio.Lock())
        try:
            async with lock:
                if await self.store.push_pending(digest.id, chat, thread):
                    result.retry, result.error = True, "its push is still running"
                    return
                await self._carry_out(digest, result, emit)
        except Exception as exc:  # one chat's bug must not stop the others
            _LOG.exception("correction of %s in %s crashed", digest.id, result.label)
            result.error = f"internal error: {exc!r}"
        await self.store.add_to_correction(
            rec_id,
            edited=result.edited,
            added=result.added,
            removed=result.removed,
            chats=int(result.changed),
            failed=int(bool(result.error) and not result.retry),
        )

    async def _carry_out(self, digest: Digest, result: TargetCorrection, emit: Progress) -> None:
        chat, thread = result.chat_id, result.thread_id
        rows = await self.store.journal_rows(digest.id, chat, thread)
        if not rows:
            return
        layout = rows[0].layout
        parts = self.render(digest, layout)
        news = [p.new for p in parts]
        plan = plan_correction(_old_parts(rows, parts), news, now=self.now())
        emit(
            CorrectionEvent(
                "planned", chat, thread, len(plan.edits) + len(plan.sends) + len(plan.removals)
            )
        )
        by_slot = {r.part: r for r in rows}
        try:
            for edit in plan.edits:
                await self._edit(
                    digest.id, by_slot[edit.slot], edit, parts[edit.position], result, chat, thread
                )
                emit(CorrectionEvent("step", chat, thread))
            for send in plan.sends:
                twin = parts[send.position].new.content_hash
                await self._send(
                    digest.id,
                    send,
                    parts[send.position],
                    layout,
                    result,
                    chat,
                    thread,
                    sum(p.content_hash == twin for p in news),
                )
                emit(CorrectionEvent("step", chat, thread))
            for removal in plan.removals:
                await self._remove(digest.id, by_slot[removal.slot], removal, result, chat, thread)
                emit(CorrectionEvent("step", chat, thread))
        except ChatMigrated as exc:
            new_chat = int(exc.new_chat_id)
            _LOG.warning("chat %s became supergroup %s during a correction", chat, new_chat)
            await self.store.follow_migration(chat, new_chat, thread)
            result.retry, result.error = True, f"moved to {new_chat}"
            return
        except ChatGone as exc:
            result.error = exc.reason
            await self.store.deactivate_chat(chat, exc.reason)
            await self.store.record_failure(digest.id, chat, thread, None, exc.reason)
            return
        except DeliveryError as exc:
            result.error = exc.reason
            _LOG.warning("correction of %s in %s stopped: %s", digest.id, result.label, exc.reason)
            await self.store.record_failure(
                digest.id, chat, thread, None, f"correction: {exc.reason}"
            )
            return
        # the chat shows the new version: give every row its new position
        rows = await self.store.journal_rows(digest.id, chat, thread)
        final = plan_correction(_old_parts(rows, parts), news, now=self.now())
        if final.empty:
            placed = await self.store.renumber_parts(
                digest.id, chat, thread, {slot: pos for pos, slot in final.final_slots().items()}
            )
            result.retry = result.retry or not placed  # another corrector moved them first
        else:  # cannot happen unless the journal changed under us: the next sync looks again
            _LOG.warning(
                "correction of %s in %s left work undone; retrying later", digest.id, result.label
            )
            result.retry = True

    # -- the three actions -----------------------------------------------------------------
    async def _edit(
        self,
        digest_id: str,
        row: JournalRow,
        edit: Edit,
        part: RenderedPart,
        result: TargetCorrection,
        chat: int | str,
        thread: int | None,
    ) -> None:
        meta = {
            "content_hash": part.new.content_hash,
            "kind": part.new.kind,
            "media": part.new.media,
        }
        if row.gone:  # an admin deleted it: never brought back, only the journal follows
            await self.store.set_part(digest_id, chat, thread, row.part, **meta)
            return
        outcome = await self._telegram(
            chat, lambda plain: self._edit_call(chat, row.message_id, edit.method, part.call, plain)
        )
        if outcome == "gone":
            result.gone += 1
            _LOG.info(
                "correction: message %s in %s is gone; part %d recorded as gone",
                row.message_id,
                result.label,
                edit.position,
            )
            await self.store.set_part(digest_id, chat, thread, row.part, gone=True, **meta)
            return
        result.edited += 1
        await self.store.set_part(digest_id, chat, thread, row.part, **meta)

    async def _edit_call(
        self, chat: int | str, message_id: int, method: str, call: OutgoingCall, plain: bool
    ) -> object:
        mode = None if plain else ParseMode.HTML
        if method == "editRich":
            return await self._edit_rich(
                chat, message_id, dict(call.rich_message or {"html": call.html})
            )
        if method == "editMessageText":
            text = plain_fallback(call.html) if plain else call.html
            previews = LinkPreviewOptions(is_disabled=not self.settings.link_previews)
            return await self.bot.edit_message_text(
                text,
                chat,
                message_id,
                parse_mode=mode,
                link_preview_options=previews,
                rate_limit_args=PACED,
            )  # type: ignore[call-arg]
        caption = plain_fallback(call.html, MessageLimit.CAPTION_LENGTH) if plain else call.html
        if method == "editMessageMedia":
            media = InputMediaPhoto(call.photo or "", caption=caption, parse_mode=mode)
            return await self.bot.edit_message_media(media, chat, message_id, rate_limit_args=PACED)  # type: ignore[call-arg]
        return await self.bot.edit_message_caption(
            chat, message_id, caption=caption, parse_mode=mode, rate_limit_args=PACED
        )  # type: ignore[call-arg]

    async def _edit_rich(self, chat: int | str, message_id: int, rich: dict) -> object:
        # editMessageText with `rich_message` (Bot API 10.1; PTB 22.8 has no parameter for
        # it), like bot/delivery/rich_api.edit_rich_message but paced as correction traffic
        with warnings.catch_warnings():
            # PTB suggests its own editMessageText, which cannot send `rich_message`
            warnings.simplefilter("ignore", PTBUserWarning)
            return await self.bot.do_api_request(
                "editMessageText",
                api_kwargs={"chat_id": chat, "message_id": message_id, "rich_message": rich},
                rate_limit_args=PACED,
            )  # type: ignore[call-arg]

    async def _send(
        self,
        digest_id: str,
        send: Send,
        part: RenderedPart,
        layout: str,
        result: TargetCorrection,
        chat: int | str,
        thread: int | None,
        copies: int,
    ) -> None:
        """`copies`: how many parts of the new version have this content (normally 1)."""
        # a temporary slot no pushed part uses; claimed like a push part so that two
        # processes (the bot and `digestbot post`) never both send it
        slot = -(send.position + 1)
        owner, ttl = self.delivery.owner, self.delivery.claim_ttl
        while True:
            state = await self.store.claim_part(digest_id, chat, thread, slot, owner=owner, ttl=ttl)
            if state == "delivered":
                return
            if state == "claimed":
                break
            await asyncio.sleep(self.delivery.claim_poll)
        if await self.store.hash_count(digest_id, chat, thread, part.new.content_hash) >= copies:
            # another process sent it and already renumbered it out of the temporary slot
            await self.store.release_part(digest_id, chat, thread, slot, owner=owner)
            return
        try:
            message_id, kind = await self._send_call(chat, thread, part.call, send.reply_to)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self.store.release_part(digest_id, chat, thread, slot, owner=owner)
                )
            raise
        await self.store.deliver_claimed(
            digest_id,
            chat,
            thread,
            slot,
            owner=owner,
            message_id=message_id,
            content_hash=part.new.content_hash,
            layout=layout,
            kind=kind,
            media=part.new.media if kind == "photo" else None,
        )
        result.added += 1

    async def _send_call(
        self, chat: int | str, thread: int | None, call: OutgoingCall, reply_to: int | None
    ) -> tuple[int, str]:
        if call.method == "sendRichMessage":
            from bot.delivery.rich_api import send_rich_message

            rich = await send_rich_message(
                self.bot,
                chat,
                call.rich_message or {},
                message_thread_id=thread,
                disable_notification=True,
            )
            return rich.message_id, "rich"
        message = OutgoingMessage(
            "sendPhoto" if call.method == "sendPhoto" else "sendMessage",
            call.html,
            photo=call.photo,
        )
        options = SendOptions(
            notify=False, link_previews=self.settings.link_previews, reply_to=reply_to
        )
        sent = await send_part(self.bot, chat, thread, message, options, retry=self.retry)
        return sent.message_id, "photo" if sent.photo else "text"

    async def _remove(
        self,
        digest_id: str,
        row: JournalRow,
        removal: Remove,
        result: TargetCorrection,
        chat: int | str,
        thread: int | None,
    ) -> None:
        if not row.gone:
            how = removal.how
            if how == "delete":
                outcome = await self._telegram(
                    chat,
                    lambda _plain: self.bot.delete_message(
                        chat,
                        row.message_id,
                        rate_limit_args=PACED,  # type: ignore[call-arg]
                    ),
                )
                if outcome == "cant_delete":  # older than Telegram allows after all
                    how = "note"
            if how == "note":
                await self._telegram(chat, lambda plain: self._note(chat, row, plain))
            result.removed += 1
        await self.store.drop_part(digest_id, chat, thread, row.part)

    async def _note(self, chat: int | str, row: JournalRow, plain: bool) -> object:
        note = _(NOTE_TEXT)
        text = note if plain else NOTE_HTML.format(note=esc(note))
        mode = None if plain else ParseMode.HTML
        if row.kind == "rich":
            return await self._edit_rich(
                chat, row.message_id, {"html": NOTE_RICH.format(note=esc(note))}
            )
        if row.kind == "photo":
            return await self.bot.edit_message_caption(
                chat, row.message_id, caption=text, parse_mode=mode, rate_limit_args=PACED
            )  # type: ignore[call-arg]
        return await self.bot.edit_message_text(
            text, chat, row.message_id, parse_mode=mode, rate_limit_args=PACED
        )  # type: ignore[call-arg]

    async def _telegram(self, chat: int | str, call: Callable[[bool], Awaitable[object]]) -> str:
        """Run an edit or delete with the push's retry rules: 'ok' (also for "not modified"),
        'gone' (message gone or not editable), 'cant_delete'; raises ChatMigrated, ChatGone,
        SendFailed like send_part."""
        plain = False

        async def request() -> str:
            await call(plain)
            return "ok"

        def refused(exc: BadRequest) -> str | None:
            nonlocal plain
            text = exc.message.lower()
            if _NOT_MODIFIED in text:
                return "ok"  # already shows it (e.g. edited just before a crash)
            if _DELETE_GONE in text or any(n in text for n in _GONE):
                return "gone"
            if _CANT_DELETE in text:
                return "cant_delete"
            kind = classify(exc)
            if kind == "parse" and not plain:
                plain = True
                return None
            if kind == "gone":
                raise ChatGone(exc.message) from exc
            raise SendFailed(f"bad request: {exc.message}") from exc

        return await with_retries(self.bot, chat, request, refused, retry=self.retry)

    async def _tell_admins(self, report: CorrectionReport, final) -> None:
        edited = final.edited if final else report.total("edited")
        added = final.added if final else report.total("added")
        removed = final.removed if final else report.total("removed")
        chats = final.chats if final else report.chats
        lines = [
            _("✏️ Correction: <b>{title}</b>").format(title=esc(report.title)),
            ngettext(
                "{edited} parts edited, {added} added, {removed} removed in {n} chat",
                "{edited} parts edited, {added} added, {removed} removed in {n} chats",
                chats,
            ).format(edited=edited, added=added, removed=removed, n=chats),
        ]
        for failed in report.failed[:10]:
            lines.append(f"• <code>{esc(failed.label)}</code>: {esc(failed.error)}")
        gone = report.total("gone")
        if gone:
            lines.append(
                ngettext(
                    "{n} part was already deleted in its chat and stays deleted",
                    "{n} parts were already deleted in their chat and stay deleted",
                    gone,
                ).format(n=gone)
            )
        await notify_admins(self.bot, self.settings.admin_ids, "\n".join(lines))


def _old_parts(rows: Sequence[JournalRow], parts: Sequence[RenderedPart]) -> list[OldPart]:
    out = []
    for row in rows:
        # rows from before v6: unknown hash never equals a part (edited: "not modified" is
        # fine); unknown kind: the kind a part at that place has now
        guess = parts[row.part].new.kind if 0 <= row.part < len(parts) else "text"
        out.append(
            OldPart(
                row.part,
                row.message_id,
                row.content_hash or f"unknown:{row.part}",
                row.kind or guess,  # type: ignore[arg-type]
                row.media,
                row.sent_at,
            )
        )
    return out


def _needs_renumber(plan: Plan, rows: Sequence[JournalRow]) -> bool:
    return any(slot != pos for pos, slot in plan.final_slots().items()) or len(rows) != len(
        plan.final_slots()
    )
