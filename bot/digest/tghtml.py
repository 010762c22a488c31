"""Small helpers for the Telegram HTML subset the renderer produces.

The bot only ever scans HTML it wrote itself (render.py), so the scanner is a tokenizer, not a
validator: tags, `&...;` escapes and text runs. It tells the splitter how long a fragment is *as
Telegram counts it* (UTF-16 code units of the visible text), how many entities it opens, and which
tags are open at any point, so a cut can close them and the next message can reopen them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.digest.autodetect import count_auto_entities

TokenKind = Literal["text", "entity", "open", "close"]

# One alternative per token kind. A stray '<' or '&' (never produced by render.py) is read as text
# so the scanner cannot loop or raise on foreign input.
_TOKEN_RE = re.compile(
    r"(?P<tag></?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});)"
    r"|(?P<text>[^<&]+|[<&])"
)
_TAG_NAME_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's length limits and entity offsets."""
    # Astral characters (emoji, rare CJK) are two code units; utf-16-le encoding is done in C.
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    raw: str  # exactly as in the source html
    name: str = ""  # lower-case tag name for open/close
    visible: str = ""  # the text Telegram shows for text/entity tokens

    @property
    def utf16(self) -> int:
        return utf16_len(self.visible)


def tokenize(fragment: str) -> Iterator[Token]:
    """Split an HTML fragment into tags, escapes and text runs (in order, losslessly)."""
    for m in _TOKEN_RE.finditer(fragment):
        raw = m.group(0)
        if m.lastgroup == "tag":
            name_match = _TAG_NAME_RE.match(raw)
            assert name_match is not None  # guaranteed by _TOKEN_RE
            name = name_match.group(1).lower()
            yield Token("close" if raw.startswith("</") else "open", raw, name)
        elif m.lastgroup == "entity":
            yield Token("entity", raw, visible=html.unescape(raw))
        else:
            yield Token("text", raw, visible=raw)


@dataclass(frozen=True, slots=True)
class Measure:
    """What a fragment costs in a message."""

    utf16: int  # visible length in UTF-16 code units
    # entities: every open tag (conservative for <pre><code>) plus the ones Telegram detects
    # by itself in the text (URLs, @mentions, #hashtags…; `detected` of them)
    entities: int
    detected: int = 0


# Telegram detects nothing inside these (TDLib drops detected entities overlapping them).
NO_DETECTION_TAGS = frozenset({"a", "code", "pre"})


def detection_text(tokens: Iterable[Token]) -> list[str]:
    """Per token, the text Telegram scans for URLs/mentions: "\n" inside a link/code/pre."""
    out: list[str] = []
    depth = 0
    for tok in tokens:
        if tok.kind == "open":
            depth += tok.name in NO_DETECTION_TAGS
            out.append("")
        elif tok.kind == "close":
            depth -= tok.name in NO_DETECTION_TAGS and depth > 0
            out.append("")
        else:
            out.append("\n" * len(tok.visible) if depth else tok.visible)
    return out


@lru_cache(maxsize=8192)  # the packer measures a block again when it places it
def measure(fragment: str) -> Measure:
    if "<" not in fragment and "&" not in fragment:  # plain text: most list items, paragraphs
        detected = count_auto_entities(fragment)
        return Measure(utf16_len(fragment), detected, detected)
    # One regex pass, no Token objects: measure runs for every block of every digest.
    visible: list[str] = []
    scanned: list[str] = []  # the text Telegram scans for URLs/mentions (see detection_text)
    entities = depth = 0
    for m in _TOKEN_RE.finditer(fragment):
        kind = m.lastgroup
        raw = m.group()
        if kind == "tag":
            closing = raw.startswith("</")
            name_match = _TAG_NAME_RE.match(raw)
            name = name_match.group(1).lower() if name_match else ""
            if not closing:
                entities += 1
            if name in NO_DETECTION_TAGS:
                depth = max(0, depth - 1) if closing else depth + 1
            continue
        text = html.unescape(raw) if kind == "entity" else raw
        visible.append(text)
        scanned.append("\n" * len(text) if depth else text)
    detected = count_auto_entities("".join(scanned))
    return Measure(utf16_len("".join(visible)), entities + detected, detected)


def open_tags_after(tokens: list[Token]) -> list[Token]:
    """The stack of open-tag tokens still open after `tokens` (outermost first)."""
    stack: list[Token] = []
    for tok in tokens:
        if tok.kind == "open":
            stack.append(tok)
        elif tok.kind == "close":
            # Pop to the matching open tag; render.py nests properly, so this is the top.
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].name == tok.name:
                    del stack[i:]
                    break
    return stack


def close_tags(stack: list[Token]) -> str:
    return "".join(f"</{tok.name}>" for tok in reversed(stack))


def reopen_tags(stack: list[Token]) -> str:
    return "".join(tok.raw for tok in stack)


def html_to_plain(fragment: str) -> str:
    """Visible text of a fragment: tags dropped, escapes decoded (for a plain-text resend)."""
    if "<" not in fragment and "&" not in fragment:  # most link texts and titles
        return fragment
    # The tokenizer's regex without its Token objects: this runs for every link rendered.
    return "".join(
        m.group() if m.lastgroup == "text" else html.unescape(m.group())
        for m in _TOKEN_RE.finditer(fragment)
        if m.lastgroup != "tag"
    )
