"""Shared checks for the splitter tests: every message valid, nothing lost, URLs in order.

The reference is bot/standin/telegram_html.py (independent of bot/), applied both to the rendered
blocks (what the digest says) and to the messages (what Telegram would show).
"""

from __future__ import annotations

import re

from bot.digest.model import Digest, OutgoingMessage
from bot.digest.render import RenderedDigest, render_digest
from bot.digest.split import build_messages, continuation_marker, header_blocks
from bot.standin.telegram_html import validate_html, validate_message

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub("", text)


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def check_digest(digest: Digest) -> tuple[RenderedDigest, list[OutgoingMessage]]:
    """Build the messages of `digest` and assert every splitter guarantee on them."""
    rendered = render_digest(digest)
    messages = build_messages(digest, rendered)
    assert messages, "a digest always gives at least the header"
    parsed = [validate_message(m.html, caption=m.method == "sendPhoto") for m in messages]
    for m, p in zip(messages, parsed, strict=True):
        assert p.text.strip(), m
        if m.method == "sendPhoto":
            assert m.photo and m.photo.startswith(("http://", "https://"))

    # Expected visible text, in order: header, preamble, then each section title + blocks.
    header_text = "".join(validate_html(b).text for b in header_blocks(digest))
    expected = [header_text] + [validate_html(b).text for b in rendered.preamble]
    header_urls = [u for b in header_blocks(digest) for u in validate_html(b).urls]
    expected_urls = header_urls + [u for b in rendered.preamble for u in validate_html(b).urls]
    for s in rendered.sections:
        expected.append(s.title_text)
        expected_urls.extend(validate_html(s.title_html).urls)
        for b in s.blocks:
            p = validate_html(b)
            expected.append(p.text)
            expected_urls.extend(p.urls)

    # Actual: text messages (the photo caption repeats the header only when it was cut short).
    texts = [m for m in messages if m.method == "sendMessage"]
    photo_full = messages[0].method == "sendPhoto" and squash(parsed[0].text) == squash(header_text)
    actual: list[str] = [parsed[0].text] if photo_full else []
    for i, m in enumerate(texts):
        text = squash(validate_html(m.html).text)
        marker = squash(validate_html(continuation_marker(m.section or digest.title)).text)
        if i and text.startswith(marker):  # a continued message: the marker is not content
            text = text[len(marker) :]
        actual.append(text)
    assert squash("".join(actual)) == squash("".join(expected))

    # Every link in order; a link cut in two appears in both parts, hence a subsequence check.
    urls = [u for m in texts for u in validate_html(m.html).urls]
    if photo_full:  # the summary's links are in the caption
        urls = parsed[0].urls + urls
    assert is_subsequence(expected_urls, urls), (expected_urls, urls)
    assert set(urls) == set(expected_urls)
    return rendered, messages
