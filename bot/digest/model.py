"""Data shared by the digest engine, the store and the bot. Pure: no I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


class DigestError(Exception):
    """A file that cannot be a digest. The message always names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class Digest:
    """One issue of a digest, as loaded from a markdown file."""

    id: str  # stable, deep-link safe ([A-Za-z0-9_-], <= 64 chars): "YYYYMMDD-<8 hex of rel path>"
    path: Path
    title: str
    date: dt.date
    body: str  # markdown after front matter; BOM removed, CRLF -> LF
    published_at: dt.datetime | None = None  # when the front matter gives a time
    category: str | None = None
    tags: tuple[str, ...] = ()  # display form, deduplicated case-insensitively, no leading '#'
    summary: str | None = None
    cover_image: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()  # `seo`/`keywords`: full-text search only, never hashtags
    draft: bool = False  # `draft: true`: the bot skips it, `digestbot check` still checks it


MessageMethod = Literal["sendMessage", "sendPhoto"]


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message the bot will send: text (or caption) in Telegram HTML."""

    method: MessageMethod
    html: str  # `text` for sendMessage, `caption` for sendPhoto
    photo: str | None = None  # URL, only for sendPhoto
    # plain title of the `##` section it belongs to (None: header/preamble)
    section: str | None = None

    def to_json(self) -> dict[str, str]:
        """The shape printed by `digestbot render --json`."""
        if self.method == "sendPhoto":
            return {
                "method": self.method,
                "photo": self.photo or "",
                "caption": self.html,
                "parse_mode": "HTML",
            }
        return {"method": self.method, "text": self.html, "parse_mode": "HTML"}
