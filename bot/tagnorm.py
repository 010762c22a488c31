"""The comparison form of a tag, shared by the parser side (bot.digest) and the store (SQL).

Its own module so bot.store needs nothing from bot.digest. It holds Telegram's hashtag character
rule too, because a tag's key is what its hashtag keeps (bot.digest.tags.hashtag uses the rule).
"""

from __future__ import annotations

import re
import unicodedata

LEADING_HASHES = re.compile(r"^[\s#＃]+")

# Telegram (tdlib `is_hashtag_letter`) accepts letters and decimal digits of any script, '_',
# ZERO WIDTH NON-JOINER and MIDDLE DOT. Combining marks are kept too: without them words in
# scripts such as Devanagari or Thai would be mangled. No library exposes this rule, hence by hand.
EXTRA_HASHTAG_CHARS = frozenset({"_", "\u200c", "\u00b7"})
HASHTAG_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn", "Mc"})


def hashtag_char(ch: str) -> bool:
    return ch in EXTRA_HASHTAG_CHARS or unicodedata.category(ch) in HASHTAG_CATEGORIES


def tag_key(text: str) -> str:
    """What a tag's Telegram hashtag keeps of `text`, minus '_' (the key before case folding).

    So `/tag` finds what the bot shows: `#AI日报` for "AI 日报", `#thisweekinrust` for
    "this-week-in-rust" (spaces, '-', '_' and punctuation between words carry no meaning). A tag
    without a letter (no hashtag: "2026", emoji) keeps its text minus spaces, '-' and '_'.
    Schema v7 rewrote the stored keys with normalize_tag (bot/store/schema.py)."""
    body = "".join(ch for ch in text if ch != "_" and hashtag_char(ch))
    if any(unicodedata.category(ch).startswith("L") for ch in body):
        return body
    return re.sub(r"[\s\-_]+", "", text)


def normalize_tag(tag: str) -> str:
    """Comparison form of a tag: leading '#'s, case, spaces, '-' and '_' dropped.

    `normalize_tag("#AI 日报 ") == normalize_tag("ai日报")`. Idempotent.
    """
    # NFKC + casefold so full-width '＃'/letters and case variants compare equal; repeated until
    # stable because casefolding can un-normalise a few characters (keeps this idempotent).
    # Telegram shows `#AI日报` for "AI 日报": the key keeps only what that hashtag keeps, so
    # the hashtag filter runs first (as hashtag() does).
    text = tag
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", tag_key(LEADING_HASHES.sub("", text)).casefold())
        if folded == text:
            break
        text = folded
    return text
