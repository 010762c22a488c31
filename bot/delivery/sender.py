"""Send one OutgoingMessage to one chat: retries, fallbacks and the mapping of chat errors.

Flood control (429) is the FloodLimiter's job: it is set on the bot and resends itself. Here:
- network errors, timeouts and 5xx answers are retried with capped exponential backoff. A
  request that timed out may still have been delivered, so its resend can duplicate that one
  message: the "at most the one message in flight" allowance of the journal.
- `can't parse entities` -> the same part again as plain text (links kept as "text (url)").
- a photo Telegram cannot fetch -> the caption as a text message (never drop the part).
- 403 / chat not found -> ChatGone; closed or deleted topic -> TopicClosed; migration is left to
  the caller as telegram.error.ChatMigrated; anything else after the retries -> SendFailed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NotRequired, TypedDict, TypeVar

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.delivery.ratelimit import retry_after_seconds
from bot.digest.model import OutgoingMessage
from bot.digest.tghtml import html_to_plain, utf16_len
from bot.metrics import count_retry

_LOG = logging.getLogger("digestbot.sender")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class DeliveryError(Exception):
    """A part that could not be delivered to a chat; `reason` is one line for admins/journal."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ChatGone(DeliveryError):
    """The bot cannot post there any more (kicked, blocked, chat deleted): deactivate the target."""


class TopicClosed(DeliveryError):
    """The forum topic is closed or gone: tell the admins, keep the target."""


