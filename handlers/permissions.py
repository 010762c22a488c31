"""Who may change a chat's settings: /subscribe, /unsubscribe, /language, /layout (+ buttons).

One rule for all of them: in a private chat the reader decides for themselves; in a group or
channel only its administrators (asked with getChatMember, each time: admins change) or an
ADMIN_IDS user. A command posted as the chat itself (a channel post: only admins can post; an
anonymous group admin) counts as an admin's. A button press counts only its presser: the
message a button sits on in a channel was sent by the channel itself, so "posted as the chat"
would let anyone through. Bot-wide commands (ADMIN_IDS only) use handlers.admin.admin_only.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.services import BotContext

_LOG = logging.getLogger("digestbot.permissions")


def _posted_as_the_chat(update: Update) -> bool:
    chat, message = update.effective_chat, update.effective_message
    if update.channel_post is not None:
        return True
    # anonymous group admin: posts as the group itself
    return (
        chat is not None
        and message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    )


async def may_change_chat_settings(update: Update, context: BotContext) -> bool:
    """May whoever sent this update (the presser, for a button) change this chat's settings?"""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or (update.callback_query is None and update.effective_message is None):
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if update.callback_query is None and _posted_as_the_chat(update):
        return True
    if user is None:
        return False
    if context.services.is_admin(user.id):
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        _LOG.warning("getChatMember(%s, %s) failed: %s", chat.id, user.id, exc)
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
