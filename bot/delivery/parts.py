"""What the journal keeps of a part: its kind, its photo and the hash of what was sent. Pure.

The hash is the push's own (`bot.delivery.push.part_hash`: method, photo URL and HTML), so a
part that renders the same as what a chat received compares equal, in every layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.delivery.corrections_plan import NewPart, PartKind
from bot.delivery.push import part_hash as _push_hash
from bot.digest.model import OutgoingMessage


class PartLike(Protocol):
    """An OutgoingMessage or a layout's OutgoingCall: all that identifies a part's content."""

    @property
    def method(self) -> str: ...

    @property
    def photo(self) -> str | None: ...

    @property
    def html(self) -> str: ...


def part_kind(part: PartLike) -> PartKind:
    if part.method == "sendPhoto":
        return "photo"
    if part.method == "sendRichMessage":
        return "rich"
    return "text"


def part_hash(part: PartLike) -> str:
    return _push_hash(part)  # type: ignore[arg-type]  # reads only method, photo, html


def new_parts(parts: Sequence[PartLike | OutgoingMessage]) -> list[NewPart]:
    return [
        NewPart(n, part_hash(p), part_kind(p), p.photo if p.method == "sendPhoto" else None)
        for n, p in enumerate(parts)
    ]