class SendFailed(DeliveryError):
    """Retries exhausted or a request Telegram refuses for a reason we cannot work around."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # tries per part for network errors / 5xx, then SendFailed
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


_PARSE_ERRORS = (
    "can't parse entities",
    "can't find end of",
    "unsupported start tag",
    "entity beginning",
    "unclosed start tag",
)
_GONE_ERRORS = (
    "chat not found",
    "bot was kicked",
    "user is deactivated",
    "peer_id_invalid",
    "bot is not a member",
    "chat_write_forbidden",
    "have no rights to send",
    "not enough rights to send",
)
_TOPIC_ERRORS = (
    "topic_closed",
    "topic closed",
    "message thread not found",
    "topic_deleted",
    "thread not found",
)
_PHOTO_ERRORS = (
    "wrong file identifier",
    "failed to get http url content",
    "wrong type of the web",
    "photo_invalid",
    "wrong remote file",
    "image_process_failed",
    "webpage_curl_failed",
    "webpage_media_empty",
)
_ANCHOR_RE = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.S)


def plain_fallback(html: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> str:
    """The part as plain text; links become "text (url)" while that still fits the limit."""

    def anchor(match: re.Match[str]) -> str:
        url, text = match[1], match[2]
        return text if html_to_plain(text) == html_to_plain(url) else f"{text} ({url})"

    with_urls = html_to_plain(_ANCHOR_RE.sub(anchor, html))
    return with_urls if utf16_len(with_urls) <= limit else html_to_plain(html)


def classify(exc: BadRequest) -> str:
    """'parse' | 'gone' | 'topic' | 'photo' | 'other' for a 400 answer."""
    text = exc.message.lower()
    for kind, needles in (
        ("parse", _PARSE_ERRORS),
        ("topic", _TOPIC_ERRORS),
        ("gone", _GONE_ERRORS),
        ("photo", _PHOTO_ERRORS),
    ):
        if any(n in text for n in needles):
            return kind
    return "other"


@dataclass(frozen=True)
class SendOptions:
    notify: bool  # only the first part of a push makes a sound
    link_previews: bool = False
    # a correction's appended part replies to the push's first message (kept if that is gone)
    reply_to: int | None = None


async def send_part(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    message: OutgoingMessage,
    options: SendOptions,
    *,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Message:
    """Send one part; return the Message Telegram created. Raises ChatMigrated/DeliveryError."""
    plain = False
    as_text = message.method == "sendMessage"

    def refused(exc: BadRequest) -> Message | None:
        nonlocal plain, as_text
        kind = classify(exc)
        if kind == "parse" and not plain:
            _LOG.warning(
                "chat %s: Telegram could not parse a part (%s); resending as plain text",
                chat_id,
                exc.message,
            )
            plain = True
            return None
        if kind == "photo" and not as_text:
            _LOG.warning(
                "chat %s: photo refused (%s); sending the caption as text", chat_id, exc.message
            )
            as_text = True
            return None
        raise chat_error(exc) or SendFailed(f"bad request: {exc.message}") from exc

    return await with_retries(
        bot,
        chat_id,
        lambda: _call(bot, chat_id, thread_id, message, options, plain=plain, as_text=as_text),
        refused,
        retry=retry or RetryPolicy(),
        sleep=sleep,
    )


def chat_error(exc: BadRequest) -> DeliveryError | None:
    """The 400 answers that are about the chat, not the message: ChatGone / TopicClosed."""
    kind = classify(exc)
    if kind == "gone":
        return ChatGone(exc.message)
    if kind == "topic":
        return TopicClosed(exc.message)
    return None


async def with_retries(
    bot: Bot,
    chat_id: int | str,
    request: Callable[[], Awaitable[T]],
    refused: Callable[[BadRequest], T | None],
    *,
    retry: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """The retry rules of every Bot API write of a digest part (send, rich send, edit, delete):
    `request` goes until it succeeds. A 400 goes to `refused`, which raises, returns the answer,
    or returns None after changing what `request` sends (plain text, caption as text): then it
    goes again at once. 403 -> ChatGone; a 429 the limiter gave up on is waited out; network
    errors, timeouts and 5xx are retried with backoff until `retry.attempts`, then SendFailed;
    any other TelegramError -> SendFailed. ChatMigrated is the caller's."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await request()
        except ChatMigrated:
            raise
        except Forbidden as exc:
            raise ChatGone(f"forbidden: {exc.message}") from exc
        except BadRequest as exc:
            answer = refused(exc)
            if answer is not None:
                return answer
            continue
        except RetryAfter as exc:  # only when the limiter was told to give up: wait anyway
            delay = retry_after_seconds(exc)
        except NetworkError as exc:  # TimedOut, connection errors, 5xx
            if attempt >= retry.attempts:
                raise SendFailed(f"network: {exc.message} (after {attempt} tries)") from exc
            delay = retry.delay(attempt)
            count_retry(bot, "network")
            _LOG.info("chat %s: %s; retry %d in %.1fs", chat_id, exc.message, attempt, delay)
        except TelegramError as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc.message}") from exc
        await sleep(delay)


class _CommonArgs(TypedDict):
    """The arguments send_message and send_photo share (typed for the ** below)."""

    chat_id: int | str
    message_thread_id: int | None
    disable_notification: bool
    parse_mode: str | None
    reply_parameters: NotRequired[ReplyParameters]  # a correction's added part


async def _call(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    message: OutgoingMessage,
    options: SendOptions,
    *,
    plain: bool,
    as_text: bool,
) -> Message:
    parse_mode = None if plain else ParseMode.HTML
    common: _CommonArgs = {
        "chat_id": chat_id,
        "message_thread_id": thread_id,
        "disable_notification": not options.notify,
        "parse_mode": parse_mode,
    }
    if options.reply_to is not None:
        common["reply_parameters"] = ReplyParameters(
            options.reply_to, allow_sending_without_reply=True
        )
    if as_text:
        text = plain_fallback(message.html) if plain else message.html
        previews = LinkPreviewOptions(is_disabled=not options.link_previews)
        return await bot.send_message(text=text, link_preview_options=previews, **common)
    caption = plain_fallback(message.html, MessageLimit.CAPTION_LENGTH) if plain else message.html
    return await bot.send_photo(photo=message.photo or "", caption=caption, **common)
