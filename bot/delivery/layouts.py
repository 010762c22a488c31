"""Which layout a chat gets, and sending one OutgoingCall of any layout.

Who chooses (issue 9): a layout chosen with /layout for the chat or topic (stored), else the
target's own layout in DIGEST_CHATS, else DIGEST_LAYOUT. `rich` becomes `compact` for the rest
of the run once the Bot API server has shown it lacks sendRichMessage (404): said once in the
log and in /status. A rich message Telegram refuses (400) is `RichRefused`: the push then sends
that target the same digest in `compact` (bot/delivery/push.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.error import BadRequest

from bot.config import ChatTarget, Settings
from bot.delivery.rich_api import RichMessagesUnsupported, send_rich_message
from bot.delivery.sender import (
    DeliveryError,
    RetryPolicy,
    SendOptions,
    Sleep,
    chat_error,
    send_part,
    with_retries,
)
from bot.digest.calls import LAYOUTS, OutgoingCall
from bot.digest.model import OutgoingMessage

_LOG = logging.getLogger(__name__)

FALLBACK = "compact"  # what a refused or unsupported rich message becomes


class RichRefused(DeliveryError):
    """Telegram refused a rich message (400): the target gets `compact` instead."""


def _key(chat_id: int | str) -> int | str:
    return chat_id.lower() if isinstance(chat_id, str) else chat_id


class LayoutPolicy:
    """The layout of each chat/topic, and whether the server can send rich messages."""

    def __init__(self, settings: Settings, store) -> None:
        self.settings = settings
        self.store = store
        # (chat, thread) -> DIGEST_CHATS layout; names are added again under their id once
        # resolved (note_config_target), so either spelling finds it
        self._config: dict[tuple[int | str, int | None], str] = {
            (_key(c.chat_id), c.thread_id): c.layout for c in settings.digest_chats if c.layout
        }
        self.rich_unsupported: str | None = None  # why rich is off for this run (404)

    def note_config_target(self, configured: ChatTarget, chat_id: int | str) -> None:
        """`configured` (maybe an @name) turned out to be chat `chat_id`."""
        if configured.layout:
            self._config[(_key(chat_id), configured.thread_id)] = configured.layout

    async def follow_migration(self, old_chat_id: int | str, new_chat_id: int) -> None:
        """A group became a supergroup: its choices move to the new id, and its DIGEST_CHATS
        layouts (the config still names the old id) are stored for the new one, so they hold
        after a restart too."""
        await self.store.move_layout_choices(old_chat_id, new_chat_id)
        for (chat, thread), layout in list(self._config.items()):
            if chat == _key(old_chat_id):
                self._config[(new_chat_id, thread)] = layout
                if await self.store.chosen_layout(new_chat_id, thread) is None:
                    await self.store.set_layout(new_chat_id, thread, layout)

    def configured(self, chat_id: int | str, thread_id: int | None) -> str:
        """DIGEST_CHATS' layout for the target, else DIGEST_LAYOUT."""
        return self._config.get((_key(chat_id), thread_id), self.settings.digest_layout)

    async def chosen(self, chat_id: int | str, thread_id: int | None) -> str:
        """The layout the chat or topic wants (before any server fallback)."""
        stored = await self.store.chosen_layout(chat_id, thread_id)
        return stored if stored in LAYOUTS else self.configured(chat_id, thread_id)

    def usable(self, layout: str) -> str:
        """`layout` as this run can send it: rich is compact on a server without it."""
        return FALLBACK if layout == "rich" and self.rich_unsupported else layout

    async def for_target(self, chat_id: int | str, thread_id: int | None) -> str:
        return self.usable(await self.chosen(chat_id, thread_id))

    def mark_rich_unsupported(self, reason: str) -> bool:
        """Latch rich off for the run; True the first time (the caller tells once)."""
        if self.rich_unsupported is not None:
            return False
        self.rich_unsupported = reason
        _LOG.warning(
            "the Bot API server has no sendRichMessage (%s): rich is sent as %s until "
            "the bot restarts",
            reason,
            FALLBACK,
        )
        return True


