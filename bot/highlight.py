"""Search snippets as Telegram HTML with the matched words in bold."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence


def highlight_html(text: str, terms: Sequence[str]) -> str:
    """`text` escaped for Telegram HTML, every case-insensitive match of a term in <b>.

    Longer terms win where matches overlap ("rust" inside "rustc" when both are searched)."""
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return html.escape(text, quote=False)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        out.append(f"<b>{html.escape(match.group(), quote=False)}</b>")
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)
