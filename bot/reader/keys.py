"""Short keys for long button arguments (a tag, a search query): callback data has 64 bytes.

A key is a hash, so it can always be derived again from what the store holds: a tag's key from
the store's tags, a query's key from the query texts the store remembers (`remember_text`).
Nothing lives only in memory, so buttons keep working after a restart.
"""

from __future__ import annotations

import hashlib

from bot.tagnorm import normalize_tag

KEY_CHARS = 10  # hex digits of a short key inside callback_data


def short_key(text: str) -> str:
    """Stable short key for a long callback argument (a tag or a query)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:KEY_CHARS]


def tag_key(tag: str) -> str:
    """Short key of a tag: equal for spellings the store treats as the same tag."""
    return short_key(normalize_tag(tag))