async def send_call(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    call: OutgoingCall,
    options: SendOptions,
    *,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> int:
    """Send one call (any layout); return the message id. Raises ChatMigrated, DeliveryError
    (RichRefused for a refused rich message) or RichMessagesUnsupported (404 server)."""
    message_id, _kind = await send_call_kind(
        bot, chat_id, thread_id, call, options, retry=retry, sleep=sleep
    )
    return message_id


async def send_call_kind(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    call: OutgoingCall,
    options: SendOptions,
    *,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> tuple[int, str]:
    """send_call, also returning what Telegram made: 'text', 'photo' or 'rich' (a refused photo
    goes out as text), which a later correction needs to pick the right edit."""
    if call.method != "sendRichMessage":
        message = OutgoingMessage(call.method, call.html, call.photo)
        sent = await send_part(bot, chat_id, thread_id, message, options, retry=retry, sleep=sleep)
        return sent.message_id, "photo" if sent.photo else "text"
    return await _send_rich(
        bot, chat_id, thread_id, call, options, retry or RetryPolicy(), sleep
    ), "rich"


async def _send_rich(
    bot: Bot,
    chat_id: int | str,
    thread_id: int | None,
    call: OutgoingCall,
    options: SendOptions,
    retry: RetryPolicy,
    sleep: Sleep,
) -> int:
    """sendRichMessage with the same error mapping as send_part (429s are the FloodLimiter's)."""
    rich = call.rich_message
    assert rich is not None

    async def request() -> int:
        sent = await send_rich_message(
            bot,
            chat_id,
            rich,
            message_thread_id=thread_id,
            disable_notification=not options.notify,
        )
        return sent.message_id

    def refused(exc: BadRequest) -> int | None:
        raise chat_error(exc) or RichRefused(exc.message) from exc

    return await with_retries(bot, chat_id, request, refused, retry=retry, sleep=sleep)


async def send_calls(
    bot: Bot,
    policy: LayoutPolicy,
    chat_id: int | str,
    thread_id: int | None,
    calls: Sequence[OutgoingCall],
    options: SendOptions,
    *,
    layout: str,
    fallback: Callable[[], Awaitable[Sequence[OutgoingCall]]],
    retry: RetryPolicy | None = None,
    first_only_notifies: bool = False,
) -> tuple[int, str]:
    """Send a digest outside the journal (a reader's copy, /preview); returns (messages sent,
    layout used). A rich message refused before anything went out, or a server without rich
    messages, sends the `fallback` (compact) calls instead: never both forms in one chat."""
    sent = 0

    async def send_each(todo: Sequence[OutgoingCall]) -> None:
        nonlocal sent
        for call in todo:
            notify = options.notify and not (first_only_notifies and sent)
            await send_call(
                bot,
                chat_id,
                thread_id,
                call,
                SendOptions(notify, options.link_previews),
                retry=retry,
            )
            sent += 1

    try:
        await send_each(calls)
        return sent, layout
    except (RichMessagesUnsupported, RichRefused) as exc:
        if not _may_fall_back(policy, chat_id, exc, sent):
            raise
    sent = 0
    await send_each(await fallback())
    return sent, FALLBACK


def _may_fall_back(
    policy: LayoutPolicy,
    chat_id: int | str,
    exc: RichMessagesUnsupported | RichRefused,
    sent: int,
) -> bool:
    """A rich send failed outside the journal: may the compact calls go instead? Not once part
    of the digest is out in rich (a compact copy would repeat it: never both forms in a chat)."""
    if sent:
        return False
    if isinstance(exc, RichMessagesUnsupported):
        policy.mark_rich_unsupported(str(exc))
    else:
        _LOG.warning(
            "chat %s: rich message refused (%s); sending it as %s", chat_id, exc.reason, FALLBACK
        )
    return True


def reader_sends(
    bot: Bot,
    policy: LayoutPolicy,
    chat_id: int | str,
    thread_id: int | None,
    calls: Sequence[OutgoingCall],
    options: SendOptions,
    *,
    layout: str,
    fallback: Callable[[], Awaitable[Sequence[OutgoingCall]]],
    retry: RetryPolicy | None = None,
) -> list[Callable[[], Awaitable[None]]]:
    """send_calls() as one send per message, for a chat's outbox (bot/delivery/outbox.py): the
    first rich message refused (or a server without rich messages) sends the compact calls in
    its place and the remaining rich sends do nothing."""
    state = {"sent": 0, "fell_back": False}

    def one(call: OutgoingCall) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            if state["fell_back"]:
                return
            try:
                await send_call(bot, chat_id, thread_id, call, options, retry=retry)
                state["sent"] += 1
                return
            except (RichMessagesUnsupported, RichRefused) as exc:
                if not _may_fall_back(policy, chat_id, exc, state["sent"]):
                    raise
            state["fell_back"] = True
            for compact in await fallback():
                await send_call(bot, chat_id, thread_id, compact, options, retry=retry)

        return send

    return [one(call) for call in calls]
