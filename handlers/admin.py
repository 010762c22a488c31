"""Admin commands (ADMIN_IDS only): /post, /preview, /status, /reload.

Everyone else gets one polite refusal and nothing happens. Pushes run as background tasks of
the application (a push to many chats takes minutes and must not block other updates); the
admin gets a summary when it ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot import __version__
from bot.admin_views import and_more, bad_files_lines, code_html, digest_name, drafts_line
from bot.config import ChatTarget
from bot.delivery.layouts import LayoutPolicy
from bot.delivery.notify import esc
from bot.delivery.sender import DeliveryError
from bot.digest.calls import LAYOUTS
from bot.digest.model import Digest
from bot.i18n import N_, _, format_date, ngettext
from bot.ingest import sync_content
from bot.reader.views import fit_lines
from bot.schedule_text import describe_schedule
from bot.services import BotContext, Services

_LOG = logging.getLogger("digestbot.admin")

REFUSAL = N_(
    "Sorry, this command is for the bot's administrators (ADMIN_IDS). Send /id to see your user id."
)


Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]  # what PTB handlers take


def admin_only(handler: Handler) -> Handler:
    """Run `handler` for ADMIN_IDS users only; everyone else gets one polite refusal.

    A decorator, not filters.User: a refused command must still be answered, and a filter would
    pass the update on to no handler at all."""

    @functools.wraps(handler)
    async def gated(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if context.services.is_admin(user.id if user else None):
            await handler(update, context)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(_(REFUSAL))

    return gated


async def _reply(update: Update, html: str) -> None:
    # every line of these replies closes its own tags, so whole lines can be dropped safely
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            fit_lines([], html.split("\n"), [], "…"), parse_mode=ParseMode.HTML
        )


async def _tell_privately(context: BotContext, user_id: int, html: str) -> None:
    """To the admin's private chat (a /post here in a group leaves only the digest there)."""
    try:
        await context.bot.send_message(
            user_id, fit_lines([], html.split("\n"), [], "…"), parse_mode=ParseMode.HTML
        )
    except Forbidden as exc:  # the admin never opened a private chat with the bot
        _LOG.warning("could not tell admin %s the /post result: %s", user_id, exc)


async def _find_or_explain(
    update: Update, services: Services, spec: str | None, usage: str
) -> list[Digest]:
    """The digests `spec` names (a date, or None for the newest); [] after telling the admin why."""
    try:
        digests = await services.catalog.find_digests(spec)
    except ValueError as exc:
        await _reply(
            update, _("Not a date: {error}. {usage}").format(error=code_html(str(exc)), usage=usage)
        )
        return []
    if not digests:
        await _reply(
            update,
            _("No digest found for {spec}.").format(
                spec=esc(spec) if spec else _("the newest date")
            ),
        )
    return digests


# -- /post ---------------------------------------------------------------------------------------
@admin_only
async def post(update: Update, context: BotContext) -> None:
    services = context.services
    args = [a for a in context.args or []]
    here = any(a.lower() == "here" for a in args)
    spec = next((a for a in args if a.lower() != "here"), None)
    digests = await _find_or_explain(
        update, services, spec, _("Use /post 2026-01-25 or /post here.")
    )
    if not digests:
        return
    targets = None
    message = update.effective_message
    chat, user = update.effective_chat, update.effective_user
    thread = message.message_thread_id if message and message.is_topic_message else None
    if here and chat is not None:
        targets = [ChatTarget(chat.id, thread)]
    names = ", ".join(digest_name(d.title, d.date) for d in digests)
    report_chat, report_thread = (chat.id if chat else None), thread
    if here and chat is not None and chat.type != ChatType.PRIVATE and user is not None:
        # the group sees only the digest: the command goes, the admin is told in private
        if message is not None:  # a command always has one (filters=UpdateType.MESSAGE)
            with contextlib.suppress(TelegramError):
                await message.delete()
        report_chat, report_thread = user.id, None
    # The jobs are committed before this returns and pushed in the background; the
    # acknowledgement goes out beside them, best effort (it never decides whether they run),
    # and the admin gets the report (bot.delivery.jobs.format_report) when they end, also after
    # a restart. The background tasks keep this update's language (contextvars are copied).
    await services.jobs.post(
        digests,
        targets,
        requested_by=user.id if user else None,
        report_chat=report_chat,
        report_thread=report_thread,
        ack=lambda count: ngettext(
            "Pushing {names} to {n} target…", "Pushing {names} to {n} targets…", count
        ).format(names=names, n=count),
    )


