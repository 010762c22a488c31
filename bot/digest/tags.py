"""Tag helpers: one comparison form for the store, one hashtag form for Telegram."""

from __future__ import annotations

import unicodedata

from bot.tagnorm import LEADING_HASHES as _LEADING
from bot.tagnorm import hashtag_char as _hashtag_char
from bot.tagnorm import normalize_tag

__all__ = ["display_tag", "hashtag", "normalize_tag"]


def display_tag(tag: str) -> str:
    """Display form kept for a tag: stripped, without leading '#'s."""
    return _LEADING.sub("", tag).rstrip()


def hashtag(tag: str) -> str:
    """Telegram hashtag for a tag (`"AI 日报"` -> `"#AI日报"`), or '' if none can be made.

    Characters a hashtag cannot hold (spaces, punctuation, symbols, emoji) are dropped. Telegram
    does not link a hashtag without a letter (`#2026`), so such tags give '' as well.
    """
    body = "".join(ch for ch in display_tag(tag) if _hashtag_char(ch))
    if not any(unicodedata.category(ch).startswith("L") for ch in body):
        return ""
    return "#" + body
