"""Digest markdown -> Telegram HTML, as blocks per `##` section.

markdown-it-py parses (CommonMark + tables + strikethrough + the CJK-friendly emphasis plugin, so
`**要点：**后文` closes). The syntax tree is then rendered the markdown-it way, one small rule per
node type, but into the Telegram HTML subset (no p/br/ul/h tags) and into *blocks*: the units the
splitter prefers to cut between (a paragraph, one list item, a heading line, a code block, a table,
a blockquote, a rule).

Every block string ends with the separator that follows it ("\n" between items of one list,
"\n\n" otherwise), so `"".join(blocks)` is the section body; the splitter strips the trailing
separator of each message.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown_it.tree import SyntaxTreeNode
from wcwidth import width as display_width

from bot.digest.inline_html import (
    BREAK_TAGS,
    MEDIA_TAGS,
    HtmlTag,
    InlineEmitter,
    OpenTag,
    media_block,
    media_label,
    media_src,
)
from bot.digest.inline_html import parse_tag as parse_html_tag
from bot.digest.inline_html import walk as walk_html
from bot.digest.links import LinkDecision, decide, safe_href
from bot.digest.markdown import parser
from bot.digest.model import Digest
from bot.digest.tghtml import html_to_plain

RULE_LINE = "──────────"
BULLET = "• "
INDENT = "   "  # per nesting level of lists

_LANG_RE = re.compile(r"[^A-Za-z0-9_+#.-]")
_WS_RE = re.compile(r"\s+")
_BOLD_RE = re.compile(r"</?b>")


@dataclass(frozen=True)
class RenderedSection:
    title_html: str  # inline HTML of the `##` heading (may hold links/emphasis)
    title_text: str  # the same as plain text
    blocks: list[str]


@dataclass(frozen=True)
class RenderedDigest:
    preamble: list[str]  # blocks before the first `##` (title H1 dropped)
    sections: list[RenderedSection]

    def all_blocks(self) -> list[str]:
        out = list(self.preamble)
        for s in self.sections:
            out.extend(s.blocks)
        return out


# ---------------------------------------------------------------- inline rules


@dataclass
class _Ctx:
    in_link: bool = False
    in_quote: bool = False
    depth: int = 0  # list nesting
    in_code: bool = False  # inside an inline-HTML <code>: text only (code holds no entities)


InlineRule = Callable[[SyntaxTreeNode, _Ctx], str]


def _inline(nodes: Sequence[SyntaxTreeNode], ctx: _Ctx) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node.type  # a computed property in markdown-it: read it once
        if kind == "html_inline":  # rare: the run is rendered again, keeping tags balanced
            return _inline_with_html(nodes, ctx)
        out.append(_INLINE_RULES.get(kind, _inline_default)(node, ctx))
    return "".join(out)


def _wrap(tag: str, inner: str) -> str:
    # An empty entity is refused by Telegram, so a tag with nothing inside is dropped.
    return f"<{tag}>{inner}</{tag}>" if inner else ""


def _inline_default(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    return _inline(node.children, ctx) if node.children else html.escape(node.content, quote=False)


def _text(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    return html.escape(node.content, quote=False)


def _break(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    return "\n"  # Telegram does not reflow text: keep the author's lines


def _code_inline(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    # A Telegram link may hold formatting but not code: inside a link, code is plain text.
    # Blank code would be an entity over whitespace only, which Telegram drops anyway.
    if ctx.in_link or ctx.in_code or not node.content.strip():
        return html.escape(node.content, quote=False)
    return _wrap("code", html.escape(node.content, quote=False))


def _emphasis(tag: str) -> InlineRule:
    def rule(node: SyntaxTreeNode, ctx: _Ctx) -> str:
        inner = _inline(node.children, ctx)
        return inner if ctx.in_code else _wrap(tag, inner)

    return rule


def shown_link(decision: LinkDecision, inner: str) -> str:
    """A link as a message shows it (links.py decides): `inner` is its rendered text."""
    text = html_to_plain(inner).strip()
    if decision.kind == "link":
        assert decision.href is not None
        if not text:  # a link needs visible text: the URL itself
            inner += html.escape(decision.href, quote=False)
        return f'<a href="{html.escape(decision.href)}">{inner}</a>'
    shown = (
        decision.address
        if decision.kind == "address"
        else (decision.href if decision.kind == "text_and_url" else None)
    )
    if shown is None or text == shown:
        return inner
    return (
        f"{inner} ({html.escape(shown, quote=False)})" if text else html.escape(shown, quote=False)
    )


def _link(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    if ctx.in_link or ctx.in_code:  # Telegram links cannot nest
        return _inline(node.children, ctx)
    decision = decide(str(node.attrs.get("href", "")))
    inner_ctx = _Ctx(in_link=decision.kind == "link")
    return shown_link(decision, _inline(node.children, inner_ctx))


def _image(node: SyntaxTreeNode, ctx: _Ctx) -> str:
    alt = _plain(node.children, []).strip() or "image"
    return _media_link(str(node.attrs.get("src", "")), alt, ctx)


def _media_link(src: str, label: str, ctx: _Ctx) -> str:
    # A picture cannot sit inside a text message: it becomes a link to the media.
    if ctx.in_link or ctx.in_code:
        return html.escape(label, quote=False)
    return shown_link(decide(src), html.escape(label, quote=False))


_INLINE_RULES: dict[str, InlineRule] = {
    "text": _text,
    "softbreak": _break,
    "hardbreak": _break,
    "code_inline": _code_inline,
    "strong": _emphasis("b"),
    "em": _emphasis("i"),
    "s": _emphasis("s"),
    "link": _link,
    "image": _image,
    "html_inline": lambda node, ctx: "",  # only reached through _inline_with_html
}


class _ClassicHtml(InlineEmitter[str, _Ctx]):
    """Inline HTML tags as Telegram HTML (the walk itself is inline_html.walk)."""

    def node(self, node: SyntaxTreeNode, ctx: _Ctx) -> list[str]:
        return [_INLINE_RULES.get(node.type, _inline_default)(node, ctx)]

    def inside(self, base: _Ctx, open_tags: Sequence[OpenTag]) -> _Ctx:
        in_link = base.in_link or any(o.tag == "a" for o in open_tags)
        in_code = base.in_code or any(o.tag == "code" for o in open_tags)
        if in_link == base.in_link and in_code == base.in_code:
            return base
        return _Ctx(in_link=in_link, in_quote=base.in_quote, depth=base.depth, in_code=in_code)

    def decide(self, href: str) -> LinkDecision:
        return decide(href)

    def line_break(self, ctx: _Ctx) -> list[str]:
        return ["\n"]

    def media(self, tag: HtmlTag, ctx: _Ctx) -> list[str]:
        return [_media_link(media_src(tag), media_label(tag), ctx)]

    def visible(self, inner: list[str]) -> bool:
        return bool(html_to_plain("".join(inner)).strip())

    def format(self, tag: str, inner: list[str]) -> list[str]:
        return [f"<{tag}>{''.join(inner)}</{tag}>"]

    def link(self, decision: LinkDecision, inner: list[str], base: _Ctx, ctx: _Ctx) -> list[str]:
        return [shown_link(decision, "".join(inner))]


_CLASSIC_HTML = _ClassicHtml()


def _inline_with_html(nodes: Sequence[SyntaxTreeNode], ctx: _Ctx) -> str:
    return "".join(walk_html(nodes, ctx, _CLASSIC_HTML))


def _plain(nodes: Sequence[SyntaxTreeNode], links: list[tuple[str, str]]) -> str:
    """Plain text of inline nodes (for <pre> tables, titles, alt text); links collected."""
    out: list[str] = []
    for n in nodes:
        if n.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif n.type == "html_inline":
            tag = parse_html_tag(n.content)
            if tag is not None and not tag.closing and tag.name in BREAK_TAGS:
                out.append(" ")
            elif tag is not None and not tag.closing and tag.name in MEDIA_TAGS:
                label, href = media_label(tag), safe_href(media_src(tag))
                if href is not None:
                    links.append((label, href))
                out.append(label)
        elif n.type in ("link", "image"):
            text = (
                _plain(n.children, links)
                if n.type == "link"
                else (_plain(n.children, []).strip() or "image")
            )
            href = safe_href(str(n.attrs.get("href" if n.type == "link" else "src", "")))
            if href is not None:
                links.append((text.strip() or href, href))
            out.append(text)
        elif n.children:
            out.append(_plain(n.children, links))
        else:
            out.append(n.content)
    return "".join(out)


# ---------------------------------------------------------------- block rules


@dataclass
class _Block:
    html: str
    group: int | None = None  # items of one top-level list share a group: joined by "\n"


BlockRule = Callable[[SyntaxTreeNode, _Ctx], list[_Block]]
_group_counter = itertools.count(1)  # ids only need to differ between lists


def _blocks(nodes: Sequence[SyntaxTreeNode], ctx: _Ctx) -> list[_Block]:
    out: list[_Block] = []
    for n in nodes:
        out.extend(_BLOCK_RULES.get(n.type, _block_default)(n, ctx))
    return [b for b in out if b.html.strip()]


def _join(blocks: list[_Block]) -> str:
    """Blocks as one string, each followed by its separator (see the module docstring)."""
    return "".join(_finish(blocks))


def _finish(blocks: list[_Block]) -> list[str]:
    out = []
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        tight = b.group is not None and nxt is not None and nxt.group == b.group
        out.append(b.html + ("\n" if tight else "\n\n"))
    return out


def _block_default(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    if node.children:
        return _blocks(node.children, ctx)
    return [_Block(html.escape(node.content, quote=False))] if node.content.strip() else []


def _paragraph(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    return [_Block(_inline(node.children[0].children, ctx))] if node.children else []


def _heading(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    inner = _inline(node.children[0].children, ctx) if node.children else ""
    # The line is bold as a whole: `### **x**` must not nest bold in bold.
    return [_Block(_wrap("b", _BOLD_RE.sub("", inner).strip()))]


def _code(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    code = node.content.rstrip("\n")
    if not code.strip():
        return []
    lang = _LANG_RE.sub("", (node.info or "").split(maxsplit=1)[0]) if node.info.strip() else ""
    if lang:
        return [
            _Block(
                f'<pre><code class="language-{lang}">{html.escape(code, quote=False)}</code></pre>'
            )
        ]
    return [_Block(f"<pre>{html.escape(code, quote=False)}</pre>")]


def _hr(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    return [_Block(RULE_LINE)]


def _html_block(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    # Raw HTML blocks (cards, embeds, comments) have no Telegram equivalent and are dropped
    # (`digestbot check` warns), except a block of pictures/videos: links to the media.
    media = media_block(node.content) or []
    links = [_media_link(media_src(tag), media_label(tag), ctx) for tag in media]
    return [_Block("\n".join(links))] if links else []


def _blockquote(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    inner_ctx = _Ctx(in_quote=True)
    inner = _join(_blocks(node.children, inner_ctx)).rstrip()
    if not inner.strip():
        return []
    # Telegram blockquotes cannot nest: an inner quote is rendered as its content.
    return [_Block(inner if ctx.in_quote else f"<blockquote>{inner}</blockquote>")]


def _list(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    group = next(_group_counter)
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    out: list[_Block] = []
    for index, item in enumerate(node.children):
        marker = f"{start + index}{item.markup or '.'} " if ordered else BULLET
        out.extend(_list_item(item, ctx, marker, group))
    return out


def _list_item(item: SyntaxTreeNode, ctx: _Ctx, marker: str, group: int) -> list[_Block]:
    indent = INDENT * ctx.depth
    nested_ctx = _Ctx(in_quote=ctx.in_quote, depth=ctx.depth + 1)
    own: list[str] = []
    nested: list[_Block] = []
    for child in item.children:
        if child.type in ("bullet_list", "ordered_list"):
            nested.extend(_list(child, nested_ctx))
        else:
            own.extend(b.html for b in _blocks([child], nested_ctx))
    first = indent + marker + (own[0] if own else "")
    rest = [indent + INDENT + html for html in own[1:]]
    head = _Block("\n".join([first, *rest]), group)
    # Nested items are their own blocks (cut points) but stay in this list's group.
    return [head] + [_Block(b.html, group) for b in nested]


def _table(node: SyntaxTreeNode, ctx: _Ctx) -> list[_Block]:
    links: list[tuple[str, str]] = []
    rows: list[list[str]] = []
    aligns: list[str] = []
    for section in node.children:  # thead, tbody
        for tr in section.children:
            row = []
            for cell in tr.children:
                inline = cell.children[0].children if cell.children else []
                row.append(_WS_RE.sub(" ", _plain(inline, links)).strip())
                if section.type == "thead":
                    style = str(cell.attrs.get("style", ""))
                    aligns.append(style.removeprefix("text-align:"))
            rows.append(row)
    lines = _table_lines(rows, aligns)
    table = f"<pre>{html.escape(chr(10).join(lines), quote=False)}</pre>"
    # <pre> cannot hold links; they follow the table so no URL is lost.
    for text, href in links:
        table += f'\n{BULLET}<a href="{html.escape(href)}">{html.escape(text, quote=False)}</a>'
    return [_Block(table)]


def _table_lines(rows: list[list[str]], aligns: list[str]) -> list[str]:
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    # wcwidth: CJK and emoji take two monospace cells, so plain len() would misalign columns.
    widths = [max(max(display_width(r[c]), 0) for r in rows) for c in range(ncols)]

    def pad(text: str, col: int) -> str:
        gap = widths[col] - max(display_width(text), 0)
        align = aligns[col] if col < len(aligns) else ""
        if align == "right":
            return " " * gap + text
        if align == "center":
            return " " * (gap // 2) + text + " " * (gap - gap // 2)
        return text + " " * gap

    lines = [" | ".join(pad(cell, c) for c, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


_BLOCK_RULES: dict[str, BlockRule] = {
    "paragraph": _paragraph,
    "heading": _heading,
    "fence": _code,
    "code_block": _code,
    "hr": _hr,
    "html_block": _html_block,
    "blockquote": _blockquote,
    "bullet_list": _list,
    "ordered_list": _list,
    "table": _table,
}


# ---------------------------------------------------------------- document level


def _same_title(a: str, b: str) -> bool:
    return _WS_RE.sub("", a).casefold() == _WS_RE.sub("", b).casefold()


def _trim_rules(blocks: list[str]) -> list[str]:
    # A rule at the very start/end of a section only separated it from the next `##`; each
    # section is its own message, so the line would be noise.
    while blocks and blocks[-1].strip() == RULE_LINE:
        blocks.pop()
    while blocks and blocks[0].strip() == RULE_LINE:
        blocks.pop(0)
    return blocks


def render_markdown(body: str, title: str | None = None) -> RenderedDigest:
    """Render a digest body. An H1 equal to `title` (ignoring whitespace and case) is dropped."""
    root = SyntaxTreeNode(parser().parse(body))
    ctx = _Ctx()
    preamble: list[_Block] = []
    sections: list[tuple[SyntaxTreeNode, list[_Block]]] = []
    current = preamble
    for node in root.children:
        if node.type == "heading" and node.tag == "h2":
            current = []
            sections.append((node, current))
            continue
        if (
            node.type == "heading"
            and node.tag == "h1"
            and title is not None
            and node.children
            and _same_title(_plain(node.children[0].children, []), title)
        ):
            continue
        current.extend(_blocks([node], ctx))
    rendered = []
    for heading, blocks in sections:
        inline = heading.children[0].children if heading.children else []
        title_html = _inline(inline, _Ctx()).strip()
        title_text = _WS_RE.sub(" ", html_to_plain(title_html)).strip()
        rendered.append(RenderedSection(title_html, title_text, _trim_rules(_finish(blocks))))
    return RenderedDigest(_trim_rules(_finish(preamble)), rendered)


def render_blocks(markdown: str) -> list[str]:
    """A markdown fragment (the front-matter summary) as blocks; every heading a bold line."""
    root = SyntaxTreeNode(parser().parse(markdown))
    return _trim_rules(_finish(_blocks(root.children, _Ctx())))


def render_digest(digest: Digest) -> RenderedDigest:
    return render_markdown(digest.body, digest.title)
