"""Plain data of the fake Bot API server: users, chats, messages, records of what the bot did."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
FaultKind = Literal[
    "429", "500", "502", "timeout", "parse", "rich", "not_modified", "edit_not_found"
]


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad_request(what: str, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {what}", parameters or None)


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None
    blocked_bot: bool = False  # the user blocked the bot: sends to the private chat -> 403

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None  # without '@'
    first_name: str | None = None  # private chats
    is_forum: bool = False
    topics: dict[int, str] = field(default_factory=dict)  # thread id -> topic name
    closed_topics: set[int] = field(default_factory=set)
    members: dict[int, MemberStatus] = field(default_factory=dict)  # user id -> status
    bot_status: MemberStatus = "member"
    migrated_to: int | None = None  # an old group upgraded to a supergroup
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # message id -> Message
    pinned: list[int] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            out["title"] = self.title
        if self.username:
            out["username"] = self.username
        if self.first_name is not None:
            out["first_name"] = self.first_name
        if self.is_forum:
            out["is_forum"] = True
        return out

    def new_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class SentMessage:
    """One message the bot sent (``tg.sent``) or edited (``tg.edits``), as accepted."""

    method: str  # sendMessage | sendPhoto | sendRichMessage | editMessageText | edit…ReplyMarkup
    chat_id: int
    message_id: int
    message_thread_id: int | None = None
    text: str | None = None  # raw `text` as sent (HTML when parse_mode=HTML)
    caption: str | None = None  # raw `caption` (sendPhoto)
    parsed_text: str = ""  # visible text after entity parsing (what the reader sees)
    entities: list[dict[str, Any]] = field(default_factory=list)  # Bot API MessageEntity dicts
    parse_mode: str | None = None
    photo: str | None = None
    reply_markup: dict[str, Any] | None = None
    disable_notification: bool = False
    protect_content: bool = False
    link_preview_options: dict[str, Any] | None = None
    reply_parameters: dict[str, Any] | None = None
    # rich messages: the InputRichMessage as sent, and the RichBlock dicts stored from it
    rich_message: dict[str, Any] | None = None
    rich_blocks: list[dict[str, Any]] | None = None
    time: float = field(default_factory=time.monotonic)

    @property
    def html(self) -> str:
        """The text, caption or rich HTML as the bot sent it."""
        if self.rich_message is not None:
            return str(self.rich_message.get("html") or "")
        return (self.text if self.text is not None else self.caption) or ""

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["html"] = self.html
        return out


@dataclass
class RequestRecord:
    """Every Bot API request, answered or not (``tg.requests``)."""

    method: str
    params: dict[str, Any]
    status: int = 0  # HTTP status sent back (0: dropped / still running)
    description: str | None = None  # error description when not ok
    time: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    kind: FaultKind
    times: int = 1
    retry_after: float = 1
    hold: float = 10.0  # "timeout": seconds to hold the request before dropping the connection
    delivered: bool = False  # "timeout": whether the message was sent before the drop


@dataclass
class Stats:
    requests: dict[str, int] = field(default_factory=dict)  # per method
    sent_429: int = 0
    sent_400: int = 0
    sent_403: int = 0
    sent_5xx: int = 0
    timeouts: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_ids = itertools.count(1)


def next_id() -> int:
    """Unique ids for callback queries and update-independent objects."""
    return next(_ids)
