"""The error handler: log the failure with the update's context, apologise, report it to
ERROR_CHAT_ID (bot/error_report.py: once per distinct error per 10 minutes), keep serving."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.i18n import N_, _, set_language
from bot.services import BotContext
from handlers.instrument import language_for

log = logging.getLogger("digestbot.errors")

APOLOGY = N_("Sorry, something went wrong on my side. Please try again later.")


def describe(update: object) -> str:
    """Who did what, without the message text (it may be private) beyond the command."""
    if not isinstance(update, Update):
        return repr(update)[:200]
    parts = [f"update {update.update_id}"]
    if update.effective_chat:
        parts.append(f"chat {update.effective_chat.id} ({update.effective_chat.type})")
    if update.effective_user:
        parts.append(f"user {update.effective_user.id}")
    if update.callback_query:
        parts.append(f"button {update.callback_query.data!r}")
    elif update.effective_message and update.effective_message.text:
        # the command word only: the rest is what a person wrote (the log is not theirs)
        parts.append(f"command {update.effective_message.text.split(maxsplit=1)[0][:40]!r}")
    return ", ".join(parts)


async def on_error(update: object, context: BotContext) -> None:
    if update is None and isinstance(context.error, TelegramError):
        # polling failed (network, 409 Conflict); PTB retries with backoff by itself: one
        # warning, then a reminder a minute at most, never a traceback
        polling_errors = context.bot_data.polling_errors
        if polling_errors is not None:
            polling_errors(context.error)
        else:
            log.warning("polling failed (%s); retrying", context.error)
        return
    log.error("handler failed for %s", describe(update), exc_info=context.error)
    if isinstance(update, Update):
        await _apologise(update, context)
    ops = context.bot_data.ops
    if ops is not None and context.error is not None:
        await ops.errors.report_exception(context.error, describe(update))


async def _apologise(update: Update, context: BotContext) -> None:
    set_language(await language_for(update, context.bot_data))  # in their language
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(_(APOLOGY), show_alert=True)
        elif update.effective_chat is not None:
            message = update.effective_message
            thread = message.message_thread_id if message and message.is_topic_message else None
            await context.bot.send_message(
                update.effective_chat.id, _(APOLOGY), message_thread_id=thread
            )
    except TelegramError as exc:  # e.g. the query is too old to answer: nothing more to do
        log.warning("could not apologise for %s: %s", describe(update), exc)


async def unhandled_button(update: Update, context: BotContext) -> None:
    """A button no feature handles: the page counter ("n"), or stale / forged data. Answer it
    anyway, or the user's client shows a spinner on the button until Telegram gives up."""
    assert update.callback_query is not None
    await update.callback_query.answer()


def register(app: Application) -> None:
    # registered last (see handlers.register_all): only buttons no feature module matched
    app.add_handler(CallbackQueryHandler(unhandled_button))
    app.add_error_handler(on_error)
