"""/id (the ids ADMIN_IDS and DIGEST_CHATS need) and /language (this chat's language)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot.i18n import (
    ENGLISH,
    SIMPLIFIED,
    _,
    current_language,
    parse_language,
    set_language,
)
from bot.services import BotContext
from handlers.common import command_argument, show
from handlers.permissions import may_change_chat_settings

LANGUAGE_NAMES = {ENGLISH: "English", SIMPLIFIED: "简体中文"}  # each in its own language


def id_text(update: Update) -> str:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    lines = []
    if user is not None:
        lines.append(
            _("Your user id: <code>{user_id}</code> (for ADMIN_IDS)").format(user_id=user.id)
        )
    if chat is not None:
        lines.append(
            _("This chat: <code>{chat_id}</code> ({chat_type})").format(
                chat_id=chat.id, chat_type=chat_type_name(chat.type)
            )
        )
        if chat.type != ChatType.PRIVATE:
            target = str(chat.id)
            if message is not None and message.is_topic_message and message.message_thread_id:
                lines.append(
                    _("This topic: <code>{thread_id}</code>").format(
                        thread_id=message.message_thread_id
                    )
                )
                target += f":{message.message_thread_id}"
            lines.append(
                _("To push digests here: <code>DIGEST_CHATS={target}</code>").format(target=target)
            )
    return "\n".join(lines)


def chat_type_name(chat_type: str) -> str:
    names: dict[str, str] = {
        ChatType.PRIVATE: _("private chat"),
        ChatType.GROUP: _("group"),
        ChatType.SUPERGROUP: _("supergroup"),
        ChatType.CHANNEL: _("channel"),
    }
    return names.get(chat_type, chat_type)


async def id_command(update: Update, context: BotContext) -> None:
    await show(update, context, id_text(update))


async def language_command(update: Update, context: BotContext) -> None:
    svc = context.services
    chat = update.effective_chat
    assert chat is not None
    wanted = command_argument(update.effective_message)
    choices = " · ".join(
        f"<code>/language {code}</code> {name}"
        for code, name in (("en", LANGUAGE_NAMES[ENGLISH]), ("zh", LANGUAGE_NAMES[SIMPLIFIED]))
    )
    if not wanted:
        await show(
            update,
            context,
            _("This chat's language: {language}. Change it: {choices}").format(
                language=LANGUAGE_NAMES.get(current_language(), ""), choices=choices
            ),
        )
        return
    language = parse_language(wanted)
    if language is None:
        await show(
            update,
            context,
            _("I do not know that language. Choose: {choices}").format(choices=choices),
        )
        return
    if not await may_change_chat_settings(update, context):
        await show(update, context, _("Sorry, only an administrator of this chat can do that."))
        return
    await svc.store.set_chat_language(chat.id, language)
    set_language(language)  # the confirmation already in the new language
    await show(
        update,
        context,
        _("Done: I will write in {language} here.").format(language=LANGUAGE_NAMES[language]),
    )


def register(app: Application) -> None:
    where = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    app.add_handler(CommandHandler("id", id_command, filters=where))
    app.add_handler(CommandHandler("language", language_command, filters=where))
