"""Digest markdown -> Telegram Rich HTML (Bot API 10.1 ``sendRichMessage``), as a tree of blocks.

The same markdown-it parse (one dialect) as the classic renderer, rendered into the rich tag set
of ../shared/telegram-rich-messages.md §2: the title as ``<h1>``, date and hashtags, the summary
(markdown, so a summary list stays a list), the cover as a photo block at the top, ``##`` as
``<h2>``, ``###`` items as ``<h3>`` keeping their link, real nested lists, GFM tables as
``<table>`` (at most 20 columns, else a ``<pre>`` like classic), fenced code as ``<pre><code
class="language-x">``, blockquotes, rules as ``<hr/>``. Inline formatting and links follow the
classic rules (render.py): the same link policy (links.py), code inside a link is plain, an
image is a link to it, inline HTML tags mapped as classic maps them (inline_html.py).

Output is a tree of ``El`` nodes, not a string, so the splitter (rich_split.py) can count
blocks, depth and media exactly and cut between blocks. Safe-side choices where the reference
is unsettled (each also noted where it is made):
* every line break of the source is a ``<br/>``: rich HTML collapses newlines like a browser
  (§2.2, an inference), and classic keeps the author's lines;
* no bare text at the top level, and an ``<li>``/``<blockquote>`` holds either inline content
  or blocks, never both (a tight item with a nested list gets its text in a ``<p>``);
* an empty table cell holds a no-break space (TDLib refuses empty cells in explicit blocks);
* nesting never exceeds the depth limit (16, §4.1): formatting deeper than that is dropped
  (links kept), deeper lists and quotes are flattened;
* a ``tg:`` link other than ``tg://user?id=N`` (the one documented for rich HTML, §2.1) is
  shown as its text followed by the URL, like a link whose host Telegram would refuse.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.tree import SyntaxTreeNode

from bot.digest.inline_html import (
    HtmlTag,
    InlineEmitter,
    OpenTag,
    media_block,
    media_label,
    media_src,
)
from bot.digest.inline_html import walk as walk_html
from bot.digest.links import LinkDecision, decide, safe_href
from bot.digest.markdown import parser
from bot.digest.model import Digest

# The classic renderer's plain-text helpers (same parse tree, same table fallback).
from bot.digest.render import _WS_RE, _plain, _same_title, _table_lines
from bot.digest.tags import hashtag

MAX_DEPTH = 16  # rich_message_depth_max
MAX_COLUMNS = 20  # rich_message_table_column_count_max
CAPTION_MAX = 1024  # no documented caption limit: the classic one, on the safe side
VOID = frozenset({"br", "hr", "img"})
BULLET = "• "  # only where a too-deep list is flattened into paragraphs

_INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}
_TG_USER_RE = re.compile(r"tg://user\?id=[0-9]{1,20}")


def _escape_attr(text: str) -> str:
    # Not plain html.escape: it also writes `'` as `&#x27;`, six characters of the rich text
    # limit (counted on the source) where the quote itself costs one.
    return html.escape(text, quote=False).replace('"', "&quot;")


@dataclass
class El:
    """One HTML element; children are elements or raw (unescaped) text."""

    tag: str
    attrs: tuple[tuple[str, str | None], ...] = ()
    children: list[El | str] = field(default_factory=list)

    def html(self) -> str:
        attrs = "".join(
            f" {k}" if v is None else f' {k}="{_escape_attr(v)}"' for k, v in self.attrs
        )
        if self.tag in VOID:
            return f"<{self.tag}{attrs}/>"
        inner = "".join(
            c.html() if isinstance(c, El) else html.escape(c, quote=False) for c in self.children
        )
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"

    def text(self) -> str:
        """Visible text (a <br/> is a newline)."""
        if self.tag == "br":
            return "\n"
        return "".join(c.text() if isinstance(c, El) else c for c in self.children)

    def copy_with(self, children: list[El | str]) -> El:
        return El(self.tag, self.attrs, children)


def _visible(nodes: Sequence[El | str]) -> bool:
    # HTML whitespace only: a no-break space is content (it does not collapse).
    return any((n.text() if isinstance(n, El) else n).strip(" \t\n\r\f") for n in nodes)


@dataclass(frozen=True)
class RichSection:
    title: str | None  # plain `##` title; None for the header
    blocks: list[El]  # top-level blocks, the heading first


# ---------------------------------------------------------------- inline


@dataclass(frozen=True)
class _Inline:
    depth: int  # depth a new element would have
    in_link: bool = False
    in_code: bool = False  # inside an inline-HTML <code>: text only

    def deeper(self, *, in_link: bool = False) -> _Inline:
        return _Inline(self.depth + 1, self.in_link or in_link, self.in_code)


def _inline(nodes: Sequence[SyntaxTreeNode], ctx: _Inline) -> list[El | str]:
    if any(n.type == "html_inline" for n in nodes):
        return _inline_with_html(nodes, ctx)
    out: list[El | str] = []
    for node in nodes:
        out.extend(_inline_node(node, ctx))
    return out


def _decide(url: str) -> LinkDecision:
    """The classic link policy, narrowed to the links rich HTML documents (see the docstring)."""
    decision = decide(url)
    if (
        decision.kind == "link"
        and (decision.href or "").lower().startswith("tg:")
        and not _TG_USER_RE.fullmatch(decision.href or "")
    ):
        return LinkDecision("text_and_url", href=decision.href, reason=decision.reason)
    return decision


def _shown_link(decision: LinkDecision, inner: list[El | str], ctx: _Inline) -> list[El | str]:
    """A link as classic shows it (render.shown_link), as rich elements."""
    text = "".join(x.text() if isinstance(x, El) else x for x in inner).strip()
    if decision.kind == "link" and ctx.depth <= MAX_DEPTH - 1:
        assert decision.href is not None
        if not text:  # a link needs visible text: the URL itself
            inner = [*inner, decision.href]
        return [El("a", (("href", decision.href),), inner)]
    shown = (
        decision.href
        if decision.kind in ("link", "text_and_url")
        else (decision.address if decision.kind == "address" else None)
    )
    if shown is None or text == shown:
        return inner
    return [*inner, f" ({shown})"] if text else [shown]


def _media_link(src: str, label: str, ctx: _Inline) -> list[El | str]:
    # As classic: a picture inside text is a link to it. Media may only be blocks (§2.3) and
    # one Telegram cannot fetch would refuse the whole message.
    if ctx.in_link or ctx.in_code:
        return [label]
    return _shown_link(_decide(src), [label], ctx)


def _inline_node(node: SyntaxTreeNode, ctx: _Inline) -> list[El | str]:
    kind = node.type
    if kind == "text":
        return [node.content]
    if kind in ("softbreak", "hardbreak"):
        return [El("br")] if ctx.depth <= MAX_DEPTH else [" "]
    if kind == "code_inline":
        if ctx.in_link or ctx.in_code or not node.content.strip() or ctx.depth > MAX_DEPTH:
            return [node.content]
        return [El("code", (), [node.content])]
    if kind in _INLINE_TAGS:
        # Room for a link and a line break below it, else the formatting goes (text stays).
        if ctx.depth > MAX_DEPTH - 2 or ctx.in_code:
            return _inline(node.children, ctx)
        inner = _inline(node.children, ctx.deeper())
        return [El(_INLINE_TAGS[kind], (), inner)] if _visible(inner) else inner
    if kind == "link":
        if ctx.in_link or ctx.in_code:  # links cannot nest
            return _inline(node.children, ctx)
        decision = _decide(str(node.attrs.get("href", "")))
        inner_ctx = ctx.deeper(in_link=True) if decision.kind == "link" else ctx
        return _shown_link(decision, _inline(node.children, inner_ctx), ctx)
    if kind == "image":
        alt = _plain(node.children, []).strip() or "image"
        return _media_link(str(node.attrs.get("src", "")), alt, ctx)
    if kind == "html_inline":
        return []  # only reached through _inline_with_html
    if node.children:
        return _inline(node.children, ctx)
    return [node.content] if node.content else []


class _RichHtml(InlineEmitter[El | str, _Inline]):
    """Inline HTML tags as rich elements (the walk itself is inline_html.walk, as classic)."""

    def node(self, node: SyntaxTreeNode, ctx: _Inline) -> list[El | str]:
        return _inline_node(node, ctx)

    def inside(self, base: _Inline, open_tags: Sequence[OpenTag]) -> _Inline:
        depth = base.depth + sum(1 for o in open_tags if o.tag)
        in_link = base.in_link or any(o.tag == "a" for o in open_tags)
        in_code = base.in_code or any(o.tag == "code" for o in open_tags)
        return _Inline(depth, in_link, in_code)

    def decide(self, href: str) -> LinkDecision:
        return _decide(href)

    def may_format(self, ctx: _Inline) -> bool:
        return ctx.depth <= MAX_DEPTH - 2  # room for a link and a line break below it

    def line_break(self, ctx: _Inline) -> list[El | str]:
        return [El("br") if ctx.depth <= MAX_DEPTH else " "]

    def media(self, tag: HtmlTag, ctx: _Inline) -> list[El | str]:
        return _media_link(media_src(tag), media_label(tag), ctx)

    def visible(self, inner: list[El | str]) -> bool:
        return _visible(inner)

    def format(self, tag: str, inner: list[El | str]) -> list[El | str]:
        return [El(tag, (), inner)]

    def link(
        self, decision: LinkDecision, inner: list[El | str], base: _Inline, ctx: _Inline
    ) -> list[El | str]:
        # the link's own depth: where the <a> element sits, outside the tag being closed
        return _shown_link(decision, inner, _Inline(ctx.depth - 1, base.in_link, base.in_code))


_RICH_HTML = _RichHtml()


def _inline_with_html(nodes: Sequence[SyntaxTreeNode], ctx: _Inline) -> list[El | str]:
    return walk_html(nodes, ctx, _RICH_HTML)


def _inline_of(node: SyntaxTreeNode, depth: int) -> list[El | str]:
    """Inline content of a block node whose element sits at `depth`."""
    inline = node.children[0].children if node.children else []
    return _inline(inline, _Inline(depth + 1))


# ---------------------------------------------------------------- blocks


def _blocks(nodes: Sequence[SyntaxTreeNode], depth: int) -> list[El]:
    """Block elements for `nodes`, each at `depth`."""
    out: list[El] = []
    for node in nodes:
        out.extend(_block(node, depth))
    return out


def _block(node: SyntaxTreeNode, depth: int) -> list[El]:
    kind = node.type
    if kind == "paragraph":
        inner = _inline_of(node, depth)
        return [El("p", (), inner)] if _visible(inner) else []
    if kind == "heading":
        inner = _inline_of(node, depth)
        return [El(node.tag, (), inner)] if _visible(inner) else []
    if kind in ("fence", "code_block"):
        return _code(node)
    if kind == "hr":
        return [El("hr")]
    if kind == "html_block":
        # as classic: raw HTML blocks are dropped, except a block of pictures/videos: links
        ctx = _Inline(depth + 1)
        links: list[El | str] = []
        for tag in media_block(node.content) or []:
            links.extend([El("br")] if links else [])
            links.extend(_media_link(media_src(tag), media_label(tag), ctx))
        return [El("p", (), links)] if _visible(links) else []
    if kind == "blockquote":
        # quote, then a paragraph and its inline content: flatten when that cannot fit
        if depth + 3 > MAX_DEPTH:
            return _blocks(node.children, depth)
        quoted = _blocks(node.children, depth + 1)
        return [El("blockquote", (), list(quoted))] if quoted else []
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, depth)
    if kind == "table":
        return _table(node, depth)
    if node.children:
        return _blocks(node.children, depth)
    return [El("p", (), [node.content])] if node.content.strip() else []


def _code(node: SyntaxTreeNode) -> list[El]:
    code = node.content.rstrip("\n")
    if not code.strip():
        return []
    info = (node.info or "").split(maxsplit=1)
    lang = (
        "".join(c for c in info[0] if c.isascii() and (c.isalnum() or c in "_+#.-"))[:32]
        if info
        else ""
    )
    if lang:
        return [El("pre", (), [El("code", (("class", f"language-{lang}"),), [code])])]
    return [El("pre", (), [code])]


def _list(node: SyntaxTreeNode, depth: int) -> list[El]:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    # list, item, paragraph, then inline content: flatten into paragraphs when that cannot fit
    if depth + 4 > MAX_DEPTH:
        return _flat_list(node, depth, ordered, start)
    items: list[El] = []
    skipped = False
    for index, item in enumerate(node.children):
        li = _list_item(item, depth + 1)
        if li is None:
            skipped = True
            continue
        if ordered and skipped:  # an empty item is left out: keep the numbers right
            li.attrs = (("value", str(start + index)),)
            skipped = False
        items.append(li)
    if not items:
        return []
    attrs = (("start", str(start)),) if ordered and start != 1 else ()
    return [El("ol" if ordered else "ul", attrs, list(items))]


def _list_item(item: SyntaxTreeNode, depth: int) -> El | None:
    children = item.children
    if len(children) == 1 and children[0].type == "paragraph" and children[0].hidden:
        inner = _inline_of(children[0], depth)  # a tight item: inline content directly
        return El("li", (), inner) if _visible(inner) else None
    blocks = _blocks(children, depth + 1)
    return El("li", (), list(blocks)) if blocks else None


def _flat_list(node: SyntaxTreeNode, depth: int, ordered: bool, start: int) -> list[El]:
    out: list[El] = []
    for index, item in enumerate(node.children):
        marker = f"{start + index}. " if ordered else BULLET
        first = True
        for block in _blocks(item.children, depth):
            if first and block.tag == "p":
                block.children.insert(0, marker)
                first = False
            out.append(block)
    return out


def _table(node: SyntaxTreeNode, depth: int) -> list[El]:
    rows: list[list[SyntaxTreeNode]] = [
        tr.children for part in node.children for tr in part.children
    ]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if width > MAX_COLUMNS or depth + 4 > MAX_DEPTH:
        return _table_pre(node)
    out: list[El | str] = []
    for row in rows:
        cells: list[El | str] = []
        for cell in row + [None] * (width - len(row)):
            inner = _inline_of(cell, depth + 2) if cell is not None else []
            if not _visible(inner):
                inner = ["\u00a0"]  # an empty cell: safe side, see the module docstring
            align = str(cell.attrs.get("style", "")).removeprefix("text-align:") if cell else ""
            attrs = (("align", align),) if align in ("left", "center", "right") else ()
            cells.append(El(cell.tag if cell is not None else "td", attrs, inner))
        out.append(El("tr", (), cells))
    return [El("table", (("bordered", None),), out)]


def _table_pre(node: SyntaxTreeNode) -> list[El]:
    """Wider than a rich table may be: a monospace block as classic, its links after it."""
    links: list[tuple[str, str]] = []
    rows: list[list[str]] = []
    aligns: list[str] = []
    for part in node.children:
        for tr in part.children:
            row = []
            for cell in tr.children:
                inline = cell.children[0].children if cell.children else []
                row.append(_WS_RE.sub(" ", _plain(inline, links)).strip())
                if part.type == "thead":
                    aligns.append(str(cell.attrs.get("style", "")).removeprefix("text-align:"))
            rows.append(row)
    out = [El("pre", (), ["\n".join(_table_lines(rows, aligns))])]
    if links:
        out.append(
            El(
                "ul",
                (),
                [El("li", (), [El("a", (("href", href),), [text])]) for text, href in links],
            )
        )
    return out


# ---------------------------------------------------------------- the digest


def header_blocks(digest: Digest) -> list[El]:
    """Cover photo, title, date and hashtags, summary: the top of the first rich message."""
    out: list[El] = []
    cover = (digest.cover_image or "").strip()
    if cover.lower().startswith(("http://", "https://")) and safe_href(cover):
        img = El("img", (("src", cover),))
        title = " ".join(digest.title.split())
        if title and len(title) <= CAPTION_MAX:
            out.append(El("figure", (), [img, El("figcaption", (), [title])]))
        else:
            out.append(img)
    out.append(El("h1", (), [digest.title.strip() or digest.id]))
    tags = " ".join(t for t in (hashtag(tag) for tag in digest.tags) if t)
    meta: list[El | str] = [digest.date.isoformat()]
    if tags:
        meta += [El("br"), tags]
    out.append(El("p", (), meta))
    if digest.summary and digest.summary.strip():
        root = SyntaxTreeNode(parser().parse(digest.summary.strip()))
        out.extend(_blocks(root.children, 1))
    return out


def render_rich(digest: Digest) -> list[RichSection]:
    """The header (with any text before the first `##`), then one RichSection per `##`."""
    root = SyntaxTreeNode(parser().parse(digest.body))
    sections = [RichSection(None, header_blocks(digest))]
    for node in root.children:
        if node.type == "heading" and node.tag == "h2":
            inner = _inline_of(node, 1)
            title = _WS_RE.sub(
                " ", "".join(x.text() if isinstance(x, El) else x for x in inner)
            ).strip()
            sections.append(RichSection(title, [El("h2", (), inner)] if _visible(inner) else []))
            continue
        if (
            node.type == "heading"
            and node.tag == "h1"
            and node.children
            and _same_title(_plain(node.children[0].children, []), digest.title)
        ):
            continue  # the title is already the header's heading
        sections[-1].blocks.extend(_block(node, 1))
    return sections


__all__ = ["El", "RichSection", "header_blocks", "render_rich"]
