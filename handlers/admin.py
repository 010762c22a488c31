"""Admin commands (ADMIN_IDS only): /post, /preview, /status, /reload.

Everyone else gets one polite refusal and nothing happens. Pushes run as background tasks of
the application (a push to many chats takes minutes and must not block other updates); the
admin gets a summary when it ends.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden
from telegram.ext import Application, CommandHandler, filters

from bot import __version__
from bot.config import ChatTarget
from bot.delivery.notify import esc
from bot.delivery.sender import DeliveryError
from bot.digest.model import Digest
from bot.ingest import sync_content
from bot.reader.views import fit_lines
from bot.services import BotContext, Services
from handlers.common import echo

_LOG = logging.getLogger(__name__)

REFUSAL = "Sorry, this command is for the bot's administrators."


Handler = Callable[[Update, BotContext], Awaitable[None]]


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
            await update.effective_message.reply_text(REFUSAL)

    return gated


async def _reply(update: Update, html: str) -> None:
    # every line of these replies closes its own tags, so whole lines can be dropped safely
    if update.effective_message is not None:
        await update.effective_message.reply_text(fit_lines([], html.split("\n"), [], "…"),
                                                  parse_mode=ParseMode.HTML)


async def _find_or_explain(update: Update, services: Services, spec: str | None,
                           usage: str) -> list[Digest]:
    """The digests `spec` names (a date, or None for the newest); [] after telling the admin why."""
    try:
        digests = await services.catalog.find_digests(spec)
    except ValueError as exc:
        await _reply(update, f"Not a date: {echo(str(exc), 40)}. {usage}")
        return []
    if not digests:
        await _reply(update, f"No digest found for {echo(spec or 'latest', 40)}.")
    return digests


# -- /post ---------------------------------------------------------------------------------------
@admin_only
async def post(update: Update, context: BotContext) -> None:
    services = context.services
    args = [a for a in context.args or []]
    here = any(a.lower() == "here" for a in args)
    spec = next((a for a in args if a.lower() != "here"), None)
    digests = await _find_or_explain(update, services, spec, "Use /post 2026-01-25 or /post here.")
    if not digests:
        return
    targets = None
    message = update.effective_message
    chat = update.effective_chat
    thread = message.message_thread_id if message and message.is_topic_message else None
    if here and chat is not None:
        targets = [ChatTarget(chat.id, thread)]
    names = ", ".join(esc(d.id) for d in digests)
    # The jobs are committed before this returns and pushed in the background; the
    # acknowledgement goes out beside them, best effort (it never decides whether they run),
    # and the admin gets the report in this chat when they end, also after a restart.
    await services.jobs.post(
        digests, targets, requested_by=update.effective_user.id if update.effective_user else None,
        report_chat=chat.id if chat else None, report_thread=thread,
        ack_html=f"Pushing {names} to {{count}} target(s)…")


# -- /preview ------------------------------------------------------------------------------------
@admin_only
async def preview(update: Update, context: BotContext) -> None:
    services = context.services
    if update.effective_user is None:
        return
    spec = (context.args or [None])[0]
    digests = await _find_or_explain(update, services, spec, "Use /preview 2026-01-25.")
    if not digests:
        return
    digest = digests[-1]
    try:
        parts = await services.delivery.preview(digest, update.effective_user.id)
    except (Forbidden, DeliveryError) as exc:
        await _reply(update, f"Could not send the preview to your private chat ({esc(exc)}). "
                             "Start a private chat with me first.")
        return
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        await _reply(update, f"Preview of {esc(digest.id)} ({parts} messages) sent to you.")


# -- /status -------------------------------------------------------------------------------------
def _ago(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours}h {minutes}m"


@admin_only
async def status(update: Update, context: BotContext) -> None:
    services = context.services
    await _reply(update, await status_text(services))


async def status_text(services: Services) -> str:
    settings = services.settings
    tz = settings.timezone
    now = dt.datetime.now(dt.UTC)
    nxt = services.scheduler.next_run_time()
    lines = [
        f"<b>digestbot {esc(__version__)}</b>, up {_ago(now - services.started_at)}",
        f"Next push: {esc(nxt.strftime('%Y-%m-%d %H:%M %Z')) if nxt else 'none'} "
        f"(<code>{esc(settings.push_schedule)}</code>, {esc(tz.key)})",
        f"Digests indexed: {await services.store.digest_count()}",
    ]
    bad = await services.store.bad_files()
    lines.append(f"Bad files: {len(bad)}")
    lines += [f"• {esc(b.path)}: {esc(b.reason)}" for b in bad[:5]]
    await services.delivery.sync_config_targets()  # DIGEST_CHATS show even before a first push
    summaries = await services.store.last_push_per_target()
    lines.append(f"Targets: {sum(s.target.active for s in summaries)} active of {len(summaries)}")
    for s in summaries[:25]:
        t = s.target
        where = f"{t.chat_id}:{t.thread_id}" if t.thread_id else str(t.chat_id)
        name = f" {esc(t.title)}" if t.title else ""
        state = "" if t.active else f" [inactive: {esc(t.deactivated_reason or '?')}]"
        if s.digest_id is None:
            last = "never pushed"
        else:
            when = s.last_sent_at.astimezone(tz).strftime("%m-%d %H:%M") if s.last_sent_at else "-"
            last = (f"{esc(s.digest_id)}: {s.parts_delivered} parts, last {esc(when)}, "
                    f"{s.failures} failures")
            if s.last_error:
                last += f" ({esc(s.last_error[:100])})"
        lines.append(f"• <code>{esc(where)}</code>{name}{state} — {last}")
    if len(summaries) > 25:
        lines.append(f"… and {len(summaries) - 25} more")
    lines += await _correction_lines(services)
    return "\n".join(lines)


_CORRECTION_STATES = {
    "done": "corrected", "running": "correcting…", "failed": "failed",
    "outside_window": "changed after the correction window: not sent",
    "off": "changed, CORRECTIONS=off: not sent",
    "file_deleted": "file deleted: nothing deleted in chats"}


async def _correction_lines(services: Services) -> list[str]:
    settings = services.settings
    records = await services.store.last_corrections(5)
    mode = (f"<code>CORRECTIONS={esc(settings.corrections)}</code>, window "
            f"{settings.correction_window_hours} h")
    if not records:
        return [f"Corrections ({mode}): none yet"]
    lines = [f"Last corrections ({mode}):"]
    for rec in records:
        when = rec.started_at.astimezone(settings.timezone).strftime("%m-%d %H:%M")
        state = _CORRECTION_STATES.get(rec.state, rec.state)
        counts = (f" — {rec.edited} edited, {rec.added} added, {rec.removed} removed in "
                  f"{rec.chats} chats" if rec.state in ("done", "running", "failed") else
                  f" ({rec.chats} chats)" if rec.chats else "")
        failed = f", {rec.failed} failed" if rec.failed else ""
        lines.append(f"• {esc(when)} <b>{esc(rec.title)}</b>: {esc(state)}{counts}{failed}")
    return lines


# -- /reload -------------------------------------------------------------------------------------
@admin_only
async def reload(update: Update, context: BotContext) -> None:
    services = context.services
    report = await sync_content(services.store, services.settings.content_dir)
    if services.corrector is not None:  # a fixed digest is corrected in the chats
        services.corrector.kick()
    lines = [f"Rescanned: {report.added} added, {report.changed} changed, {report.removed} "
             f"removed, {report.unchanged} unchanged."]
    lines += [f"• {esc(b.path)}: {esc(b.reason)}" for b in report.errors[:10]]
    if len(report.errors) > 10:
        lines.append(f"… and {len(report.errors) - 10} more bad files")
    await _reply(update, "\n".join(lines))


def register(application: Application) -> None:
    only_messages = filters.UpdateType.MESSAGE
    for name, callback in (("post", post), ("preview", preview), ("status", status),
                           ("reload", reload)):
        application.add_handler(CommandHandler(name, callback, filters=only_messages))



