"""Replies leave through a bounded per-chat outbox, so no handler holds an update slot while a
chat's messages drain at Telegram's pace (1/s in a private chat, 20/min in a group).

A handler builds its reply (store queries, rendering: fast) and submits it as one batch of
sends; one worker task per chat with work sends them in order, one request at a time, through
the bot's FloodLimiter. Because a chat's worker books only its next message, a push to that chat
gets every other slot instead of waiting behind a queue of replies: replies and pushes share the
budget fairly. Per chat at most `max_batches` batches and `max_messages` messages wait; a batch
whose key (the same user's same request) is already waiting or being sent is not queued again.
Short notices ("still sending…") jump the queue and are deduplicated.

Written here rather than taken from a library: the work is chat-ordered, bounded, deduplicated
and interleaved with urgent notices, which no general-purpose queue in the dependencies offers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram.error import Forbidden

from bot.delivery.sender import ChatGone

_LOG = logging.getLogger(__name__)

Send = Callable[[], Awaitable[Any]]
Submitted = Literal["queued", "duplicate", "full"]

MAX_BATCHES = 3  # replies waiting per chat, besides the one being sent
MAX_MESSAGES = 100  # messages waiting per chat (a digest is up to MAX_DIGEST_MESSAGES)


@dataclass(eq=False)
class _Batch:
    key: Hashable | None
    sends: deque[Send]
    update_id: int | None = None
    noticed: bool = False  # the user was told "still sending" once for this batch


@dataclass(eq=False)
class _Chat:
    batches: deque[_Batch] = field(default_factory=deque)
    urgent: deque[tuple[Hashable, Send]] = field(default_factory=deque)
    current: _Batch | None = None
    task: asyncio.Task[None] | None = None

    def waiting_messages(self) -> int:
        return sum(len(b.sends) for b in self.batches)

    def find(self, key: Hashable) -> _Batch | None:
        if self.current is not None and self.current.key == key:
            return self.current
        return next((b for b in self.batches if b.key == key), None)


class ReplyOutbox:
    def __init__(self, *, max_batches: int = MAX_BATCHES, max_messages: int = MAX_MESSAGES) -> None:
        self.max_batches = max_batches
        self.max_messages = max_messages
        self._chats: dict[int | str, _Chat] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._working = 0  # chats whose worker runs
        self.refused = 0  # batches not queued (duplicates, full outbox): for benchmarks

    def submit(
        self,
        chat_id: int | str,
        sends: list[Send],
        *,
        key: Hashable | None = None,
        update_id: int | None = None,
    ) -> Submitted:
        """Queue `sends` (in order) for `chat_id`. 'duplicate': the same key is already waiting
        or being sent (nothing queued); 'full': the chat's outbox is at its bounds."""
        chat = self._chats.get(chat_id) or _Chat()
        if key is not None:
            same = chat.find(key)
            if same is not None and update_id is not None and same.update_id == update_id:
                same.sends.extend(sends)  # the same update adding to its own reply
                return "queued"
            if same is not None:
                self.refused += 1
                return "duplicate"
        if (
            len(chat.batches) >= self.max_batches
            or chat.waiting_messages() + len(sends) > self.max_messages
        ):
            self.refused += 1
            return "full"
        chat.batches.append(_Batch(key, deque(sends), update_id))
        self._chats[chat_id] = chat
        self._wake(chat_id, chat)
        return "queued"

    def notice_once(self, chat_id: int | str, key: Hashable, send: Send) -> bool:
        """Queue a short notice before the chat's waiting replies unless one with that key is
        waiting already. False if it was not queued."""
        chat = self._chats.get(chat_id) or _Chat()
        if any(k == key for k, _ in chat.urgent) or len(chat.urgent) >= self.max_batches:
            return False
        chat.urgent.append((key, send))
        self._chats[chat_id] = chat
        self._wake(chat_id, chat)
        return True

    def mark_noticed(self, chat_id: int | str, key: Hashable) -> bool:
        """True the first time for the batch under `key` (tell the user "still sending" once)."""
        chat = self._chats.get(chat_id)
        batch = chat.find(key) if chat else None
        if batch is None or batch.noticed:
            return False
        batch.noticed = True
        return True

    def pending(self, chat_id: int | str) -> int:
        chat = self._chats.get(chat_id)
        if chat is None:
            return 0
        current = len(chat.current.sends) if chat.current else 0
        return current + chat.waiting_messages() + len(chat.urgent)

    async def idle(self) -> None:
        """Until every chat's outbox is empty and its last message answered."""
        await self._idle.wait()

    def busy(self) -> bool:
        return not self._idle.is_set()

    async def stop(self) -> None:
        for chat in list(self._chats.values()):
            if chat.task is not None:
                chat.task.cancel()
        tasks = [c.task for c in self._chats.values() if c.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        self._chats.clear()

    def _wake(self, chat_id: int | str, chat: _Chat) -> None:
        if chat.task is None or chat.task.done():
            self._working += 1
            self._idle.clear()
            chat.task = asyncio.create_task(
                self._drain(chat_id, chat), name=f"digestbot-outbox-{chat_id}"
            )

    async def _drain(self, chat_id: int | str, chat: _Chat) -> None:
        try:
            while True:
                if chat.urgent:
                    _key, send = chat.urgent.popleft()
                    await self._send(chat_id, chat, send, None)
                    continue
                if chat.current is None or not chat.current.sends:
                    chat.current = chat.batches.popleft() if chat.batches else None
                    if chat.current is None:
                        break
                    continue
                await self._send(chat_id, chat, chat.current.sends.popleft(), chat.current)
        finally:
            chat.current = None
            if self._chats.get(chat_id) is chat and not chat.batches and not chat.urgent:
                del self._chats[chat_id]
            self._working -= 1
            if self._working == 0:
                self._idle.set()

    async def _send(
        self, chat_id: int | str, chat: _Chat, send: Send, batch: _Batch | None
    ) -> None:
        try:
            await send()
        except asyncio.CancelledError:
            raise
        except (Forbidden, ChatGone) as exc:  # blocked / kicked: nothing more can reach it
            _LOG.info("chat %s cannot be answered (%s); dropping its replies", chat_id, exc)
            chat.batches.clear()
            chat.urgent.clear()
            if batch is not None:
                batch.sends.clear()
        except Exception:
            # the rest of this reply would be out of context without the failed message
            _LOG.exception("a reply to chat %s failed; dropping the rest of it", chat_id)
            if batch is not None:
                batch.sends.clear()
