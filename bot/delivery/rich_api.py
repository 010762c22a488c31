"""Rich messages (Bot API 10.1) for python-telegram-bot 22.8, which predates them.

One small seam: `send_rich_message` (and `edit_rich_message`) call the method through
`Bot.do_api_request`, so the bot's rate limiter and request settings apply as for any call, and
return the raw result, whose `rich_message` PTB 22.8 cannot model. A PTB with `send_rich_message`
can replace the body of these functions without touching their callers.

A server without the method (an older self-hosted Bot API server) answers 404, which PTB raises
as EndPointNotFound: that becomes `RichMessagesUnsupported`, the signal to use `compact` instead.
Every other error (BadRequest for a refused message, RetryAfter, NetworkError, Forbidden,
ChatMigrated) passes through unchanged, as from PTB's own send methods.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import EndPointNotFound
from telegram.warnings import PTBUserWarning


class RichMessagesUnsupported(Exception):
    """The Bot API server has no sendRichMessage (404): it is older than Bot API 10.1."""


@dataclass(frozen=True)
class RichSent:
    """What Telegram returned for a rich message."""

    message_id: int
    rich_message: Mapping[str, Any]  # RichMessage: {"blocks": [...], "is_rtl"?: bool}
    raw: Mapping[str, Any]  # the whole Message object as received


def _result(raw: Any) -> RichSent:
    if not isinstance(raw, Mapping) or "message_id" not in raw:
        raise ValueError(f"unexpected sendRichMessage result: {raw!r}"[:200])
    return RichSent(int(raw["message_id"]), raw.get("rich_message") or {}, raw)


async def send_rich_message(
    bot: Bot,
    chat_id: int | str,
    rich: Mapping[str, Any],
    *,
    message_thread_id: int | None = None,
    disable_notification: bool | None = None,
    protect_content: bool | None = None,
    reply_markup: Mapping[str, Any] | None = None,
) -> RichSent:
    """sendRichMessage with `rich` as the InputRichMessage (e.g. {"html": "<p>…</p>"})."""
    params: dict[str, Any] = {"chat_id": chat_id, "rich_message": dict(rich)}
    optional = {
        "message_thread_id": message_thread_id,
        "disable_notification": disable_notification,
        "protect_content": protect_content,
        "reply_markup": dict(reply_markup) if reply_markup is not None else None,
    }
    params.update({k: v for k, v in optional.items() if v is not None})
    return _result(await _call(bot, "sendRichMessage", params))


async def edit_rich_message(
    bot: Bot,
    chat_id: int | str,
    message_id: int,
    rich: Mapping[str, Any],
    *,
    reply_markup: Mapping[str, Any] | None = None,
) -> RichSent:
    """editMessageText with `rich_message` instead of `text`."""
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "message_id": message_id,
        "rich_message": dict(rich),
    }
    if reply_markup is not None:
        params["reply_markup"] = dict(reply_markup)
    return _result(await _call(bot, "editMessageText", params))


async def _call(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    try:
        with warnings.catch_warnings():
            # PTB suggests its own edit_message_text, which cannot send rich_message yet
            warnings.filterwarnings(
                "ignore", category=PTBUserWarning, message=".*Bot.editMessageText.*"
            )
            return await bot.do_api_request(method, api_kwargs=params)
    except EndPointNotFound as exc:
        raise RichMessagesUnsupported(f"{method}: {exc.message}") from exc


__all__ = ["RichMessagesUnsupported", "RichSent", "edit_rich_message", "send_rich_message"]
