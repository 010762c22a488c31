"""Plain-text items of a digest, for the search index. Pure: no I/O.

An item is a `###` (or deeper) heading with its content up to the next heading; blocks of a
`##` section that are not under such a heading (top-level list items, paragraphs, tables,
quotes, code) each form an item of their own. Text comes from markdown-it-py tokens, so markup,
link targets and raw HTML never reach the index.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.digest.links import safe_href
from bot.digest.markdown import parser
from bot.digest.model import Digest
from bot.textcut import truncate

_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{2,}")
TITLE_MAX = 120


@dataclass(frozen=True)
class Item:
    section: str | None  # plain title of the enclosing `##` section (None: before any)
    title: str
    text: str  # plain text; for a heading item the heading comes first
    url: str | None  # first link of the item


# Characters that can start inline markup in CommonMark (+ strikethrough). A line without any of
# them is plain text, so its inline parse can be skipped: that parse is more than half of the
# cost of indexing a digest, and the cold index of a large archive is bound by it.
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]!<>&~]|  \n")
# Two more shapes are common enough to skip markdown-it for (a heading that is one link, a list
# item that starts with a bold run); anything near them falls back to the real parser:
# - exactly `[label](url)`: a plain one-line label, an http(s) URL that markdown-it's
#   normalizeLink leaves unchanged (lower-case host; only characters mdurl does not encode and
#   that parseLinkDestination takes as they are: no `&`, `\\`, `(`, `)`, `<`, `%`, spaces)
_LINK_ONLY = re.compile(
    r"\[([^\\`*_\[\]!<>&~\n]+)\]"
    r"\((https?://[a-z0-9.\-]+(?::[0-9]+)?(?:[/?#][A-Za-z0-9\-._~:/?#@!$*+,;=']*)?)\)"
)
# - `**bold**` then plain text: the run is one line of plain text that starts and ends with a
#   letter or digit (so both `**` are flanking whatever follows; its delimiter runs are exactly
#   2 long as neither side holds a `*`)
_LEAD_STRONG = re.compile(r"\*\*([^\\`*_\[\]!<>&~\n]+)\*\*")
# False: every inline token goes through markdown-it (tests compare the two)
_FAST_PATHS = True


def _parser() -> MarkdownIt:
    # The renderer's dialect (markdown.py); inline parsing runs lazily, per token, only where
    # markup may be (see _parse_inline).
    return parser(lazy_inline=True)


def _text_tokens(out: list[Token], content: str) -> None:
    """Tokens of plain text (no markup character) as markdown-it's newline rule makes them:
    lines joined by soft breaks, one space before a line end and the next line's indent dropped."""
    lines = content.split("\n")
    last = len(lines) - 1
    for n, line in enumerate(lines):
        if n:
            out.append(Token("softbreak", "br", 0))
            line = line.lstrip(" \t")
        if n < last and line.endswith(" "):
            line = line[:-1]
        if line:
            out.append(_text(line))


def _text(content: str, level: int = 0) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token


def _fast_inline(content: str) -> list[Token] | None:
    """markdown-it's inline tokens for the shapes above, None for anything else."""
    if not _INLINE_MARKUP.search(content):
        out: list[Token] = []
        if content:
            _text_tokens(out, content)
        return out
    first = content[0]
    if first == "[":
        match = _LINK_ONLY.fullmatch(content)
        if match is None:
            return None
        return [
            Token("link_open", "a", 1, attrs={"href": match[2]}),
            _text(match[1], 1),
            Token("link_close", "a", -1),
        ]
    if first == "*":
        match = _LEAD_STRONG.match(content)
        if match is None:
            return None
        bold, rest = match[1], content[match.end() :]
        if not (bold[0].isalnum() and bold[-1].isalnum()) or _INLINE_MARKUP.search(rest):
            return None
        tail: list[Token] = []
        _text_tokens(tail, rest)
        if not tail or tail[0].type != "text":
            tail.insert(0, _text(""))  # what is left of the closing `**` (markdown-it keeps it)
        return [
            _text(""),  # what is left of the opening `**`
            Token("strong_open", "strong", 1, markup="**"),
            _text(bold, 1),
            Token("strong_close", "strong", -1, markup="**"),
            *tail,
        ]
    return None


def _parse_inline(token: Token, env: dict) -> None:
    """Inline tokens of `token`: markdown-it's own inline parser unless a fast path applies."""
    # with the core "inline" rule off, markdown-it leaves token.children empty
    children = _fast_inline(token.content) if _FAST_PATHS else None
    if children is None:
        children = []
        md = _parser()
        md.inline.parse(token.content, md, env, children)
    token.children = children


