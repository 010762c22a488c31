"""/subscribe and /unsubscribe: a group, channel or forum topic asks for the daily digest.

Allowed for an administrator of that chat (asked with getChatMember), an anonymous admin posting
as the group itself, a channel post (only admins can post in a channel), or an ADMIN_IDS user.
The subscription is stored as a target in the database, so it survives restarts.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot.delivery.notify import esc
from bot.services import BotContext, Services

_LOG = logging.getLogger(__name__)


async def may_manage(update: Update, context: BotContext,
                     services: Services) -> bool:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return False
    if update.channel_post is not None:
        return True
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # anonymous group admin: posts as the group itself
    user = update.effective_user
    if user is None:
        return False
    if services.is_admin(user.id):
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        _LOG.warning("getChatMember(%s, %s) failed: %s", chat.id, user.id, exc)
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def _where(update: Update, services: Services) -> tuple[int, int | None]:
    """The target key of this chat/topic: always the numeric chat id. A public chat that is
    also stored by `@name` (DIGEST_CHATS, if getChat could not resolve it yet) is merged into
    it here, so it stays ONE target with one journal (else every digest would arrive twice)."""
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    chat = update.effective_chat
    if chat.username:
        await services.delivery.adopt_name(f"@{chat.username}", chat.id, title=chat.title)
    return chat.id, thread


async def _checked(update: Update, context: BotContext) -> Services | None:
    services = context.services
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return None
    if chat.type == ChatType.PRIVATE:
        await message.reply_text("Use this command in a group or channel where I am a member.")
        return None
    if not await may_manage(update, context, services):
        await message.reply_text("Sorry, only an administrator of this chat can do that.")
        return None
    return services


async def subscribe(update: Update, context: BotContext) -> None:
    services = await _checked(update, context)
    if services is None:
        return
    chat_id, thread = await _where(update, services)
    await services.store.upsert_target(chat_id, thread, "subscribe",
                                       title=update.effective_chat.title)
    settings = services.settings
    await update.effective_message.reply_text(
        f"Subscribed: the digest will arrive here on schedule "
        f"(<code>{esc(settings.push_schedule)}</code>, {esc(settings.timezone.key)}).",
        parse_mode=ParseMode.HTML,
    )


async def unsubscribe(update: Update, context: BotContext) -> None:
    services = await _checked(update, context)
    if services is None:
        return
    chat_id, thread = await _where(update, services)
    if await services.store.remove_subscription(chat_id, thread):
        text = "Unsubscribed: no more digests here."
    elif (target := await services.store.get_target(chat_id, thread)) is not None \
            and target.active and target.source == "config":
        text = "This chat is set in the bot's configuration (DIGEST_CHATS); ask its operator."
    else:
        text = "This chat was not subscribed."
    await update.effective_message.reply_text(text)


def register(application: Application) -> None:
    where = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(CommandHandler("subscribe", subscribe, filters=where))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=where))
