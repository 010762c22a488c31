"""Around every handler: the language of the reply, and one INFO log line per update handled.

`instrument(application)` wraps the callback of each registered handler once, so feature
modules stay plain: they call `_()` and the text comes out in the chat's language. The log line
names the command (or button kind), the chat type and id and the latency — never message text.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
)

from bot.i18n import language_for_code, set_language
from bot.services import BotData

log = logging.getLogger("digestbot.handlers")

Callback = Callable[[Update, Any], Coroutine[Any, Any, Any]]  # PTB takes coroutine functions


async def language_for(update: object, bot_data: BotData) -> str:
    """The language to write in for this update: what /language chose for the chat; else a
    private reader's Telegram language; else (groups, channels) BOT_LANGUAGE."""
    services = bot_data.services
    settings = services.settings if services is not None else bot_data.settings
    default = settings.bot_language if settings is not None else "en"
    if not isinstance(update, Update):
        return default
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and services is not None:
        chosen = await services.store.chat_language(chat.id)
        if chosen:
            return chosen
    if (chat is None or chat.type == ChatType.PRIVATE) and user is not None:
        return language_for_code(user.language_code)
    return default


def _label(update: Update, handler: BaseHandler[Any, Any, Any]) -> str:
    """`/search`, `button:s` or the handler's kind: what was asked, never its text."""
    message = update.effective_message
    if isinstance(handler, CommandHandler) and message is not None and message.text:
        word = message.text.split(maxsplit=1)[0].split("@", 1)[0]
        return word if word[1:] in handler.commands else "/" + sorted(handler.commands)[0]
    if isinstance(handler, CallbackQueryHandler) and update.callback_query is not None:
        return "button:" + (update.callback_query.data or "").split(":", 1)[0][:8]
    return type(handler).__name__


def _chat(update: Update) -> tuple[str, str]:
    chat = update.effective_chat
    return (chat.type, str(chat.id)) if chat is not None else ("none", "-")


def _wrap(callback: Callback, handler: BaseHandler[Any, Any, Any]) -> Callback:
    @functools.wraps(callback)
    async def handled(update: Update, context: Any) -> Any:
        # PTB runs each update in its own task, so this setting lasts for exactly this update
        set_language(await language_for(update, context.bot_data))
        if isinstance(handler, TypeHandler):  # the guard before every handler: not a command
            return await callback(update, context)
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await callback(update, context)
            outcome = "ok"
            return result
        finally:
            chat_type, chat_id = _chat(update)
            log.info(
                "%s in %s chat %s: %s in %.0f ms",
                _label(update, handler),
                chat_type,
                chat_id,
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    handled.__digestbot_instrumented__ = True  # type: ignore[attr-defined]
    return handled


def instrument(application: Application) -> None:
    for handlers in application.handlers.values():
        for handler in handlers:
            if not getattr(handler.callback, "__digestbot_instrumented__", False):
                handler.callback = _wrap(handler.callback, handler)
