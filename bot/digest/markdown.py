"""The one markdown dialect of the bot: every reader of digest markdown builds its parser here.

CommonMark + tables + strikethrough + mdit-py-cjk-friendly (so `**要点：**后文` closes), no
linkify (a bare URL stays text; Telegram links it itself). Link targets are not filtered at parse
time: markdown-it would leave `[text](javascript:…)` as literal brackets, so every link is parsed
and bot/digest/links.py decides how each one is shown.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_cjk_friendly import cjk_friendly


class _DigestMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it names it so
        return True  # the link policy (links.py) judges every URL, not the parser


def build_parser(*, lazy_inline: bool = False) -> MarkdownIt:
    """A fresh parser of the digest dialect.

    lazy_inline: the core inline rule is off, so `inline` tokens keep no children until the
    caller parses them (items.py does, skipping markdown-it where a fast path applies).
    """
    md = _DigestMarkdown("commonmark").enable(["table", "strikethrough"]).use(cjk_friendly)
    if lazy_inline:
        md.disable("inline")
    return md


@lru_cache(maxsize=2)
def parser(*, lazy_inline: bool = False) -> MarkdownIt:
    """The shared parser (markdown-it parsers keep no state between parse calls)."""
    return build_parser(lazy_inline=lazy_inline)