# -- /preview ------------------------------------------------------------------------------------
def _preview_args(args: list[str]) -> tuple[str | None, str | None]:
    """(date spec, layout) from `/preview [date] [layout]`, in either order."""
    layout = next((a.lower() for a in args if a.lower() in LAYOUTS), None)
    spec = next((a for a in args if a.lower() not in LAYOUTS), None)
    return spec, layout


async def target_layouts_text(services: Services) -> str:
    """One line: each active target and its layout (what its next push uses)."""
    policy = services.delivery.layouts
    shown = []
    for target in (await services.delivery.active_targets())[:25]:
        where = f"{target.chat_id}:{target.thread_id}" if target.thread_id else str(target.chat_id)
        layout = await policy.chosen(target.chat_id, target.thread_id)
        shown.append(f"<code>{esc(where)}</code> {esc(_layout_label(policy, layout))}")
    return _("Targets: {targets}").format(targets=", ".join(shown) if shown else _("none"))


def _layout_label(policy: LayoutPolicy, layout: str) -> str:
    usable = policy.usable(layout)
    return (
        _("{layout} (sent as {usable})").format(layout=layout, usable=usable)
        if usable != layout
        else layout
    )


@admin_only
async def preview(update: Update, context: BotContext) -> None:
    services = context.services
    if update.effective_user is None:
        return
    spec, layout = _preview_args(list(context.args or []))
    layout = layout or services.settings.digest_layout
    digests = await _find_or_explain(
        update, services, spec, _("Use /preview 2026-01-25 [sections|compact|rich].")
    )
    if not digests:
        return
    digest = digests[-1]
    try:
        parts, used = await services.delivery.preview(
            digest, update.effective_user.id, layout=layout
        )
    except (Forbidden, DeliveryError) as exc:
        await _reply(
            update,
            _(
                "Could not send the preview to your private chat ({error}). "
                "Start a private chat with me first."
            ).format(error=esc(exc)),
        )
        return
    shown = (
        used
        if used == layout
        else _("{used} (instead of {layout})").format(used=used, layout=layout)
    )
    text = ngettext(
        "Preview of {name}: {n} message, layout {layout}.",
        "Preview of {name}: {n} messages, layout {layout}.",
        parts,
    ).format(name=digest_name(digest.title, digest.date), n=parts, layout=esc(shown))
    text += "\n" + await target_layouts_text(services)
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        await _reply(update, text)
    else:  # after the preview, in the same chat
        await context.bot.send_message(update.effective_user.id, text, parse_mode=ParseMode.HTML)


