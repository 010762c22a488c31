"""Search snippets as Telegram HTML with the matched words in bold."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.digest.tghtml import escape


def highlight_html(text: str, terms: Sequence[str]) -> str:
    """`text` escaped for Telegram HTML, every case-insensitive match of a term in <b>.

    Longer terms win where matches overlap ("rust" inside "rustc" when both are searched)."""
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<b>{escape(match.group())}</b>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)
