"""THE one truncation helper: cut text to a size without splitting a grapheme cluster.

Every place that shortens text for a message (titles in lists, card summaries, continuation
markers, search-item titles, snippets) uses it, so none can leave half an emoji ZWJ sequence, a
lone regional indicator or a letter without its accent. Grapheme clusters (UAX #29) come from
wcwidth.iter_graphemes; the size is measured by the caller's unit (code points by default,
`utf16_len` where Telegram's limits count UTF-16 units).
"""

from __future__ import annotations

from collections.abc import Callable

from wcwidth import iter_graphemes

ELLIPSIS = "…"


def truncate(
    text: str, limit: int, *, size: Callable[[str], int] = len, ellipsis: str = ELLIPSIS
) -> str:
    """`text` if it fits in `limit`; else its longest grapheme-whole prefix that fits together
    with `ellipsis` (trailing spaces dropped), followed by `ellipsis`."""
    if size(text) <= limit:
        return text
    kept: list[str] = []
    used = size(ellipsis)
    for grapheme in iter_graphemes(text):
        used += size(grapheme)
        if used > limit:
            break
        kept.append(grapheme)
    # a cluster ending in a ZWJ was to join the grapheme cut off after it (`<` ZWJ `<`): keeping
    # it would glue the ellipsis on, so it goes with its partner
    while kept and kept[-1].endswith("\u200d"):
        kept.pop()
    return "".join(kept).rstrip() + ellipsis


def shorten(text: str, max_chars: int) -> str:
    """One line of plain text (whitespace runs become one space) in at most `max_chars` code
    points, ellipsis included: titles and snippets inside list lines."""
    return truncate(" ".join(text.split()), max_chars)
