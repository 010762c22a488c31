"""The layout-neutral "outgoing call": each part of a push as the exact Bot API call it is.

`build_calls(digest, layout)` is what a push sends, part by part, in any layout; delivery sends
each call (bot/delivery/sender.py for sendMessage/sendPhoto, bot/delivery/rich_api.py for
sendRichMessage), `digestbot render --json` prints them, and the journal can hash each part
(`OutgoingCall.content_hash`). Only part 0 notifies. Chat, topic and reply parameters are the
target's, so they are not part of a call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, get_args

from bot.digest.model import Digest, OutgoingMessage

Layout = Literal["sections", "compact", "rich"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
DEFAULT_LAYOUT: Layout = "sections"
CallMethod = Literal["sendMessage", "sendPhoto", "sendRichMessage"]


@dataclass(frozen=True)
class OutgoingCall:
    method: CallMethod
    text: str | None = None  # sendMessage
    photo: str | None = None  # sendPhoto (URL)
    caption: str | None = None  # sendPhoto
    rich_message: Mapping[str, Any] | None = None  # sendRichMessage: InputRichMessage
    parse_mode: str | None = None
    disable_notification: bool = False
    link_preview_options: Mapping[str, Any] | None = None
    reply_markup: Mapping[str, Any] | None = None
    sections: tuple[str | None, ...] = ()  # `##` titles in this part (None: the header)

    def params(self) -> dict[str, Any]:
        """The Bot API parameters of the call (without chat_id / message_thread_id)."""
        out: dict[str, Any] = {}
        for name in ("text", "photo", "caption", "rich_message", "parse_mode"):
            value = getattr(self, name)
            if value is not None:
                out[name] = dict(value) if isinstance(value, Mapping) else value
        out["disable_notification"] = self.disable_notification
        for name in ("link_preview_options", "reply_markup"):
            value = getattr(self, name)
            if value is not None:
                out[name] = dict(value)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, **self.params()}

    def content_hash(self) -> str:
        """sha256 of the method and content (not the notification flag): equal parts, equal hash."""
        body = {k: v for k, v in self.to_json().items() if k != "disable_notification"}
        blob = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @property
    def html(self) -> str:
        """The HTML of the call: text, caption or rich HTML."""
        if self.rich_message is not None:
            return str(self.rich_message.get("html", ""))
        return self.text if self.text is not None else (self.caption or "")


class _ClassicArgs(TypedDict):
    """The OutgoingCall fields sendMessage and sendPhoto share (typed for the ** below)."""

    parse_mode: str | None
    disable_notification: bool
    sections: tuple[str | None, ...]


def _classic_call(msg: OutgoingMessage, index: int, link_previews: bool) -> OutgoingCall:
    common: _ClassicArgs = {
        "parse_mode": "HTML",
        "disable_notification": index > 0,
        "sections": (msg.section,),
    }
    if msg.method == "sendPhoto":
        return OutgoingCall("sendPhoto", photo=msg.photo, caption=msg.html, **common)
    return OutgoingCall(
        "sendMessage",
        text=msg.html,
        link_preview_options={"is_disabled": not link_previews},
        **common,
    )


def check_layout(layout: str) -> Layout:
    """`layout` as a Layout, or ValueError naming the allowed ones."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r} (use {', '.join(LAYOUTS)})")
    return layout


def build_calls(
    digest: Digest, layout: Layout | str = DEFAULT_LAYOUT, *, link_previews: bool = False
) -> list[OutgoingCall]:
    """Every call of one digest's push in `layout`, in sending order."""
    layout = check_layout(layout)
    if layout == "rich":
        from bot.digest.rich_split import build_rich_messages

        return [
            OutgoingCall(
                "sendRichMessage",
                rich_message={"html": m.html},
                disable_notification=i > 0,
                sections=m.sections,
            )
            for i, m in enumerate(build_rich_messages(digest))
        ]
    if layout == "compact":
        from bot.digest.compact import build_compact_messages

        messages = build_compact_messages(digest)
    else:
        from bot.digest.split import build_messages

        messages = build_messages(digest)
    return [_classic_call(m, i, link_previews) for i, m in enumerate(messages)]


__all__ = ["DEFAULT_LAYOUT", "LAYOUTS", "Layout", "OutgoingCall", "build_calls", "check_layout"]
