"""Runs before every feature handler (group -1): the per-user rate limit, and the rule that a
button press may only edit a message the bot created as an interactive list in that chat.

Callback data comes from the client and can be forged: `a:0` pressed "on" a pushed digest part
would otherwise turn that part into an archive page. Interactive messages are recorded when
they are sent (handlers.common.show); a press on anything else is answered and ignored.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.i18n import N_, _
from bot.services import BotContext

_LOG = logging.getLogger("digestbot.guard")

SLOW_DOWN = N_(
    "You're sending requests faster than I can answer. Please wait a few seconds; "
    "I'll answer again then."
)
STALE_BUTTON = N_("This button no longer works here.")


def _counts(update: Update) -> bool:
    """Commands and button presses count against the limit (plain chatter is ignored anyway)."""
    if update.callback_query is not None:
        return True
    message = update.message
    return bool(message and message.text and message.text.startswith("/"))


async def guard(update: Update, context: BotContext) -> None:
    svc = context.services
    user = update.effective_user
    if (
        user is not None
        and not svc.is_admin(user.id)
        and _counts(update)
        and not await svc.user_limit.allow(user.id)
    ):
        if svc.user_limit.first_refusal(user.id):
            await _tell_slow_down(update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or not await svc.store.is_interactive(
            message.chat.id, message.message_id
        ):
            _LOG.info(
                "ignored button %r on message %s (not an interactive list of this chat)",
                query.data,
                message.message_id if message else query.inline_message_id,
            )
            await query.answer(_(STALE_BUTTON))
            raise ApplicationHandlerStop


async def _tell_slow_down(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(_(SLOW_DOWN), show_alert=True)
        return
    chat = update.effective_chat
    message = update.effective_message
    if chat is None:
        return
    thread = message.message_thread_id if message and message.is_topic_message else None
    context.services.outbox.notice_once(
        chat.id,
        ("notice", "slow-down"),
        lambda: context.bot.send_message(chat.id, _(SLOW_DOWN), message_thread_id=thread),
    )


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), group=-1)
