"""Reader texts that depend on content: summary bullets, part-labelled links, live examples.

Pure (no Telegram objects). All wording goes through gettext (bot.i18n).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from html import escape

from bot.digest.render import render_blocks
from bot.digest.tghtml import html_to_plain
from bot.i18n import _
from bot.textcut import truncate

_BULLET = re.compile(r"^\s*(?:[-*+•·]|\d+[.)])\s+")
_WORD = re.compile(r"[^\W_]{2,}")


def summary_lines(summary: str, max_lines: int = 12, max_chars: int = 700) -> list[str]:
    """A summary's lines as HTML, list items as `• ` bullets, each line kept a line.

    The front-matter summary is markdown: it is rendered as the digest header renders it
    (bot.digest.render.render_blocks) and its visible text shown, so a card has no stray `**`,
    `[`, `](…)` or `- `. Text only, no tags: a card's lines must each stand alone (fit_lines
    drops whole lines). Markdown-ish summaries ("- a\\n- b") are common in front matter;
    flattening them into one line with ` - ` in between made them unreadable in a group card."""
    visible = html_to_plain("".join(render_blocks(summary)))
    out: list[str] = []
    used = 0
    for raw in visible.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if len(out) == max_lines or used >= max_chars:
            out.append("…")
            break
        bullet = _BULLET.match(raw)
        text = line[len(" ".join(raw[: bullet.end()].split())) :].strip() if bullet else line
        text = truncate(text, max_chars - used)
        used += len(text)
        out.append(("• " if bullet else "") + escape(text, quote=False))
    return out


def part_label(part: int, section: str | None) -> str:
    """What a link to one part of a digest is called: `header` or its section's name."""
    if part == 0 or not section:
        return _("header")
    return section


def posted_line(parts: Sequence[tuple[str, str | None]], limit: int = 12) -> str:
    """`Already posted here: header, 模型, Tools` with each name linking to its message.

    `parts` are (label, url) in order; a label repeats for the later parts of a long section:
    only its first part is listed. url None: posted, but the chat has no message links."""
    seen: set[str] = set()
    links = []
    for label, url in parts:
        if label in seen:
            continue
        seen.add(label)
        text = escape(label[:40], quote=False)
        links.append(f'<a href="{escape(url)}">{text}</a>' if url else text)
    shown = links[:limit] + (["…"] if len(links) > limit else [])
    return _("Already posted here: {links}").format(links=", ".join(shown))


def example_word(title: str) -> str | None:
    """A word of the title that /search finds (the title is searchable): its first word."""
    match = _WORD.search(title)
    return match.group() if match else None


def help_examples(newest_date: dt.date | None, title: str | None, tags: Sequence[str]) -> list[str]:
    """Example commands that work with what the bot has now (the newest digest's date, its
    first tag, a word of its title), not fixed ones that may find nothing."""
    if newest_date is None:
        return []
    lines = ["", _("<b>Try</b>"), f"/digest {newest_date:%Y-%m-%d}"]
    if tags:
        lines.append(f"/tag {escape(tags[0], quote=False)}")
    word = example_word(title or "")
    if word:
        lines.append(f"/search {escape(word, quote=False)}")
    return lines
