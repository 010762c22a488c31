"""FakeTelegram: the aiohttp server, the test-facing Python API and the /_control HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.standin.methods import BotApiMethods, member_json
from bot.standin.params import Params
from bot.standin.ratelimit import FloodLimits
from bot.standin.state import (
    ApiError,
    Chat,
    Fault,
    FaultKind,
    MemberStatus,
    RequestRecord,
    SentMessage,
    Stats,
    User,
    bad_request,
    next_id,
)
from bot.standin.telegram_html import utf16_len
from bot.standin.webhook import WebhookMethods

ANONYMOUS_ADMIN = User(1087968824, "Group", "GroupAnonymousBot", is_bot=True)
# Methods that a chat-targeted fault (fail_next(chat_id, ...)) applies to.
MESSAGE_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "sendrichmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "editmessagemedia",
        "deletemessage",
    }
)
RICH_ONLY_METHODS = frozenset({"sendrichmessage"})
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _name(username: str | None) -> str | None:
    """A chat's username as stored: without the @."""
    return username.lstrip("@") if username else None


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities, as Telegram marks them in incoming messages (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _COMMAND.finditer(text)
    ]


class FakeTelegram(WebhookMethods, BotApiMethods):
    """A strict fake of the Telegram Bot API, served over real HTTP on 127.0.0.1.

    See the package docstring (``bot/standin/__init__.py``) for the full guide.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        token: str | None = None,
        speed: float = 1.0,
        flood_limits: bool = True,
        integer_retry_after: bool = True,
        bot_id: int = 7000000001,
        bot_username: str = "digest_test_bot",
        rich_messages: bool = True,
    ) -> None:
        self.host, self.port = host, port
        # False: an older Bot API server (< 10.1): sendRichMessage is 404, rich_message ignored
        self.rich_messages = rich_messages
        self.bot = User(bot_id, "Digest Test Bot", bot_username, is_bot=True)
        self.token = token or f"{bot_id}:AA{secrets.token_urlsafe(24)[:33]}"
        self.speed = speed
        self.limits = FloodLimits(
            speed=speed, enabled=flood_limits, integer_retry_after=integer_retry_after
        )
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.sent: list[SentMessage] = []  # new messages, in order
        self.edits: list[SentMessage] = []  # editMessageText / editMessageReplyMarkup
        self.requests: list[RequestRecord] = []  # every Bot API request
        self.deleted: list[tuple[int, int]] = []  # (chat id, message id)
        self.chat_actions: list[tuple[int, str, int | None]] = []  # (chat, action, thread)
        self.callback_answers: dict[str, dict[str, Any]] = {}  # query id -> answer
        self.stats = Stats()
        self.on_sent: list[Callable[[SentMessage], None]] = []  # listeners (sends and edits)
        # listeners called once each Bot API request is answered (the sandbox page shows the
        # refused ones under their chat)
        self.on_answered: list[Callable[[RequestRecord], None]] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._open_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._bad_photo_urls: dict[str, str] = {}
        self._file_ids: set[str] = set()
        self._faults: dict[int | str | None, deque[Fault]] = {}
        self._uneditable: set[tuple[int, int]] = set()
        self._photo_urls: dict[tuple[int, int], str] = {}
        # the server's wall clock runs this many seconds ahead (advance_clock): message dates
        # and the 48-hour delete window follow it
        self.clock_offset = 0.0
        self._event: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._init_webhooks()

    # ================================================================== lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Bot(token, base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        app.router.add_get("/_control/{name}", self._handle_control_get)
        app.router.add_post("/_control/{name}", self._handle_control_post)
        # access_log=None: aiohttp's access log would print every URL, and the URL holds the token
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._closing_event().clear()
        if self.webhook is not None:  # started again after a stop: deliveries resume
            self._start_delivery()
        return self

    async def stop(self) -> None:
        self._closing_event().set()  # releases long polls and held "timeout" requests
        await self.stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _changed(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def _closing_event(self) -> asyncio.Event:
        if self._closing is None:
            self._closing = asyncio.Event()
        return self._closing

    def _notify(self) -> None:
        """Wake every waiter (long polls, wait_for); each waits on the event of its own time."""
        event = self._changed()
        self._event = asyncio.Event()
        event.set()

    def now(self) -> float:
        """The server's wall clock (unix time), moved on by advance_clock()."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Let `seconds` pass for message ages (e.g. 49 h: too old for deleteMessage)."""
        self.clock_offset += float(seconds)

    # ================================================================== chats and users

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = None,
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, first_name or f"User{user_id}")
        if first_name:
            user.first_name = first_name
        if username:
            user.username = username.lstrip("@")
        if language_code:
            user.language_code = language_code
        return user

    def _add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat  # a chat added again replaces the old one
        return chat

    def add_private_chat(
        self,
        user_id: int,
        first_name: str = "Reader",
        *,
        username: str | None = None,
        language_code: str | None = None,
    ) -> Chat:
        user = self.add_user(user_id, first_name, username=username, language_code=language_code)
        return self._add_chat(
            Chat(user_id, "private", username=user.username, first_name=user.first_name)
        )

    def _members(self, members: dict[int, MemberStatus] | None) -> dict[int, MemberStatus]:
        out: dict[int, MemberStatus] = {}
        for uid, status in (members or {}).items():
            self.add_user(int(uid))
            out[int(uid)] = status
        return out

    def add_group(
        self,
        chat_id: int,
        title: str = "Group",
        members: dict[int, MemberStatus] | None = None,
        *,
        bot_status: MemberStatus = "member",
    ) -> Chat:
        return self._add_chat(
            Chat(
                chat_id, "group", title=title, members=self._members(members), bot_status=bot_status
            )
        )

    def add_supergroup(
        self,
        chat_id: int,
        title: str = "Supergroup",
        members: dict[int, MemberStatus] | None = None,
        *,
        is_forum: bool = False,
        topics: dict[int, str] | None = None,
        closed_topics: set[int] | None = None,
        username: str | None = None,
        bot_status: MemberStatus = "member",
    ) -> Chat:
        chat = Chat(
            chat_id,
            "supergroup",
            title=title,
            members=self._members(members),
            is_forum=is_forum or bool(topics),
            topics={int(k): v for k, v in (topics or {}).items()},
            closed_topics={int(t) for t in closed_topics or ()},
            username=_name(username),
            bot_status=bot_status,
        )
        # topic ids are message ids of their creation messages: keep new ids above them
        chat.next_message_id = max([chat.next_message_id, *[t + 1 for t in chat.topics]])
        return self._add_chat(chat)

    def add_channel(
        self,
        chat_id: int,
        title: str = "Channel",
        username: str | None = None,
        *,
        bot_status: MemberStatus = "administrator",
    ) -> Chat:
        return self._add_chat(
            Chat(chat_id, "channel", title=title, username=_name(username), bot_status=bot_status)
        )

    def chat(self, chat_id: int | str) -> Chat:
        """The chat (by id or @username) for assertions; KeyError if unknown."""
        chat = self.chat_named(chat_id) if isinstance(chat_id, str) else self.chats.get(chat_id)
        if chat is None:
            raise KeyError(chat_id)
        return chat

    # ================================================================== simulated users

    def push_update(self, payload: dict[str, Any]) -> int:
        """Queue a raw update (``{"message": {...}}``); return its update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **payload})
        self._notify()
        return update_id

    async def send_text(
        self,
        chat_id: int | str,
        user_id: int | None = None,
        text: str = "",
        *,
        thread_id: int | None = None,
        anonymous_admin: bool = False,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user writes ``text`` in a chat; returns the Message the bot will receive."""
        chat = self.chat(chat_id)
        if chat.type == "channel":
            raise ValueError("use send_channel_post() for channels")
        if user_id is None:
            if chat.type != "private" and not anonymous_admin:
                raise ValueError("user_id is required outside private chats")
            user_id = chat.id
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "date": int(self.now()),
            "chat": chat.to_api(),
            "text": text,
        }
        if anonymous_admin:
            message["from"] = ANONYMOUS_ADMIN.to_api()
            message["sender_chat"] = chat.to_api()
        else:
            message["from"] = self.add_user(user_id).to_api()
        if entities := command_entities(text):
            message["entities"] = entities
        if thread_id is not None:
            if chat.is_forum and thread_id not in chat.topics:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = chat.is_forum
        if reply_to is not None:
            message["reply_to_message"] = chat.messages[reply_to]
        chat.messages[message["message_id"]] = message
        self.push_update({"message": message})
        return message

    async def send_channel_post(self, chat_id: int | str, text: str) -> dict[str, Any]:
        chat = self.chat(chat_id)
        if chat.type != "channel":
            raise ValueError(f"chat {chat.id} is not a channel")
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "date": int(self.now()),
            "chat": chat.to_api(),
            "sender_chat": chat.to_api(),
            "text": text,
        }
        if entities := command_entities(text):
            message["entities"] = entities
        chat.messages[message["message_id"]] = message
        self.push_update({"channel_post": message})
        return message

    async def press_button(
        self, chat_id: int | str, user_id: int, message_id: int, callback_data: str
    ) -> str:
        """A user presses an inline button the bot sent; returns the callback query id."""
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        if not any(b.get("callback_data") == callback_data for row in rows for b in row):
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        return self.forge_button_press(chat_id, user_id, message_id, callback_data)

    def forge_button_press(
        self, chat_id: int | str, user_id: int, message_id: int, callback_data: str
    ) -> str:
        """What a modified client can do: a callback query with any data on any message of the
        chat, buttons or not (Telegram only checks the data's size). Returns the query id."""
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        if not 1 <= len(callback_data.encode()) <= 64:
            raise ValueError("callback data must be 1-64 bytes")
        query_id = str(next_id() * 1000003)
        self._open_queries.add(query_id)
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.add_user(user_id).to_api(),
                    "message": message,
                    "chat_instance": str(abs(chat.id) * 7 + 1),
                    "data": callback_data,
                }
            }
        )
        return query_id

    # ================================================================== faults and chat events

    def fail_next(
        self,
        chat_id: int | str | None,
        kind: FaultKind,
        times: int = 1,
        *,
        retry_after: float = 1,
        hold: float = 10.0,
        delivered: bool = False,
        method: str | None = None,
    ) -> None:
        """Make the next ``times`` message requests (sendMessage/sendPhoto/edit*) to ``chat_id``
        fail with ``kind``. ``chat_id=None`` targets any chat; ``method="getUpdates"`` (with
        chat_id None) targets that method instead.

        kinds: "429" (retry_after), "500", "502" (nginx HTML page, like the real one),
        "timeout" (hold the request ``hold`` s, then drop the connection; with
        ``delivered=True`` the message is really sent first), "parse" (400 can't parse entities),
        "rich" (400 ``RICH_MESSAGE_INVALID``, as Telegram refuses a rich message's content),
        "not_modified" / "edit_not_found" (400 ``message is not modified`` / ``message to edit
        not found``, for edit methods).
        """
        if kind not in (
            "429",
            "500",
            "502",
            "timeout",
            "parse",
            "rich",
            "not_modified",
            "edit_not_found",
        ):
            raise ValueError(f"unknown fault kind {kind!r}")
        key: int | str | None = (
            method.lower() if method else (self.chat(chat_id).id if chat_id is not None else None)
        )
        self._faults.setdefault(key, deque()).append(
            Fault(kind, times, retry_after=retry_after, hold=hold, delivered=delivered)
        )

    def _take_fault(self, method: str, params: Params) -> Fault | None:
        keys: list[int | str | None] = [method]
        if method in MESSAGE_METHODS:
            raw = params.get("chat_id")
            with contextlib.suppress(KeyError, ValueError, TypeError):
                if raw is not None:  # no chat_id: no per-chat fault to look up
                    keys.insert(0, self.chat(raw if str(raw).startswith("@") else int(raw)).id)
            keys.append(None)
        for key in keys:
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.times -= 1
                if fault.times <= 0:
                    queue.popleft()
                return fault
        return None

    def migrate_group(self, old_id: int, new_id: int, *, notify: bool = True) -> Chat:
        """Upgrade a group to a supergroup: the old id answers 400 with migrate_to_chat_id."""
        old = self.chats[old_id]
        if old.type != "group":
            raise ValueError(f"chat {old_id} is not a basic group")
        new = self.add_supergroup(
            new_id, old.title or "Supergroup", dict(old.members), bot_status=old.bot_status
        )
        old.migrated_to = new_id
        if notify:
            anyone = next(iter(old.members), None)
            sender = self.users[anyone].to_api() if anyone is not None else ANONYMOUS_ADMIN.to_api()
            self.push_update(
                {
                    "message": {
                        "message_id": old.new_message_id(),
                        "date": int(self.now()),
                        "chat": old.to_api(),
                        "from": sender,
                        "migrate_to_chat_id": new_id,
                    }
                }
            )
            self.push_update(
                {
                    "message": {
                        "message_id": new.new_message_id(),
                        "date": int(self.now()),
                        "chat": new.to_api(),
                        "sender_chat": new.to_api(),
                        "from": sender,
                        "migrate_from_chat_id": old_id,
                    }
                }
            )
        return new

    def set_bot_status(
        self, chat_id: int | str, status: MemberStatus, *, notify: bool = True
    ) -> None:
        """Change the bot's membership (a my_chat_member update is queued when notify)."""
        chat = self.chat(chat_id)
        old = chat.bot_status
        chat.bot_status = status
        if notify and old != status:
            actor = next((uid for uid, s in chat.members.items() if s == "creator"), chat.id)
            self.push_update(
                {
                    "my_chat_member": {
                        "chat": chat.to_api(),
                        "from": self.add_user(actor).to_api(),
                        "date": int(self.now()),
                        "old_chat_member": member_json(self.bot, old),
                        "new_chat_member": member_json(self.bot, status),
                    }
                }
            )

    def kick_bot(self, chat_id: int | str, *, notify: bool = True) -> None:
        """-> 403 ``Forbidden: bot was kicked from the group chat`` (supergroup/channel alike)."""
        self.set_bot_status(chat_id, "kicked", notify=notify)

    def block_bot(self, user_id: int, *, notify: bool = True) -> None:
        """-> 403 ``Forbidden: bot was blocked by the user`` in the user's private chat."""
        self.add_user(user_id).blocked_bot = True
        if user_id in self.chats:
            self.set_bot_status(user_id, "kicked", notify=notify)

    def close_topic(self, chat_id: int | str, thread_id: int) -> None:
        self.chat(chat_id).closed_topics.add(thread_id)

    def reopen_topic(self, chat_id: int | str, thread_id: int) -> None:
        self.chat(chat_id).closed_topics.discard(thread_id)

    def delete_as_admin(self, chat_id: int | str, message_id: int) -> None:
        """A chat admin deletes a bot message: edits answer ``message to edit not found``."""
        chat = self.chat(chat_id)
        del chat.messages[message_id]

    def make_uneditable(self, chat_id: int | str, message_id: int) -> None:
        """Edits of that message answer ``400 Bad Request: message can't be edited``."""
        self._uneditable.add((self.chat(chat_id).id, message_id))

    def set_rich_messages(self, enabled: bool) -> None:
        """False: behave like a Bot API server older than 10.1 (sendRichMessage -> 404)."""
        self.rich_messages = bool(enabled)

    def fail_photo_url(
        self, url: str, description: str = "wrong type of the web page content"
    ) -> None:
        """sendPhoto with this URL answers ``400 Bad Request: <description>``."""
        self._bad_photo_urls[url] = description

    # ================================================================== records and waiting

    def _record(self, message: SentMessage, *, edit: bool = False) -> None:
        (self.edits if edit else self.sent).append(message)
        for listener in self.on_sent:
            listener(message)
        self._notify()

    def sent_to(self, chat_id: int | str, thread: int | None = None) -> list[SentMessage]:
        """Messages sent to a chat (and, when given, to that forum topic / thread)."""
        cid = self.chat(chat_id).id
        return [
            m
            for m in self.sent
            if m.chat_id == cid and (thread is None or m.message_thread_id == thread)
        ]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """What setMyCommands stored for that scope (default: {"type": "default"}) + language."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return self._commands.get((key, language_code), [])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (getUpdates with a higher offset)."""
        return list(self._updates)

    @property
    def errors(self) -> list[RequestRecord]:
        """Requests answered with an error status."""
        return [r for r in self.requests if r.status >= 400]

    # The `timeout` parameters below are the test-facing API the brief asks for (noqa ASYNC109).
    async def wait_until(
        self,
        condition: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> Any:
        """Wait until ``condition()`` is truthy (re-checked after every server event)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed()
            result = condition()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                sent = "\n".join(
                    f"  {m.method} chat={m.chat_id} thread={m.message_thread_id}: "
                    f"{m.parsed_text[:80]!r}"
                    for m in self.sent[-10:]
                )
                errors = "\n".join(
                    f"  {r.method}: {r.status} {r.description}" for r in self.errors[-5:]
                )
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; "
                    f"{len(self.sent)} sent:\n{sent}\nlast errors:\n{errors}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_for(
        self,
        what: int | Callable[[SentMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """``wait_for(n)``: until ``len(tg.sent) >= n``; returns ``tg.sent[:n]``.
        ``wait_for(pred)``: until some sent message matches; returns the first match."""
        if isinstance(what, int):
            n = what
            await self.wait_until(lambda: len(self.sent) >= n, timeout, f"{n} sent messages")
            return self.sent[:n]
        pred = what
        return await self.wait_until(
            lambda: next((m for m in self.sent if pred(m)), None),
            timeout,
            "a matching sent message",
        )

    async def wait_updates_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed every queued update."""
        await self.wait_until(lambda: not self._updates, timeout, "updates to be confirmed")

    def reset_records(self) -> None:
        """Forget what was sent/requested (chats, messages and updates stay)."""
        self.sent.clear()
        self.edits.clear()
        self.requests.clear()
        self.deleted.clear()
        self.chat_actions.clear()
        self.stats = Stats()

    # ================================================================== HTTP plumbing

    async def _read_params(self, request: web.Request) -> Params:
        params: Params = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    raise bad_request("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON request body must be an object")
                params.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    params[key] = (
                        value
                        if isinstance(value, str)
                        else (f"<file {getattr(value, 'filename', '')}>")
                    )
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"].lower()
        record = RequestRecord(request.match_info["method"], {})
        self.requests.append(record)
        self.stats.requests[record.method] = self.stats.requests.get(record.method, 0) + 1
        self._notify()  # lets tests wait_until() a request has arrived
        handler = getattr(self, f"api_{method}", None)
        if method in RICH_ONLY_METHODS and not self.rich_messages:
            handler = None  # an older server: the method does not exist
        try:
            record.params = await self._read_params(request)
            if handler is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(method, record.params)
            if fault is not None:
                special = await self._apply_fault(fault, request, handler, record)
                if special is not None:
                    return special
            result = await handler(record.params)
            status, payload = 200, {"ok": True, "result": result}
        except ApiError as err:
            status, payload = err.code, err.payload()
        self._finish(record, status, payload.get("description"))
        return web.json_response(payload, status=status, dumps=_dumps)

    def _finish(self, record: RequestRecord, status: int, description: str | None) -> None:
        record.status, record.description = status, description
        if status == 429:
            self.stats.sent_429 += 1
        elif status == 400:
            self.stats.sent_400 += 1
        elif status == 403:
            self.stats.sent_403 += 1
        elif status >= 500:
            self.stats.sent_5xx += 1
        for listener in self.on_answered:
            listener(record)
        self._notify()

    async def _apply_fault(
        self, fault: Fault, request: web.Request, handler: Any, record: RequestRecord
    ) -> web.StreamResponse | None:
        if fault.kind == "429":
            shown = (
                int(fault.retry_after)
                if float(fault.retry_after).is_integer()
                else fault.retry_after
            )
            raise ApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": shown})
        if fault.kind == "parse":
            raise bad_request(
                'can\'t parse entities: Unsupported start tag "fault" at byte offset 0'
            )
        if fault.kind == "not_modified":
            raise bad_request(
                "message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply "
                "markup of the message"
            )
        if fault.kind == "edit_not_found":
            raise bad_request("message to edit not found")
        if fault.kind == "rich":
            raise bad_request("RICH_MESSAGE_INVALID: refused by the test (fail_next kind 'rich')")
        if fault.kind == "500":
            raise ApiError(500, "Internal Server Error")
        if fault.kind == "502":
            self._finish(record, 502, "Bad Gateway")
            return web.Response(status=502, body=_BAD_GATEWAY, content_type="text/html")
        # "timeout": optionally do the work, then never answer
        if fault.delivered:
            with contextlib.suppress(ApiError):
                await handler(record.params)
        self.stats.timeouts += 1
        self._notify()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing_event().wait(), fault.hold)
        if request.transport is not None:
            request.transport.close()
        record.status = 0
        return web.Response(status=504)  # never reaches the client: the connection is gone

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # ================================================================== /_control API

    _CONTROL_POST = frozenset(
        {
            "add_user",
            "add_private_chat",
            "add_group",
            "add_supergroup",
            "add_channel",
            "send_text",
            "send_channel_post",
            "press_button",
            "push_update",
            "fail_next",
            "migrate_group",
            "set_bot_status",
            "kick_bot",
            "block_bot",
            "close_topic",
            "reopen_topic",
            "fail_photo_url",
            "reset_records",
            "set_rich_messages",
            "advance_clock",
            "delete_as_admin",
            "make_uneditable",
            "route_webhook",
            "post_webhook",
        }
    )

    async def _handle_control_post(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self._CONTROL_POST:
            return web.json_response(
                {"ok": False, "description": f"unknown action {name}"}, status=404
            )
        kwargs = await request.json() if request.can_read_body else {}
        if name in ("add_group", "add_supergroup") and "members" in kwargs:
            kwargs["members"] = {int(k): v for k, v in kwargs["members"].items()}
        if "closed_topics" in kwargs:
            kwargs["closed_topics"] = set(kwargs["closed_topics"])
        try:
            result = getattr(self, name)(**kwargs)
            if asyncio.iscoroutine(result):
                result = await result
        except (TypeError, ValueError, KeyError) as err:
            return web.json_response({"ok": False, "description": repr(err)}, status=400)
        if isinstance(result, (Chat, User)):
            result = result.to_api()
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _handle_control_get(self, request: web.Request) -> web.StreamResponse:
        name, query = request.match_info["name"], request.query
        if name == "info":
            result: Any = {
                "token": self.token,
                "base_url": self.base_url,
                "base_file_url": self.base_file_url,
                "bot": self.bot.to_api(),
                "chats": [c.to_api() for c in self.chats.values()],
            }
        elif name in ("sent", "edits"):
            records = self.sent if name == "sent" else self.edits
            since = int(query.get("since", 0))
            if "count" in query:  # long-poll until that many exist
                count = int(query["count"])
                timeout = float(query.get("timeout", 5))
                with contextlib.suppress(TimeoutError):
                    await self.wait_until(lambda: len(records) >= count, timeout)
            chat = int(query["chat_id"]) if "chat_id" in query else None
            thread = int(query["thread"]) if "thread" in query else None
            result = [
                m.to_json()
                for m in records[since:]
                if (chat is None or m.chat_id == chat)
                and (thread is None or m.message_thread_id == thread)
            ]
        elif name == "stats":
            result = self.stats.to_json()
        elif name == "requests":
            result = [r.__dict__ for r in self.requests[int(query.get("since", 0)) :]]
        elif name == "commands":
            scope = json.loads(query["scope"]) if "scope" in query else None
            result = self.commands(scope, query.get("language_code", ""))
        elif name == "updates":
            result = self.pending_updates
        else:
            return web.json_response(
                {"ok": False, "description": f"unknown view {name}"}, status=404
            )
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
