"""Tell the administrators (ADMIN_IDS, in their private chats) about delivery problems."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

_LOG = logging.getLogger("digestbot.notify")


def esc(value: object) -> str:
    """Anything echoed from outside (chat titles, Telegram error texts) is escaped for HTML."""
    return html.escape(str(value), quote=False)


async def notify_admins(bot: Bot, admin_ids: Iterable[int], text_html: str) -> int:
    """Send `text_html` to every admin; returns how many got it. Never raises: an admin who
    never started the bot (403) must not break a push."""
    delivered = 0
    for admin in sorted(admin_ids):
        try:
            await bot.send_message(admin, text_html, parse_mode=ParseMode.HTML)
            delivered += 1
        except TelegramError as exc:
            _LOG.warning("could not notify admin %s: %s", admin, exc)
    return delivered
