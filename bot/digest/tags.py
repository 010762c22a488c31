"""Tag helpers: one comparison form for the store, one hashtag form for Telegram."""

from __future__ import annotations

import re
import unicodedata

# Telegram (tdlib `is_hashtag_letter`) accepts letters and decimal digits of any script, '_',
# ZERO WIDTH NON-JOINER and MIDDLE DOT. Combining marks are kept too: without them words in
# scripts such as Devanagari or Thai would be mangled. No library exposes this rule, hence by hand.
_EXTRA_HASHTAG_CHARS = frozenset({"_", "\u200c", "\u00b7"})
_HASHTAG_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn", "Mc"})
_LEADING = re.compile(r"^[\s#＃]+")


def tag_key(text: str) -> str:
    """What a tag's Telegram hashtag keeps of `text`, minus '_' (the key before case folding).

    So `/tag` finds what the bot shows: `#AI日报` for "AI 日报", `#thisweekinrust` for
    "this-week-in-rust" (spaces, '-', '_' and punctuation between words carry no meaning). A tag
    without a letter (no hashtag: "2026", emoji) keeps its text minus spaces, '-' and '_'.
    Schema v5 rewrote the stored keys with this function (bot/store/schema.py)."""
    body = "".join(ch for ch in text if ch != "_" and _hashtag_char(ch))
    if any(unicodedata.category(ch).startswith("L") for ch in body):
        return body
    return re.sub(r"[\s\-_]+", "", text)


def normalize_tag(tag: str) -> str:
    """Comparison form of a tag: leading '#'s, case, spaces, '-' and '_' dropped.

    `normalize_tag("#AI 日报 ") == normalize_tag("ai日报")`. Idempotent.
    """
    # NFKC + casefold so full-width '＃'/letters and case variants compare equal; repeated until
    # stable because casefolding can un-normalise a few characters (keeps this idempotent).
    # Telegram shows `#AI日报` for "AI 日报": the key keeps only what that hashtag keeps.
    text = tag
    for _ in range(4):
        # the hashtag filter first (as hashtag() does), so a tag's key is its hashtag's key
        folded = unicodedata.normalize("NFKC", tag_key(_LEADING.sub("", text)).casefold())
        if folded == text:
            break
        text = folded
    return text


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
