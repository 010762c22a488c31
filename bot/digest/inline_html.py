"""Inline HTML inside markdown (`<b>`, `<a href>`, `<img src>`…) read with a real HTML parser.

markdown-it hands each inline tag over as one `html_inline` token (`<b>`, then the markdown in
between as ordinary tokens, then `</b>`). `parse_tag` reads one such token with the stdlib
html.parser; the tables below say what it becomes in a message:
- FORMAT_TAGS: Telegram formatting (the renderer keeps open/close balanced per inline run);
- BREAK_TAGS: a line break;
- MEDIA_TAGS: a link to the media (`src`), labelled with `alt`/`title` or the media kind;
- anything else (`<small>`, `<span>`, `<sup>`, `<font>`, comments): removed, its text kept.

`walk` is the one reading of a run of inline nodes holding such tags, for every layout: the
stack that matches open and close tags, and when a tag may format at all. What a piece becomes
(an HTML string for classic, `El` elements for rich) is the layout's `InlineEmitter`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from bot.digest.links import LinkDecision

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

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


# ---------------------------------------------------------------- the walk, for every layout


class InlineContext(Protocol):
    """What the walk reads of a layout's inline context."""

    @property
    def in_link(self) -> bool: ...

    @property
    def in_code(self) -> bool: ...


Piece = TypeVar("Piece")  # one piece of a layout's output: str (classic), El | str (rich)
Ctx = TypeVar("Ctx", bound=InlineContext)


@dataclass(slots=True)
class OpenTag:
    """An HTML tag opened in the run and not yet closed."""

    name: str  # the HTML tag as written (`strong`)
    tag: str  # the tag it becomes (`b`), "" when it only keeps its text
    start: int  # index in the output where its content begins
    link: LinkDecision | None = None  # for <a href>


class InlineEmitter(ABC, Generic[Piece, Ctx]):
    """What one layout makes of the pieces of a run (see `walk`)."""

    @abstractmethod
    def node(self, node: SyntaxTreeNode, ctx: Ctx) -> list[Piece]:
        """An ordinary (non-HTML) inline node, rendered as the layout always renders it."""

    @abstractmethod
    def inside(self, base: Ctx, open_tags: Sequence[OpenTag]) -> Ctx:
        """The context within the tags still open (`base`: the run's own context)."""

    @abstractmethod
    def decide(self, href: str) -> LinkDecision:
        """The layout's link policy for an `<a href>`."""

    def may_format(self, ctx: Ctx) -> bool:
        """Whether a format tag opened in `ctx` may still become formatting (depth limits)."""
        return True

    @abstractmethod
    def line_break(self, ctx: Ctx) -> list[Piece]:
        """A `<br>`."""

    @abstractmethod
    def media(self, tag: HtmlTag, ctx: Ctx) -> list[Piece]:
        """An `<img>`/`<video>`: a link to the media."""

    @abstractmethod
    def visible(self, inner: list[Piece]) -> bool:
        """Whether `inner` shows any text (an empty entity would be refused)."""

    @abstractmethod
    def format(self, tag: str, inner: list[Piece]) -> list[Piece]:
        """`inner` formatted as `tag` (b, i, u, s, code); only called when it is visible."""

    @abstractmethod
    def link(self, decision: LinkDecision, inner: list[Piece], base: Ctx, ctx: Ctx) -> list[Piece]:
        """A closed `<a href>` shown as the link policy decided; `ctx` still includes it."""


def walk(nodes: Sequence[SyntaxTreeNode], ctx: Ctx, emit: InlineEmitter[Piece, Ctx]) -> list[Piece]:
    """Inline nodes holding inline HTML tags: supported tags become the layout's formatting.

    An HTML tag opens in one node and closes in a later sibling, so this walks the run with a
    stack. Tags opened in this run are closed at its end (an unclosed `<b>` ends with its
    paragraph) and a close tag with no open match is ignored: the output always nests.
    Callers enter only for a run that holds an `html_inline` node (the common run has none).
    """
    out: list[Piece] = []
    stack: list[OpenTag] = []

    def close_down_to(index: int) -> None:
        while len(stack) > index:
            entry = stack[-1]
            inner = out[entry.start :]
            del out[entry.start :]
            if entry.link is not None:
                out.extend(emit.link(entry.link, inner, ctx, emit.inside(ctx, stack)))
            elif entry.tag and emit.visible(inner):
                out.extend(emit.format(entry.tag, inner))
            else:
                out.extend(inner)
            stack.pop()

    for node in nodes:
        if node.type != "html_inline":
            out.extend(emit.node(node, emit.inside(ctx, stack)))
            continue
        tag = parse_tag(node.content)
        if tag is None:
            continue  # a comment or declaration
        if tag.closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].name == tag.name:
                    close_down_to(i)
                    break
        elif tag.name in BREAK_TAGS:
            out.extend(emit.line_break(emit.inside(ctx, stack)))
        elif tag.name in MEDIA_TAGS:
            out.extend(emit.media(tag, emit.inside(ctx, stack)))
        elif tag.name in FORMAT_TAGS:
            now = emit.inside(ctx, stack)
            wanted = FORMAT_TAGS[tag.name]
            entry = OpenTag(tag.name, "", len(out))
            if wanted == "a":
                if not now.in_link and not now.in_code:  # links cannot nest
                    entry.link = emit.decide(tag.attr("href"))
                    entry.tag = "a" if entry.link.kind == "link" else ""
            elif (
                not now.in_code
                and not (wanted == "code" and now.in_link)  # code inside a link is plain
                and emit.may_format(now)
            ):
                entry.tag = wanted
            stack.append(entry)
        # any other tag (<span>, <small>, <sup>, <font>…) is removed; its text stays
    close_down_to(0)
    return out
