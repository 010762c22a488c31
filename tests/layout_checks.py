"""Checks shared by the layout tests: every rich message passes the fake server's validator and
its limits and the rich messages together keep all visible text and every link URL in order;
every compact message is valid Telegram HTML within the limits and the compact messages carry
exactly the text and links of the `sections` messages.

The reference text of a digest is taken from the markdown-it parse (the one dialect), not from
the rich renderer, so a renderer that drops or reorders text fails here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it.tree import SyntaxTreeNode

from bot.digest.calls import OutgoingCall, build_calls
from bot.digest.compact import auto_entities
from bot.digest.model import Digest
from bot.digest.render import _MD, _same_title, safe_href
from bot.digest.tags import hashtag
from bot.standin.rich_html import (
    MAX_BLOCKS,
    MAX_DEPTH,
    MAX_MEDIA,
    MAX_TEXT,
    RichParse,
    plain,
    validate_rich_html,
)
from bot.standin.telegram_html import validate_html, validate_message
from tests.split_checks import is_subsequence, squash

_BR = re.compile(r"<br\s*/?>", re.I)


# ---------------------------------------------------------------- reference from the parse tree

def _inline_ref(nodes: Sequence[SyntaxTreeNode], text: list[str], urls: list[str]) -> None:
    for n in nodes:
        if n.type in ("text", "code_inline"):
            text.append(n.content)
        elif n.type in ("softbreak", "hardbreak"):
            text.append(" ")
        elif n.type == "html_inline":
            text.append(" " if _BR.fullmatch(n.content.strip()) else n.content)
        elif n.type == "link":
            href = safe_href(str(n.attrs.get("href", "")))
            inner: list[str] = []
            _inline_ref(n.children, inner, [] if href else urls)
            text.extend(inner)
            if href:
                urls.append(href)
                if not "".join(inner).strip():
                    text.append(href)
        elif n.type == "image":
            inner = []
            _inline_ref(n.children, inner, [])
            text.append("".join(inner).strip() or "image")
            href = safe_href(str(n.attrs.get("src", "")))
            if href:
                urls.append(href)
        elif n.children:
            _inline_ref(n.children, text, urls)
        else:
            text.append(n.content)


def _block_ref(nodes: Sequence[SyntaxTreeNode], text: list[str], urls: list[str],
               title: str | None) -> None:
    for n in nodes:
        if n.type == "html_block":
            continue
        if n.type in ("fence", "code_block"):
            text.append(n.content)
        elif n.type == "inline":
            _inline_ref(n.children, text, urls)
        elif (n.type == "heading" and n.tag == "h1" and title is not None and n.children
              and _same_title("".join(_plain_ref(n.children[0].children)), title)):
            continue
        elif n.children:
            _block_ref(n.children, text, urls, None)


def _plain_ref(nodes: Sequence[SyntaxTreeNode]) -> list[str]:
    out: list[str] = []
    _inline_ref(nodes, out, [])
    return out


def reference(digest: Digest) -> tuple[str, list[str]]:
    """All visible text (whitespace removed) and link URLs of a digest, in reading order."""
    text = [digest.title, digest.date.isoformat()]
    text += [t for t in (hashtag(tag) for tag in digest.tags) if t]
    urls: list[str] = []
    if digest.summary and digest.summary.strip():
        _block_ref(SyntaxTreeNode(_MD.parse(digest.summary.strip())).children, text, urls, None)
    _block_ref(SyntaxTreeNode(_MD.parse(digest.body)).children, text, urls, digest.title)
    return squash("".join(text)), urls


# ---------------------------------------------------------------- visible text of rich blocks

def _rich_text_urls(value: Any, urls: list[str]) -> None:
    if isinstance(value, list):
        for v in value:
            _rich_text_urls(v, urls)
    elif isinstance(value, dict):
        if value.get("type") == "url":
            urls.append(value["url"])
        if "text" in value:
            _rich_text_urls(value["text"], urls)


def rich_visible(blocks: Sequence[dict[str, Any]], text: list[str], urls: list[str]) -> None:
    """Visible text and URLs of stored blocks, in order; media captions left out."""
    for block in blocks:
        kind = block["type"]
        if kind in ("photo", "video", "audio", "document", "map"):
            continue
        if "text" in block:
            text.append(plain(block["text"]))
            _rich_text_urls(block["text"], urls)
        if kind == "list":
            for item in block["items"]:
                rich_visible(item["blocks"], text, urls)
        if kind == "table":
            for row in block["cells"]:
                for cell in row:
                    text.append(plain(cell["text"]))
                    _rich_text_urls(cell["text"], urls)
        if "blocks" in block and kind != "list":
            rich_visible(block["blocks"], text, urls)


# ---------------------------------------------------------------- the checks

def check_rich(digest: Digest) -> list[RichParse]:
    calls = build_calls(digest, "rich")
    assert calls, "a digest always gives at least one rich message"
    parsed = []
    for i, call in enumerate(calls):
        assert call.method == "sendRichMessage" and call.parse_mode is None
        assert call.link_preview_options is None  # sendRichMessage has no such parameter
        assert call.disable_notification == (i > 0)
        assert set(call.rich_message or {}) == {"html"}
        p = validate_rich_html(call.html)  # raises on anything the fake server would refuse
        c = p.counts
        assert c.text <= MAX_TEXT and c.blocks <= MAX_BLOCKS and c.depth <= MAX_DEPTH
        assert c.media <= MAX_MEDIA
        parsed.append(p)
    text: list[str] = []
    urls: list[str] = []
    for p in parsed:
        rich_visible(p.blocks, text, urls)
    expected_text, expected_urls = reference(digest)
    assert squash("".join(text)) == expected_text
    assert is_subsequence(expected_urls, urls), (expected_urls, urls)
    assert set(urls) == set(expected_urls)
    cover = parsed[0].blocks[0]
    if (digest.cover_image or "").lower().startswith(("http://", "https://")) and \
            safe_href(digest.cover_image or ""):
        assert cover["type"] == "photo" and cover["url"] == digest.cover_image
    else:
        assert cover["type"] == "heading" and cover["size"] == 1
    return parsed


def _classic_text(calls: Sequence[OutgoingCall]) -> tuple[str, list[str]]:
    text, urls = [], []
    for call in calls:
        p = validate_html(call.html)
        text.append(p.text)
        urls.extend(p.urls)
    return squash("".join(text)), urls


def check_compact(digest: Digest) -> list[OutgoingCall]:
    compact = build_calls(digest, "compact")
    sections = build_calls(digest, "sections")
    assert 0 < len(compact) <= len(sections)
    for i, call in enumerate(compact):
        validate_message(call.html, caption=call.method == "sendPhoto")
        assert call.disable_notification == (i > 0)
        if call.html not in [s.html for s in sections]:  # packed from several sections
            parsed = validate_message(call.html)
            assert len(parsed.entities) + auto_entities(parsed.text) <= 100
    # The same content as `sections`, in the same order: only the cuts differ.
    assert _classic_text(compact) == _classic_text(sections)
    return compact
