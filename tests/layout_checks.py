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
from bot.digest.inline_html import MEDIA_TAGS, media_block, media_label, media_src, parse_tag
from bot.digest.links import safe_href
from bot.digest.markdown import parser
from bot.digest.model import Digest
from bot.digest.render import _same_title
from bot.digest.rich import _decide
from bot.digest.rich_split import build_rich_messages, continued_heading
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
from tests.tdlib import entities_as_sent

_BR = re.compile(r"<br\s*/?>", re.I)


# ---------------------------------------------------------------- reference from the parse tree


def _link_ref(href: str, inner: list[str], text: list[str], urls: list[str]) -> None:
    """What a link leaves visible (the policy of links.py, narrowed for rich HTML)."""
    decision = _decide(href)
    shown = "".join(inner).strip()
    text.extend(inner)
    if decision.kind == "link":
        assert decision.href is not None
        urls.append(decision.href)
        if not shown:
            text.append(decision.href)
        return
    extra = decision.href if decision.kind == "text_and_url" else decision.address
    if extra is not None and shown != extra:
        text.append(f"({extra})" if shown else extra)  # as render.shown_link shows it


def _inline_ref(
    nodes: Sequence[SyntaxTreeNode], text: list[str], urls: list[str], in_link: bool = False
) -> None:
    for n in nodes:
        if n.type in ("text", "code_inline"):
            text.append(n.content)
        elif n.type in ("softbreak", "hardbreak"):
            text.append(" ")
        elif n.type == "html_inline":
            tag = parse_tag(n.content)
            if tag is not None and not tag.closing and tag.name in MEDIA_TAGS:
                if in_link:
                    text.append(media_label(tag))
                else:
                    _link_ref(media_src(tag), [media_label(tag)], text, urls)
        elif n.type == "link":
            inner: list[str] = []
            _inline_ref(n.children, inner, urls if in_link else [], True)
            if in_link:
                text.extend(inner)
            else:
                _link_ref(str(n.attrs.get("href", "")), inner, text, urls)
        elif n.type == "image":
            label = "".join(_plain_ref(n.children)).strip() or "image"
            if in_link:
                text.append(label)
            else:
                _link_ref(str(n.attrs.get("src", "")), [label], text, urls)
        elif n.children:
            _inline_ref(n.children, text, urls, in_link)
        else:
            text.append(n.content)


def _block_ref(
    nodes: Sequence[SyntaxTreeNode], text: list[str], urls: list[str], title: str | None
) -> None:
    for n in nodes:
        if n.type == "html_block":
            for tag in media_block(n.content) or []:
                _link_ref(media_src(tag), [media_label(tag)], text, urls)
            continue
        if n.type in ("fence", "code_block"):
            text.append(n.content)
        elif n.type == "inline":
            _inline_ref(n.children, text, urls)
        elif (
            n.type == "heading"
            and n.tag == "h1"
            and title is not None
            and n.children
            and _same_title("".join(_plain_ref(n.children[0].children)), title)
        ):
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
        summary = SyntaxTreeNode(parser().parse(digest.summary.strip()))
        _block_ref(summary.children, text, urls, None)
    _block_ref(SyntaxTreeNode(parser().parse(digest.body)).children, text, urls, digest.title)
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
    messages = build_rich_messages(digest)
    assert len(messages) == len(parsed)
    for i, p in enumerate(parsed):
        blocks = p.blocks
        title = messages[i].sections[0]
        # a section cut across messages goes on under "Title (continued)": not source text
        if (
            i > 0
            and title
            and blocks
            and blocks[0]["type"] == "heading"
            and plain(blocks[0]["text"]) == continued_heading(title).text()
        ):
            blocks = blocks[1:]
        rich_visible(blocks, text, urls)
    expected_text, expected_urls = reference(digest)
    actual = squash("".join(text))
    assert actual == expected_text, _first_difference(actual, expected_text)
    assert is_subsequence(expected_urls, urls), (expected_urls, urls)
    assert set(urls) == set(expected_urls)
    cover = parsed[0].blocks[0]
    if (digest.cover_image or "").lower().startswith(("http://", "https://")) and safe_href(
        digest.cover_image or ""
    ):
        assert cover["type"] == "photo" and cover["url"] == digest.cover_image
    else:
        assert cover["type"] == "heading" and cover["size"] == 1
    return parsed


def _first_difference(actual: str, expected: str) -> str:
    at = next(
        (i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
        min(len(actual), len(expected)),
    )
    return f"at {at}: got {actual[at - 40 : at + 60]!r}, expected {expected[at - 40 : at + 60]!r}"


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
            # every entity Telegram would hold, detected ones included, as TDLib counts them
            assert len(entities_as_sent(call.html)) <= 100
    # The same content as `sections`, in the same order: only the cuts differ.
    assert _classic_text(compact) == _classic_text(sections)
    return compact