# -- /status -------------------------------------------------------------------------------------
def _ago(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return _("{days}d {hours}h {minutes}m").format(days=days, hours=hours, minutes=minutes)


def _when(moment: dt.datetime, tz: dt.tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{format_date(local.date())} {local:%H:%M}"


@admin_only
async def status(update: Update, context: BotContext) -> None:
    services = context.services
    await _reply(update, await status_text(services))


async def status_text(services: Services) -> str:
    settings = services.settings
    tz = settings.timezone
    now = dt.datetime.now(dt.UTC)
    nxt = services.scheduler.next_run_time()
    schedule = esc(describe_schedule(settings.push_schedule, tz.key))
    lines = [
        _("<b>digestbot {version}</b>, up {uptime}").format(
            version=esc(__version__), uptime=_ago(now - services.started_at)
        ),
        _("Next push: {when} — {schedule}").format(
            when=_when(nxt, tz) if nxt else _("none"), schedule=schedule
        ),
        _("Digests indexed: {n}").format(n=await services.store.digest_count()),
    ]
    bad = await services.store.bad_files()
    lines += bad_files_lines([(b.path, b.reason) for b in bad])
    drafts = await services.store.drafts()
    if drafts:
        lines.append(drafts_line(drafts))
    await services.delivery.sync_config_targets()  # DIGEST_CHATS show even before a first push
    policy = services.delivery.layouts
    lines.append(_("Default layout: {layout}").format(layout=esc(settings.digest_layout)))
    if policy.rich_unsupported:
        lines.append(
            _(
                "⚠️ Rich messages off for this run (the Bot API server has no "
                "sendRichMessage: {reason}); rich targets get compact."
            ).format(reason=esc(policy.rich_unsupported[:100]))
        )
    summaries = await services.store.last_push_per_target()
    lines.append(
        _("Targets: {active} active of {n}").format(
            active=sum(s.target.active for s in summaries), n=len(summaries)
        )
    )
    for s in summaries[:25]:
        t = s.target
        where = f"{t.chat_id}:{t.thread_id}" if t.thread_id else str(t.chat_id)
        name = f" {esc(t.title)}" if t.title else ""
        state = (
            ""
            if t.active
            else " " + _("[inactive: {reason}]").format(reason=esc(t.deactivated_reason or "?"))
        )
        if s.digest_id is None:
            last = _("never pushed")
        else:
            record = await services.catalog.get(s.digest_id)
            pushed = (
                digest_name(record.title, record.date)
                if record is not None
                else _("a digest no longer in the content folder")
            )
            when = _when(s.last_sent_at, tz) if s.last_sent_at else "-"
            last = ngettext(
                "{digest}: {n} part, last {when}, {failures} failures",
                "{digest}: {n} parts, last {when}, {failures} failures",
                s.parts_delivered,
            ).format(digest=pushed, n=s.parts_delivered, when=esc(when), failures=s.failures)
            if s.last_error:
                last += f" ({code_html(s.last_error[:100])})"
        layout = _layout_label(policy, await policy.chosen(t.chat_id, t.thread_id))
        lines.append(f"• <code>{esc(where)}</code>{name} [{esc(layout)}]{state} — {last}")
    if len(summaries) > 25:
        lines.append(and_more(len(summaries) - 25))
    lines += await _correction_lines(services)
    return "\n".join(lines)


_CORRECTION_STATES = {
    "done": N_("corrected"),
    "running": N_("correcting…"),
    "failed": N_("failed"),
    "outside_window": N_("changed after the correction window: not sent"),
    "off": N_("changed, CORRECTIONS=off: not sent"),
    "file_deleted": N_("file deleted: nothing deleted in chats"),
}


async def _correction_lines(services: Services) -> list[str]:
    settings = services.settings
    records = await services.store.last_corrections(5)
    mode = _("<code>CORRECTIONS={mode}</code>, window {hours} h").format(
        mode=esc(settings.corrections), hours=settings.correction_window_hours
    )
    if not records:
        return [_("Corrections ({mode}): none yet").format(mode=mode)]
    lines = [_("Last corrections ({mode}):").format(mode=mode)]
    for rec in records:
        when = rec.started_at.astimezone(settings.timezone).strftime("%m-%d %H:%M")
        state = _(_CORRECTION_STATES[rec.state]) if rec.state in _CORRECTION_STATES else rec.state
        counts = (
            " — "
            + ngettext(
                "{edited} edited, {added} added, {removed} removed in {n} chat",
                "{edited} edited, {added} added, {removed} removed in {n} chats",
                rec.chats,
            ).format(edited=rec.edited, added=rec.added, removed=rec.removed, n=rec.chats)
            if rec.state in ("done", "running", "failed")
            else " (" + ngettext("{n} chat", "{n} chats", rec.chats).format(n=rec.chats) + ")"
            if rec.chats
            else ""
        )
        failed = ", " + _("{n} failed").format(n=rec.failed) if rec.failed else ""
        lines.append(f"• {esc(when)} <b>{esc(rec.title)}</b>: {esc(state)}{counts}{failed}")
    return lines


# -- /reload -------------------------------------------------------------------------------------
@admin_only
async def reload(update: Update, context: BotContext) -> None:
    services = context.services
    report = await sync_content(services.store, services.settings.content_dir)
    if services.corrector is not None:  # a fixed digest is corrected in the chats
        services.corrector.kick()
    lines = [
        _(
            "Rescanned: {added} added, {changed} changed, {removed} removed, {unchanged} unchanged."
        ).format(
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            unchanged=report.unchanged,
        )
    ]
    if report.errors:
        lines += bad_files_lines([(b.path, b.reason) for b in report.errors])
    if report.drafts:
        lines.append(drafts_line(report.drafts))
    await _reply(update, "\n".join(lines))


def register(application: Application) -> None:
    only_messages = filters.UpdateType.MESSAGE
    for name, callback in (
        ("post", post),
        ("preview", preview),
        ("status", status),
        ("reload", reload),
    ):
        application.add_handler(CommandHandler(name, callback, filters=only_messages))
