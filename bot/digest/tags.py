"""Tag helpers: one comparison form for the store, one hashtag form for Telegram."""

from __future__ import annotations

import unicodedata

from bot.tagnorm import LEADING_HASHES as _LEADING
from bot.tagnorm import normalize_tag

__all__ = ["display_tag", "hashtag", "normalize_tag"]

# Telegram (tdlib `is_hashtag_letter`) accepts letters and decimal digits of any script, '_',
# ZERO WIDTH NON-JOINER and MIDDLE DOT. Combining marks are kept too: without them words in
# scripts such as Devanagari or Thai would be mangled. No library exposes this rule, hence by hand.
_EXTRA_HASHTAG_CHARS = frozenset({"_", "\u200c", "\u00b7"})
_HASHTAG_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn", "Mc"})




def display_tag(tag: str) -> str:
    """Display form kept for a tag: stripped, without leading '#'s."""
    return _LEADING.sub("", tag).rstrip()


def _hashtag_char(ch: str) -> bool:
    return ch in _EXTRA_HASHTAG_CHARS or unicodedata.category(ch) in _HASHTAG_CATEGORIES


def hashtag(tag: str) -> str:
    """Telegram hashtag for a tag (`"AI 日报"` -> `"#AI日报"`), or '' if none can be made.

    Characters a hashtag cannot hold (spaces, punctuation, symbols, emoji) are dropped. Telegram
    does not link a hashtag without a letter (`#2026`), so such tags give '' as well.
    """
    body = "".join(ch for ch in display_tag(tag) if _hashtag_char(ch))
    if not any(unicodedata.category(ch).startswith("L") for ch in body):
        return ""
    return "#" + body
