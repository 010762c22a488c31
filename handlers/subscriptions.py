"""/subscribe and /unsubscribe: a group, channel or forum topic asks for the daily digest.

Allowed for an administrator of that chat (asked with getChatMember), an anonymous admin posting
as the group itself, a channel post (only admins can post in a channel), or an ADMIN_IDS user:
handlers.permissions, the rule /layout uses too.
The subscription is stored as a target in the database, so it survives restarts.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler, filters

from bot.delivery.notify import esc
from bot.i18n import _
from bot.schedule_text import describe_schedule
from bot.services import BotContext, Services
from handlers.permissions import may_change_chat_settings


async def _where(update: Update, services: Services) -> tuple[int, int | None]:
    """The target key of this chat/topic: always the numeric chat id. A public chat that is
    also stored by `@name` (DIGEST_CHATS, if getChat could not resolve it yet) is merged into
    it here, so it stays ONE target with one journal (else every digest would arrive twice)."""
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    chat = update.effective_chat
    if chat is None:  # callers pass only updates _checked let through
        raise ValueError("no chat in this update")
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
        await message.reply_text(_("Use this command in a group or channel where I am a member."))
        return None
    if not await may_change_chat_settings(update, context):
        await message.reply_text(_("Sorry, only an administrator of this chat can do that."))
        return None
    return services


async def subscribe(update: Update, context: BotContext) -> None:
    services = await _checked(update, context)
    message, chat = update.effective_message, update.effective_chat
    if services is None or message is None or chat is None:  # _checked has answered
        return
    chat_id, thread = await _where(update, services)
    await services.store.upsert_target(chat_id, thread, "subscribe", title=chat.title)
    settings = services.settings
    schedule = describe_schedule(settings.push_schedule, settings.timezone.key)
    await message.reply_text(
        _("Subscribed: the digest will arrive here {schedule}.").format(schedule=esc(schedule)),
        parse_mode=ParseMode.HTML,
    )


async def unsubscribe(update: Update, context: BotContext) -> None:
    services = await _checked(update, context)
    message = update.effective_message
    if services is None or message is None:  # _checked has answered
        return
    chat_id, thread = await _where(update, services)
    if await services.store.remove_subscription(chat_id, thread):
        text = _("Unsubscribed: no more digests here.")
    elif (
        (target := await services.store.get_target(chat_id, thread)) is not None
        and target.active
        and target.source == "config"
    ):
        text = _("This chat is set in the bot's configuration (DIGEST_CHATS); ask its operator.")
    else:
        text = _("This chat was not subscribed.")
    await message.reply_text(text)


def register(application: Application) -> None:
    where = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(CommandHandler("subscribe", subscribe, filters=where))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=where))
