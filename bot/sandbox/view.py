"""What the sandbox page shows: the stand-in's chats and messages as JSON, and a change counter.

The page long-polls `state(after=version)`; every send, edit, deletion, refused call, user action
and clock move bumps the version. Messages are the stand-in's own stored Bot API `Message`
objects (text + entities, caption + caption_entities, photo, reply_markup, rich_message), so the
page draws exactly what Telegram would hand a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.standin import Chat, FakeTelegram, RequestRecord, SentMessage

# Bot API methods whose refusals have nothing to do with a chat a person looks at
_BACKGROUND = frozenset(
    {
        "getupdates",
        "getme",
        "setmycommands",
        "deletemycommands",
        "getmycommands",
        "deletewebhook",
        "getwebhookinfo",
        "close",
        "logout",
    }
)
MAX_ERRORS = 50  # per chat: the page shows the latest few
MAX_TOASTS = 20


@dataclass
class CallError:
    chat_id: int | None
    thread: int | None
    method: str
    status: int
    description: str
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "thread": self.thread,
            "method": self.method,
            "status": self.status,
            "description": self.description,
            "at": self.at,
        }


class SandboxView:
    def __init__(self, tg: FakeTelegram, *, mode: str = "sandbox") -> None:
        self.tg = tg
        self.mode = mode
        self.version = 0
        self._changed = asyncio.Event()
        self.errors: deque[CallError] = deque(maxlen=MAX_ERRORS * 4)
        self.toasts: deque[dict[str, Any]] = deque(maxlen=MAX_TOASTS)
        self.photos: dict[tuple[int, int], str] = {}  # (chat, message id) -> the URL sent
        self.removed: dict[tuple[int, int], dict[str, Any]] = {}  # deleted: shown as such
        self.extra: Callable[[], dict[str, Any]] = dict  # mode-specific state (clock, preview)
        self._answers_seen: set[str] = set()
        self.closing = False  # set on shutdown: long polls answer at once
        tg.on_sent.append(self._on_sent)
        tg.on_answered.append(self._on_answered)

    # -- changes ---------------------------------------------------------------------------
    def bump(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_change(self, after: int, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while (
            self.version <= after and not self.closing and (left := deadline - time.monotonic()) > 0
        ):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def close(self) -> None:
        self.closing = True
        self.bump()

    def _on_sent(self, message: SentMessage) -> None:
        if message.photo and message.method == "sendPhoto":
            self.photos[(message.chat_id, message.message_id)] = message.photo
        self.bump()

    def _on_answered(self, record: RequestRecord) -> None:
        method = record.method.lower()
        if method == "deletemessage" and record.status == 200:
            self.bump()
        if method == "answercallbackquery":
            self._new_toasts()
        if record.status < 400 or method in _BACKGROUND:
            return
        raw: Any = record.params.get("chat_id")  # whatever the bot sent: checked below
        chat_id: int | None = None
        with contextlib.suppress(KeyError, ValueError, TypeError):
            chat_id = self.tg.chat(raw if str(raw).startswith("@") else int(raw)).id
        thread: Any = record.params.get("message_thread_id")
        self.errors.append(
            CallError(
                chat_id,
                int(thread) if str(thread).isdigit() else None,
                record.method,
                record.status,
                record.description or "",
            )
        )
        self.bump()

    def _new_toasts(self) -> None:
        for query_id, answer in self.tg.callback_answers.items():
            if query_id not in self._answers_seen:
                self._answers_seen.add(query_id)
                if answer.get("text"):
                    self.toasts.append(
                        {
                            "id": query_id,
                            "text": answer["text"],
                            "alert": bool(answer.get("show_alert")),
                        }
                    )
        self.bump()

    # -- the JSON the page draws -----------------------------------------------------------
    def state(self) -> dict[str, Any]:
        chats = [self._chat_json(chat) for chat in self.tg.chats.values()]
        return {
            "version": self.version,
            "mode": self.mode,
            "bot": self.tg.bot.to_api(),
            "chats": chats,
            "errors": [e.to_json() for e in self.errors],
            "toasts": list(self.toasts),
            **self.extra(),
        }

    def _chat_json(self, chat: Chat) -> dict[str, Any]:
        for chat_id, message_id in self.tg.deleted:
            key = (chat_id, message_id)
            if chat_id == chat.id and key not in self.removed:
                self.removed[key] = {"message_id": message_id, "deleted": True}
        messages = [self._message_json(chat, m) for m in chat.messages.values()]
        messages += [
            {**m, "deleted": True} for (cid, _), m in self.removed.items() if cid == chat.id
        ]
        messages.sort(key=lambda m: m["message_id"])
        return {
            **chat.to_api(),
            "topics": [{"id": k, "name": v} for k, v in chat.topics.items()],
            "messages": messages,
        }

    def _message_json(self, chat: Chat, message: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: message[k]
            for k in (
                "message_id",
                "date",
                "text",
                "entities",
                "caption",
                "caption_entities",
                "reply_markup",
                "edit_date",
                "message_thread_id",
                "rich_message",
                "from",
                "sender_chat",
            )
            if k in message
        }
        if "photo" in message:
            out["photo_url"] = self.photos.get((chat.id, message["message_id"]), "")
        out["from_bot"] = (message.get("from") or {}).get("id") == self.tg.bot.id or (
            chat.type == "channel"
        )
        return out
