"""What the journal keeps of a part: its kind, its media and a hash of exactly what was sent.

Pure. The hash covers the whole request body a push makes for the part (method, text or
caption, photo, parse mode: `OutgoingMessage.to_json()`), so any change a reader could see
changes it, in every layout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from bot.delivery.corrections_plan import NewPart, PartKind
from bot.digest.model import OutgoingMessage


def part_kind(message: OutgoingMessage) -> PartKind:
    if message.method == "sendPhoto":
        return "photo"
    if message.method == "sendRichMessage":  # type: ignore[comparison-overlap]  # layouts
        return "rich"
    return "text"


def part_hash(message: OutgoingMessage) -> str:
    body = json.dumps(message.to_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def new_parts(messages: Sequence[OutgoingMessage]) -> list[NewPart]:
    return [NewPart(n, part_hash(m), part_kind(m), m.photo if m.method == "sendPhoto" else None)
            for n, m in enumerate(messages)]
