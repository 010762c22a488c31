"""Tell the administrators (ADMIN_IDS, in their private chats) about delivery problems."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError

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


async def best_effort_send(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    text_html: str,
    *,
    attempts: int = 3,
    timeout: float = 60.0,  # noqa: ASYNC109
    backoff: float = 1.0,
) -> bool:
    """A notice that must never hold anything up: a few tries on network errors / 5xx, the
    whole thing bounded by `timeout` (a hanging connection). Never raises; True if sent."""

    async def tries() -> bool:
        for attempt in range(1, attempts + 1):
            try:
                await bot.send_message(
                    chat_id, text_html, parse_mode=ParseMode.HTML, message_thread_id=thread_id
                )
                return True
            except NetworkError as exc:  # TimedOut, dropped connection, 5xx
                _LOG.warning("notice to %s failed (try %d): %s", chat_id, attempt, exc)
                if attempt < attempts:
                    await asyncio.sleep(backoff * attempt)
            except TelegramError as exc:
                _LOG.warning("notice to %s refused: %s", chat_id, exc)
                return False
        return False

    try:
        return await asyncio.wait_for(tries(), timeout)
    except TimeoutError:
        _LOG.warning("notice to %s gave up after %.0fs", chat_id, timeout)
        return False
    except Exception:  # a bug in a notice must not take a push down
        _LOG.exception("notice to %s failed", chat_id)
        return False
