"""TDLib's own text parsers, offline (the `tdjson` test extra): what Telegram makes of a text.

Tests use it as the reference for what Telegram auto-detects (getTextEntities) and for how it
reads our HTML (parseTextEntities). Importing this module skips the test module without tdjson.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest

tdjson = pytest.importorskip("tdjson")


def _execute(query: dict[str, Any]) -> dict[str, Any]:
    return json.loads(tdjson.td_execute(json.dumps(query).encode()))


_execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": 0})


# TDLib marks these for its own apps only; they are not Bot API / server message entities.
CLIENT_ONLY = frozenset({"textEntityTypeMediaTimestamp", "textEntityTypeBankCardNumber"})


@lru_cache(maxsize=65536)
def _text_entities(text: str) -> tuple[tuple[int, int, str], ...]:
    result = _execute({"@type": "getTextEntities", "text": text})
    return tuple(
        (e["offset"], e["length"], e["type"]["@type"])
        for e in result["entities"]
        if e["type"]["@type"] not in CLIENT_ONLY
    )


def text_entities(text: str) -> list[tuple[int, int, str]]:
    """(UTF-16 offset, length, type) of every message entity Telegram detects in `text`."""
    return list(_text_entities(text))


def parse_html(html: str) -> dict[str, Any]:
    """TDLib's reading of Telegram HTML: {"text": …, "entities": [{offset, length, type}…]}."""
    result = _execute(
        {"@type": "parseTextEntities", "text": html, "parse_mode": {"@type": "textParseModeHTML"}}
    )
    if result.get("@type") == "error":
        raise ValueError(f"TDLib refuses the HTML: {result.get('message')}")
    return result


_CONTINUOUS = frozenset(
    {"textEntityTypeTextUrl", "textEntityTypeCode", "textEntityTypePre", "textEntityTypePreCode"}
)


def entities_as_sent(html: str) -> list[dict[str, Any]]:
    """Every entity of a message sent with this HTML: its own plus the auto-detected ones.

    TDLib (fix_formatted_text -> merge_new_entities) adds the detected entities of the plain
    text, except those that overlap a link, code or pre entity.
    """
    parsed = parse_html(html)
    own = parsed["entities"]
    blocked = [
        (e["offset"], e["offset"] + e["length"]) for e in own if e["type"]["@type"] in _CONTINUOUS
    ]
    added = [
        {"offset": o, "length": n, "type": {"@type": t}}
        for o, n, t in text_entities(parsed["text"])
        if not any(o < end and start < o + n for start, end in blocked)
    ]
    return own + added
