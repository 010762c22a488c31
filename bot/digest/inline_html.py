"""Inline HTML inside markdown (`<b>`, `<a href>`, `<img src>`…) read with a real HTML parser.

markdown-it hands each inline tag over as one `html_inline` token (`<b>`, then the markdown in
between as ordinary tokens, then `</b>`). `parse_tag` reads one such token with the stdlib
html.parser; the tables below say what it becomes in a message:
- FORMAT_TAGS: Telegram formatting (the renderer keeps open/close balanced per inline run);
- BREAK_TAGS: a line break;
- MEDIA_TAGS: a link to the media (`src`), labelled with `alt`/`title` or the media kind;
- anything else (`<small>`, `<span>`, `<sup>`, `<font>`, comments): removed, its text kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

# HTML tag -> the Telegram HTML tag it becomes ("a" needs an href, see the renderer).
FORMAT_TAGS: dict[str, str] = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "del": "s",
    "strike": "s",
    "code": "code",
    "a": "a",
}
BREAK_TAGS = frozenset({"br"})
MEDIA_TAGS: dict[str, str] = {"img": "image", "video": "video"}  # tag -> label without alt


@dataclass(frozen=True, slots=True)
class HtmlTag:
    name: str  # lower case
    closing: bool  # `</b>`
    attrs: dict[str, str] = field(default_factory=dict)

    def attr(self, name: str) -> str:
        return self.attrs.get(name, "").strip()


class _TagReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[HtmlTag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(HtmlTag(tag, False, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(HtmlTag(tag, True))


@lru_cache(maxsize=4096)  # digests repeat the same few tags thousands of times
def parse_tag(raw: str) -> HtmlTag | None:
    """The tag of one `html_inline` token; None for a comment, declaration or stray text."""
    reader = _TagReader()
    reader.feed(raw)
    reader.close()
    return reader.tags[0] if len(reader.tags) == 1 else None


def media_block(raw: str) -> list[HtmlTag] | None:
    """The media tags of an HTML block that is only media (`<img …>` on its own line), else None.

    CommonMark makes a line holding just an inline tag an HTML *block*; for a picture or video
    that would silently drop it, so such a block still becomes links. Any other block is dropped.
    """
    if not raw.lstrip().lower().startswith(tuple(f"<{name}" for name in MEDIA_TAGS)):
        return None
    reader = _TagReader()
    reader.feed(raw)
    reader.close()
    return [t for t in reader.tags if not t.closing and t.name in MEDIA_TAGS and media_src(t)]


def media_label(tag: HtmlTag) -> str:
    """Link text for an `<img>`/`<video>`: its alt or title, else the kind of media."""
    return tag.attr("alt") or tag.attr("title") or MEDIA_TAGS.get(tag.name, "media")


def media_src(tag: HtmlTag) -> str:
    """The media URL of an `<img>`/`<video>` (a video may name it in `poster` only)."""
    return tag.attr("src") or (tag.attr("poster") if tag.name == "video" else "")