def _inline_text(token: Token) -> tuple[str, str | None]:
    """Plain text of an inline token and its first link (href)."""
    parts: list[str] = []
    url: str | None = None
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak",):
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)  # alt text
        elif kind == "link_open" and url is None:
            href = child.attrGet("href")
            url = safe_href(str(href)) if href else None  # a link the messages carry
        elif kind == "html_inline":
            continue
    return "".join(parts), url


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


class _Builder:
    """Collects the text and first link of one item while tokens stream past."""

    def __init__(self, section: str | None, title: str | None) -> None:
        self.section = section
        self.title = title
        self.lines: list[str] = [title] if title else []
        self.url: str | None = None
        self.first_strong: str | None = None

    def add(self, text: str, url: str | None = None) -> None:
        if text:
            self.lines.append(text)
        if self.url is None and url:
            self.url = url

    def build(self) -> Item | None:
        text = _tidy("\n".join(self.lines))
        if not text:
            return None
        title = self.title or self.first_strong or text.split("\n", 1)[0]
        title = _tidy(title).replace("\n", " ")
        title = truncate(title, TITLE_MAX)
        return Item(self.section, title, text, self.url)


def _lead_strong(token: Token) -> str | None:
    """Text of a leading **bold** or [link] run: the usual 'title' of a list-item news entry."""
    # markdown-it emits an empty text token before a leading `**`
    children = [c for c in token.children or () if not (c.type == "text" and not c.content)]
    if len(children) >= 3 and children[0].type in ("strong_open", "link_open"):
        close = "strong_close" if children[0].type == "strong_open" else "link_close"
        run: list[str] = []
        for child in children[1:]:
            if child.type == close:
                return "".join(run).strip() or None
            if child.type in ("text", "code_inline"):
                run.append(child.content)
    return None


def extract_items(digest: Digest) -> list[Item]:
    """The items of `digest`, in document order."""
    return extract_items_and_sections(digest)[0]


def extract_items_and_sections(digest: Digest) -> tuple[list[Item], list[str]]:
    """Items plus the plain titles of the `##` sections, from one parse (the index needs both)."""
    env: dict = {}
    tokens = _parser().parse(digest.body, env)
    for token in tokens:
        if token.type == "inline":
            _parse_inline(token, env)
    items: list[Item] = []
    sections: list[str] = []
    section: str | None = None
    current: _Builder | None = None  # the open heading item, if any
    block: _Builder | None = None  # the open top-level block item outside a heading item

    def flush(builder: _Builder | None) -> None:
        if builder is not None and (item := builder.build()) is not None:
            items.append(item)

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.level == 0:
            inline = tokens[i + 1]
            text, url = _inline_text(inline)
            text = _tidy(text).replace("\n", " ")
            flush(current)
            flush(block)
            current = block = None
            if tok.tag in ("h1",):
                section = None  # the document title: not an item
            elif tok.tag == "h2":
                section = text or None
                if section:
                    sections.append(section)
            else:
                current = _Builder(section, text)
                current.add("", url)
            i += 3
            continue
        target = current
        if target is None and tok.level == 0 and tok.nesting in (0, 1):
            # a new top-level block outside any heading item starts its own item
            flush(block)
            block = _Builder(section, None)
        if target is None:
            target = block
        if target is not None:
            if tok.type == "inline":
                text, url = _inline_text(tok)
                if target.first_strong is None and not target.lines:
                    target.first_strong = _lead_strong(tok)
                target.add(text, url)
            elif tok.type in ("fence", "code_block"):
                target.add(tok.content)
            elif tok.type == "html_block":
                target.add(html.unescape(_TAG.sub(" ", tok.content)))
        if current is None:
            # a top-level list is not one item: each of its direct list items is one
            if tok.type in ("bullet_list_open", "ordered_list_open") and tok.level == 0:
                block = None
            elif tok.type == "list_item_open" and tok.level == 1:
                block = _Builder(section, None)
            elif tok.type == "list_item_close" and tok.level == 1:
                flush(block)
                block = None
        i += 1
    flush(current)
    flush(block)
    return items, sections


def plain_text(markdown: str) -> str:
    """The plain text of a markdown fragment (the front-matter summary), one block a line."""
    env: dict = {}
    lines: list[str] = []
    for token in _parser().parse(markdown, env):
        if token.type == "inline":
            _parse_inline(token, env)
            lines.append(_inline_text(token)[0])
        elif token.type in ("fence", "code_block"):
            lines.append(token.content)
    return _tidy("\n".join(lines))


def head_text(digest: Digest) -> str:
    """What search finds for the digest itself: title, summary and its seo/keywords lists."""
    parts = [digest.title]
    if digest.summary:
        parts.append(plain_text(digest.summary))
    if digest.keywords:
        parts.append(" ".join(digest.keywords))
    return "\n".join(part for part in parts if part)
