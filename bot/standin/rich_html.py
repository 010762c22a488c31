"""A strict validator of Telegram's Rich HTML (``InputRichMessage.html``, Bot API 10.1+).

The referee of the fake server's ``sendRichMessage`` / ``editMessageText(rich_message=...)``. Like
``telegram_html.py`` it imports nothing from ``bot/``: it judges the bot's rich renderer, so it
must not share code with it. Source of every rule: ../shared/telegram-rich-messages.md (§2 tags,
§4 limits, §4.4 errors). Where that file marks a point unsettled, this module takes the side that
refuses (a message accepted here must be one Telegram accepts):

* only the tags and attributes of the 10.3 inventory (§2.1); ``<thead>``/``<tbody>``/``<div>``/
  ``<span>`` and unknown attributes are refused (§8 q4); ``<th>`` takes the ``<td>`` attributes.
* bare text at the top level is refused (§2.2: "unverified"); so is mixing inline content and
  blocks inside one ``<li>``/``<blockquote>`` (either inline content or blocks, not both).
* media (img, video, audio, tg-document, tg-map) only as blocks: at the top level or directly
  in figure, li, blockquote, details, tg-collage/tg-slideshow (img/video only); never inside a
  paragraph, a heading or a table cell. Their URLs are http(s) with a host, or ``tg://…?id=X``
  naming an ``InputRichMessage.media`` entry.
* table cells hold inline content only; ``<tr>`` only directly in ``<table>``; <= 20 columns.
* only the named entities of §2.2; a bare ``&`` or ``<`` in text is refused.
* empty content is refused: the whole message, and any block without visible text (TDLib's
  ``Block must be non-empty`` for explicit blocks; assumed for HTML too).
* limits (§4.1), counted on the safe side: text = code points of the *source* string (markup
  included, so always >= the rendered text); blocks = every block element at any depth,
  including each list, list item, table and table row; depth = nesting of elements of any kind
  (the root's children are at depth 1); media = media elements.

Errors are ``RichHTMLError`` whose ``str`` is a full Bot API description, ``Bad Request: …``
(TDLib wording for envelope problems, ``RICH_MESSAGE_*`` codes for content, §4.4), naming the
tag and the character offset of the fault.

Why ``html.parser``: it tokenises tags, attributes and character references reliably; its
leniency (unbalanced tags, unknown entities) is closed here by an explicit element stack and a
pre-scan of every ``&``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

MAX_TEXT = 32768
MAX_BLOCKS = 500
MAX_DEPTH = 16
MAX_MEDIA = 50
MAX_COLUMNS = 20

NAMED_ENTITIES = {
    "lt": "<",
    "gt": ">",
    "amp": "&",
    "quot": '"',
    "apos": "'",
    "nbsp": "\u00a0",
    "hellip": "\u2026",
    "mdash": "\u2014",
    "ndash": "\u2013",
    "lsquo": "\u2018",
    "rsquo": "\u2019",
    "ldquo": "\u201c",
    "rdquo": "\u201d",
}

_INLINE_FORMAT = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "mark": "marked",
    "sub": "subscript",
    "sup": "superscript",
    "tg-spoiler": "spoiler",
}
INLINE_TAGS = frozenset(_INLINE_FORMAT) | {
    "a",
    "tg-reference",
    "tg-emoji",
    "tg-time",
    "tg-math",
    "br",
    "tg-button",
}
TEXT_BLOCKS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "footer", "tg-math-block"})
MEDIA_TAGS = frozenset({"img", "video", "audio", "tg-document", "tg-map"})
# Elements counted as blocks (§4.1: nested blocks, list items, table rows, quotes, details).
BLOCK_TAGS = (
    TEXT_BLOCKS
    | MEDIA_TAGS
    | {
        "hr",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "aside",
        "figure",
        "table",
        "tr",
        "details",
        "tg-collage",
        "tg-slideshow",
        "tg-button-row",
    }
)
VOID_TAGS = frozenset({"br", "hr", "img", "input", "tg-map"})

_BARE = None  # marker: a bare attribute (`<table bordered>`)
_ALIGN = ("left", "center", "right")
_CELL_ATTRS = {
    "colspan": "int",
    "rowspan": "int",
    "align": _ALIGN,
    "valign": ("top", "middle", "bottom"),
}
_BUTTON_TYPES = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "disabled",
)
# tag -> {attribute: "any" | "int" | "bare" | "url" | "media" | tuple of allowed values}
ATTRIBUTES: dict[str, dict[str, Any]] = {
    **{tag: {} for tag in _INLINE_FORMAT if tag != "code"},
    "code": {"class": "language"},  # only inside <pre>; checked there
    "a": {"href": "href", "name": "any"},
    "tg-reference": {"name": "any"},
    "tg-emoji": {"emoji-id": "int"},
    "tg-time": {"unix": "int", "format": "any"},
    "tg-math": {},
    "br": {},
    "tg-button": {
        "type": _BUTTON_TYPES,
        "style": ("success", "danger", "primary", "link"),
        "url": "any",
        "data": "any",
        "query": "any",
        "text": "any",
        "forward-text": "any",
        "request-write-access": "bare",
        "allow-user-chats": "bare",
        "allow-bot-chats": "bare",
        "allow-group-chats": "bare",
        "allow-channel-chats": "bare",
    },
    **{f"h{n}": {} for n in range(1, 7)},
    "p": {},
    "footer": {},
    "hr": {},
    "pre": {},
    "tg-math-block": {},
    "ul": {},
    "ol": {"start": "int", "type": ("a", "A", "i", "I", "1"), "reversed": "bare"},
    "li": {"value": "int", "type": ("a", "A", "i", "I", "1")},
    "input": {"type": ("checkbox",), "checked": "bare"},
    "blockquote": {"expandable": "bare", "collapsed": "bare"},  # §8 q5: accept both
    "cite": {},
    "aside": {},
    "figure": {},
    "figcaption": {},
    "img": {"src": "media", "alt": "any", "tg-spoiler": "bare"},
    "video": {"src": "media", "tg-spoiler": "bare"},
    "audio": {"src": "media"},
    "tg-document": {"src": "media"},
    "tg-map": {"lat": "float", "long": "float", "zoom": "int"},
    "tg-collage": {},
    "tg-slideshow": {},
    "table": {"bordered": "bare", "striped": "bare", "compact": "bare"},
    "caption": {},
    "tr": {},
    "th": dict(_CELL_ATTRS),
    "td": dict(_CELL_ATTRS),
    "details": {"open": "bare"},
    "summary": {},
    "tg-button-row": {"align": _ALIGN},
}
_MEDIA_PARENTS = frozenset(
    {"#root", "figure", "li", "blockquote", "details", "tg-collage", "tg-slideshow"}
)
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7});|#[xX]([0-9a-fA-F]{1,6});|([A-Za-z][A-Za-z0-9]*);)?")
_LANGUAGE_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,32}")
_MEDIA_ID_RE = re.compile(r"tg://(photo|video|audio|document)\?id=([A-Za-z0-9_-]{1,64})")
_WS_RE = re.compile(r"[ \t\n\r\f]+")
_HTML_SPACE = " \t\n\r\f"  # what HTML collapses; a no-break space is content
_EMOJI_SRC_RE = re.compile(r"tg://emoji\?id=[0-9]{1,20}")


class RichHTMLError(ValueError):
    """A refused rich message; ``str(err)`` is the Bot API description (``Bad Request: …``)."""


def _fail(code: str, detail: str, offset: int | None = None) -> RichHTMLError:
    where = f" at offset {offset}" if offset is not None else ""
    return RichHTMLError(f"Bad Request: {code}: {detail}{where}")


@dataclass
class Element:
    tag: str  # "#root" for the document
    attrs: dict[str, str | None]
    offset: int  # character offset of the start tag in the source
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    def text(self) -> str:
        """Visible text, whitespace collapsed (inside <pre> kept)."""
        out: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child if self.tag in ("pre", "code") else _WS_RE.sub(" ", child))
            elif child.tag == "br":
                out.append("\n")
            elif child.tag == "img":
                out.append(child.attrs.get("alt") or "")
            else:
                out.append(child.text())
        return "".join(out)


@dataclass(frozen=True)
class RichCounts:
    text: int  # code points of the source
    blocks: int
    depth: int
    media: int


@dataclass(frozen=True)
class RichParse:
    """What the fake server stores for an accepted rich message."""

    blocks: list[dict[str, Any]]  # RichBlock dicts (shape: see bot/standin/__init__.py)
    plain_text: str  # one line per paragraph/heading/list item/table row, for tests to read
    counts: RichCounts


class _TreeBuilder(HTMLParser):
    """Builds the element tree; every structural fault raises RichHTMLError."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.root = Element("#root", {}, 0)
        self.current = self.root
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        offset = self._offset()
        raw = self.get_starttag_text() or ""
        if tag not in ATTRIBUTES:
            raise _fail("RICH_MESSAGE_TAG_INVALID", f"unsupported tag <{tag}>", offset)
        names = [name for name, _ in attrs]
        if len(set(names)) != len(names):
            raise _fail("RICH_MESSAGE_ATTRIBUTE_INVALID", f"repeated attribute in <{tag}>", offset)
        element = Element(tag, dict(attrs), offset, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID_TAGS and not raw.rstrip().endswith("/>"):
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<br/>`, `<img …/>`: no children, whatever the tag
        saved = self.current
        self.handle_starttag(tag, attrs)
        self.current = saved

    def handle_endtag(self, tag: str) -> None:
        offset = self._offset()
        if tag in VOID_TAGS:
            if tag not in ATTRIBUTES:
                raise _fail("RICH_MESSAGE_TAG_INVALID", f"unsupported tag </{tag}>", offset)
            return  # `<br></br>`-style closers of void tags carry nothing
        if self.current.tag != tag:
            expected = f"</{self.current.tag}>" if self.current.tag != "#root" else "no end tag"
            raise _fail(
                "RICH_MESSAGE_TAG_INVALID", f"unexpected </{tag}> (expected {expected})", offset
            )
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise _fail("RICH_MESSAGE_INVALID", "unescaped '<' in text", self._offset())
        self.current.children.append(data)

    def handle_entityref(self, name: str) -> None:  # checked by the pre-scan; decode here
        self.current.children.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self.current.children.append(chr(code))

    def handle_comment(self, data: str) -> None:
        raise _fail("RICH_MESSAGE_INVALID", "comments are not supported", self._offset())

    def handle_decl(self, decl: str) -> None:
        raise _fail("RICH_MESSAGE_INVALID", "declarations are not supported", self._offset())

    def handle_pi(self, data: str) -> None:
        raise _fail(
            "RICH_MESSAGE_INVALID", "processing instructions are not supported", self._offset()
        )

    def unknown_decl(self, data: str) -> None:
        raise _fail("RICH_MESSAGE_INVALID", "CDATA is not supported", self._offset())


def _check_entities(source: str) -> None:
    for m in _ENTITY_RE.finditer(source):
        if m.group(0) == "&":
            raise _fail("RICH_MESSAGE_ENTITY_INVALID", "unescaped '&'", m.start())
        if m.group(3) is not None and m.group(3) not in NAMED_ENTITIES:
            raise _fail(
                "RICH_MESSAGE_ENTITY_INVALID", f"unsupported named entity &{m.group(3)};", m.start()
            )
        number = m.group(1) or m.group(2)
        if number is not None:
            code = int(number, 10 if m.group(1) else 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _fail(
                    "RICH_MESSAGE_ENTITY_INVALID",
                    f"invalid character reference {m.group(0)}",
                    m.start(),
                )


def parse_tree(source: str) -> Element:
    """The element tree of a Rich HTML string; structure faults raise RichHTMLError."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in source):
        raise RichHTMLError("Bad Request: strings must be encoded in UTF-8")
    _check_entities(source)
    builder = _TreeBuilder(source)
    builder.feed(source)
    builder.close()
    if builder.rawdata:  # an unfinished `<tag` at the end
        raise _fail("RICH_MESSAGE_INVALID", "unterminated tag", len(source) - len(builder.rawdata))
    if builder.current is not builder.root:
        open_el = builder.current
        raise _fail("RICH_MESSAGE_TAG_INVALID", f"<{open_el.tag}> is never closed", open_el.offset)
    return builder.root


# ---------------------------------------------------------------- structure rules


def _is_blank(child: Element | str) -> bool:
    return isinstance(child, str) and not child.strip(_HTML_SPACE)


def _stray_child(el: Element, allowed: tuple[str, ...]) -> Element | str | None:
    """The first child of `el` that is neither blank text nor one of the `allowed` elements."""
    return next(
        (
            c
            for c in el.children
            if not _is_blank(c) and (isinstance(c, str) or c.tag not in allowed)
        ),
        None,
    )


def _named(child: Element | str) -> str:
    """A child as an error message names it."""
    return "text" if isinstance(child, str) else f"<{child.tag}>"


def _check_attrs(el: Element, media_ids: frozenset[str]) -> None:
    allowed = ATTRIBUTES[el.tag]
    for name, value in el.attrs.items():
        kind = allowed.get(name)
        if kind is None:
            raise _fail(
                "RICH_MESSAGE_ATTRIBUTE_INVALID",
                f"unsupported attribute {name!r} in <{el.tag}>",
                el.offset,
            )
        bad = False
        if kind == "bare":
            bad = value not in (None, "", name)
        elif value is None:
            bad = True
        elif kind == "int":
            bad = not re.fullmatch(r"-?[0-9]{1,19}", value)
        elif kind == "float":
            bad = not re.fullmatch(r"-?[0-9]{1,3}(\.[0-9]+)?", value)
        elif kind == "href":
            bad = not _good_href(value)
        elif kind == "media":
            bad = not (
                _good_media(value, media_ids)
                or (el.tag == "img" and _EMOJI_SRC_RE.fullmatch(value))
            )
        elif kind == "language":
            bad = not _LANGUAGE_RE.fullmatch(value)
        elif isinstance(kind, tuple):
            bad = value not in kind
        if bad:
            code = (
                "RICH_MESSAGE_URL_INVALID"
                if kind in ("href", "media")
                else "RICH_MESSAGE_ATTRIBUTE_INVALID"
            )
            raise _fail(code, f"invalid {name}={value!r} in <{el.tag}>", el.offset)


def _good_href(url: str) -> bool:
    if url.startswith("#"):
        return len(url) > 1
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if any(c.isspace() for c in url):
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return bool(parts.hostname)
    if scheme == "mailto":
        return "@" in parts.path
    if scheme == "tel":
        return bool(parts.path.strip())
    if scheme == "tg":
        return bool(re.fullmatch(r"tg://user\?id=[0-9]{1,20}", url))
    return False


def _good_media(url: str, media_ids: frozenset[str]) -> bool:
    m = _MEDIA_ID_RE.fullmatch(url)
    if m is not None:
        return m.group(2) in media_ids
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in url)
    )


def _is_emoji_img(el: Element) -> bool:
    return el.tag == "img" and (el.attrs.get("src") or "").startswith("tg://emoji?id=")


def _check_inline(el: Element) -> None:
    """Children of an element that holds inline content only."""
    for child in el.children:
        if isinstance(child, str):
            continue
        if _is_emoji_img(child):
            continue
        if child.tag not in INLINE_TAGS and not (
            child.tag == "cite" and el.tag in ("figcaption", "aside", "blockquote")
        ):
            code = (
                "RICH_MESSAGE_MEDIA_INVALID"
                if child.tag in MEDIA_TAGS
                else "RICH_MESSAGE_BAD_BLOCK"
            )
            raise _fail(code, f"<{child.tag}> is not allowed inside <{el.tag}>", child.offset)


def _check_blocks(el: Element, *, allow_cite: bool = False) -> None:
    """Children of an element that holds blocks only."""
    for i, child in enumerate(el.children):
        if _is_blank(child):
            continue
        if isinstance(child, str):
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK",
                f"bare text {child.strip()[:20]!r} inside <{el.tag}> (wrap it in <p>)",
                el.offset,
            )
        if child.tag in BLOCK_TAGS and child.tag not in ("li", "tr") and not _is_emoji_img(child):
            continue
        if allow_cite and child.tag == "cite":
            continue
        if child.tag == "details" or (el.tag == "details" and child.tag == "summary" and i == 0):
            continue
        raise _fail(
            "RICH_MESSAGE_BAD_BLOCK",
            f"<{child.tag}> is not allowed inside <{el.tag}>",
            child.offset,
        )


def _mixed(el: Element) -> bool:
    """True if el holds inline content (text or inline tags), False if blocks only."""
    kinds = set()
    for child in el.children:
        if _is_blank(child):
            continue
        if isinstance(child, str) or child.tag in INLINE_TAGS or _is_emoji_img(child):
            kinds.add("inline")
        elif child.tag in ("cite", "input"):
            continue
        else:
            kinds.add("block")
    if len(kinds) > 1:
        raise _fail(
            "RICH_MESSAGE_BAD_BLOCK",
            f"<{el.tag}> mixes text and blocks (wrap the text in <p>)",
            el.offset,
        )
    return kinds == {"inline"}


def _check_element(el: Element, media_ids: frozenset[str]) -> None:
    tag = el.tag
    parent = el.parent.tag if el.parent is not None else ""
    if tag != "#root":
        _check_attrs(el, media_ids)
    if tag in MEDIA_TAGS and not _is_emoji_img(el):
        if parent not in _MEDIA_PARENTS or (
            parent in ("tg-collage", "tg-slideshow") and tag not in ("img", "video")
        ):
            raise _fail(
                "RICH_MESSAGE_MEDIA_INVALID",
                f"<{tag}> must be a block of its own, not inside <{parent.lstrip('#')}>",
                el.offset,
            )
        if tag != "tg-map" and "src" not in el.attrs:
            raise _fail("RICH_MESSAGE_MEDIA_INVALID", f"<{tag}> without src", el.offset)
        if any(not _is_blank(c) for c in el.children):
            raise _fail("RICH_MESSAGE_MEDIA_INVALID", f"<{tag}> cannot hold content", el.offset)
        return
    if tag == "img":  # custom emoji
        if parent == "#root":
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "custom emoji outside text", el.offset)
        return
    if tag == "#root" or tag == "details":
        _check_blocks(el)
        if tag == "details":
            first = next((c for c in el.children if not _is_blank(c)), None)
            if not isinstance(first, Element) or first.tag != "summary":
                raise _fail(
                    "RICH_MESSAGE_BAD_BLOCK", "<details> must start with <summary>", el.offset
                )
    elif tag in TEXT_BLOCKS or tag in (
        "summary",
        "caption",
        "th",
        "td",
        "figcaption",
        "aside",
        "cite",
    ):
        _check_inline(el)
    elif tag in INLINE_TAGS:
        _check_inline(el)
        if tag == "a" and el.attrs.get("href") is None and el.attrs.get("name") is None:
            raise _fail("RICH_MESSAGE_ATTRIBUTE_INVALID", "<a> needs href or name", el.offset)
        if tag == "a" and _has_ancestor(el, "a"):
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "links cannot nest", el.offset)
        if tag == "code" and "class" in el.attrs and parent != "pre":
            raise _fail(
                "RICH_MESSAGE_ATTRIBUTE_INVALID", "a language only on <pre><code>", el.offset
            )
    elif tag == "pre":
        rest = [c for c in el.children if not (isinstance(c, str))]
        if rest and (
            len(rest) > 1
            or rest[0].tag != "code"
            or len(el.children) != 1
            or any(isinstance(c, Element) for c in rest[0].children)
        ):
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "<pre> holds text or one <code> only", el.offset)
    elif tag in ("ul", "ol"):
        if (stray := _stray_child(el, ("li",))) is not None:
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK",
                f"{_named(stray)} directly inside <{tag}>",
                el.offset if isinstance(stray, str) else stray.offset,
            )
    elif tag == "li":
        if parent not in ("ul", "ol"):
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "<li> outside a list", el.offset)
        if not _mixed(el):
            _check_blocks(el)
        else:
            _check_inline(_without(el, "input"))
        inputs = [c for c in el.children if isinstance(c, Element) and c.tag == "input"]
        if inputs and (
            len(inputs) > 1 or next(c for c in el.children if not _is_blank(c)) is not inputs[0]
        ):
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK", "a checkbox only at the start of <li>", inputs[0].offset
            )
    elif tag == "input":
        if parent != "li":
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "<input> outside <li>", el.offset)
    elif tag == "blockquote":
        if _mixed(el):
            _check_inline(el)
        else:
            _check_blocks(el, allow_cite=True)
    elif tag == "figure":
        media = [c for c in el.children if isinstance(c, Element) and c.tag in MEDIA_TAGS]
        others = [
            c
            for c in el.children
            if not _is_blank(c)
            and c not in media
            and not (isinstance(c, Element) and c.tag == "figcaption")
        ]
        if len(media) != 1 or others:
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK",
                "<figure> holds one media block and an optional <figcaption>",
                el.offset,
            )
    elif tag in ("tg-collage", "tg-slideshow"):
        if (stray := _stray_child(el, ("img", "video", "figcaption"))) is not None:
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK",
                f"<{tag}> holds img/video and figcaption, not {_named(stray)}",
                el.offset,
            )
    elif tag == "table":
        if (stray := _stray_child(el, ("tr", "caption"))) is not None:
            raise _fail(
                "RICH_MESSAGE_BAD_BLOCK",
                f"{_named(stray)} directly inside <table> (only <caption> and <tr>)",
                el.offset,
            )
    elif tag == "tr":
        if parent != "table":
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "<tr> must be directly inside <table>", el.offset)
        if _stray_child(el, ("td", "th")) is not None:
            raise _fail("RICH_MESSAGE_BAD_BLOCK", "<tr> holds <td>/<th> only", el.offset)
        cells = [c for c in el.children if not _is_blank(c)]
        width = sum(int(c.attrs.get("colspan") or 1) for c in cells if isinstance(c, Element))
        if width > MAX_COLUMNS:
            raise _fail(
                "RICH_MESSAGE_TABLE_TOO_WIDE", f"{width} columns (limit {MAX_COLUMNS})", el.offset
            )
    elif tag == "tg-button-row" and _stray_child(el, ("tg-button",)) is not None:
        raise _fail("RICH_MESSAGE_BAD_BLOCK", "<tg-button-row> holds <tg-button> only", el.offset)
    if (
        tag in ("th", "td", "caption", "summary", "figcaption")
        and parent
        not in {
            "th": ("tr",),
            "td": ("tr",),
            "caption": ("table",),
            "summary": ("details",),
            "figcaption": ("figure", "tg-collage", "tg-slideshow"),
        }[tag]
    ):
        raise _fail(
            "RICH_MESSAGE_BAD_BLOCK", f"<{tag}> is not allowed inside <{parent}>", el.offset
        )
    if tag == "cite" and parent not in ("blockquote", "aside", "figcaption"):
        raise _fail("RICH_MESSAGE_BAD_BLOCK", f"<cite> is not allowed inside <{parent}>", el.offset)
    if tag in BLOCK_TAGS and tag not in ("hr",) and tag not in MEDIA_TAGS and not _has_content(el):
        raise _fail("RICH_MESSAGE_BLOCK_EMPTY", f"empty <{tag}>", el.offset)
    if tag in ("th", "td") and not el.text().strip(_HTML_SPACE):
        raise _fail("RICH_MESSAGE_BLOCK_EMPTY", f"empty table cell <{tag}>", el.offset)


def _without(el: Element, tag: str) -> Element:
    return Element(
        el.tag,
        el.attrs,
        el.offset,
        [c for c in el.children if not (isinstance(c, Element) and c.tag == tag)],
        el.parent,
    )


def _has_ancestor(el: Element, tag: str) -> bool:
    node = el.parent
    while node is not None:
        if node.tag == tag:
            return True
        node = node.parent
    return False


def _has_content(el: Element) -> bool:
    if el.text().strip(_HTML_SPACE):
        return True
    return any(
        isinstance(c, Element) and (c.tag in MEDIA_TAGS or c.tag == "hr" or _has_content(c))
        for c in el.children
    )


def _walk(el: Element, depth: int = 0) -> list[tuple[Element, int]]:
    out = [(el, depth)]
    for child in el.children:
        if isinstance(child, Element):
            out.extend(_walk(child, depth + 1))
    return out


def measure_tree(root: Element, source: str) -> RichCounts:
    elements = _walk(root)
    return RichCounts(
        text=len(source),
        blocks=sum(1 for el, _ in elements if el.tag in BLOCK_TAGS and not _is_emoji_img(el)),
        depth=max(depth for _, depth in elements),
        media=sum(1 for el, _ in elements if el.tag in MEDIA_TAGS and not _is_emoji_img(el)),
    )


def validate_rich_html(source: str, media_ids: frozenset[str] = frozenset()) -> RichParse:
    """Check one ``InputRichMessage.html``; return its blocks and plain text, or raise."""
    if not source.strip():
        raise RichHTMLError("Bad Request: rich message must be non-empty")
    root = parse_tree(source)
    for el, _ in _walk(root):
        _check_element(el, media_ids)
    if not _has_content(root):
        raise RichHTMLError("Bad Request: rich message must be non-empty")
    counts = measure_tree(root, source)
    if counts.text > MAX_TEXT:
        raise _fail("RICH_MESSAGE_TOO_LONG", f"{counts.text} characters (limit {MAX_TEXT})")
    if counts.blocks > MAX_BLOCKS:
        raise _fail("RICH_MESSAGE_BLOCKS_TOO_MANY", f"{counts.blocks} blocks (limit {MAX_BLOCKS})")
    if counts.depth > MAX_DEPTH:
        raise _fail("RICH_MESSAGE_TOO_DEEP", f"depth {counts.depth} (limit {MAX_DEPTH})")
    if counts.media > MAX_MEDIA:
        raise _fail("RICH_MESSAGE_MEDIA_TOO_MANY", f"{counts.media} media (limit {MAX_MEDIA})")
    blocks = [b for c in root.children if isinstance(c, Element) for b in [to_block(c)] if b]
    return RichParse(blocks, "\n".join(_plain_lines(blocks)), counts)


# ---------------------------------------------------------------- stored shape


def rich_text(el: Element) -> Any:
    """Inline content as Bot API RichText: a string, a list, or {"type": …, "text": …}."""
    parts: list[Any] = []
    for child in el.children:
        if isinstance(child, str):
            text = child if el.tag in ("pre", "code") else _WS_RE.sub(" ", child)
            if text:
                parts.append(text)
            continue
        tag = child.tag
        if tag == "br":
            parts.append("\n")
        elif tag == "cite" or tag == "input":
            continue
        elif tag in _INLINE_FORMAT:
            parts.append({"type": _INLINE_FORMAT[tag], "text": rich_text(child)})
        elif tag == "a" and child.attrs.get("href"):
            parts.append({"type": "url", "text": rich_text(child), "url": child.attrs["href"]})
        elif tag == "a":
            parts.append({"type": "anchor", "name": child.attrs.get("name")})
        elif tag == "tg-emoji" or _is_emoji_img(child):
            parts.append(
                {
                    "type": "custom_emoji",
                    "alternative_text": child.text() or child.attrs.get("alt") or "",
                }
            )
        elif tag == "tg-math":
            parts.append({"type": "mathematical_expression", "expression": child.text()})
        elif tag == "tg-time":
            parts.append(
                {
                    "type": "date_time",
                    "text": rich_text(child),
                    "unix_time": int(child.attrs.get("unix") or 0),
                }
            )
        else:
            parts.append(rich_text(child))
    if len(parts) == 1:
        return parts[0]
    return parts


def _cite(el: Element) -> Any:
    cite = next((c for c in el.children if isinstance(c, Element) and c.tag == "cite"), None)
    return rich_text(cite) if cite is not None else None


def _child_blocks(el: Element) -> list[dict[str, Any]]:
    return [
        b
        for c in el.children
        if isinstance(c, Element) and c.tag not in ("cite", "summary")
        for b in [to_block(c)]
        if b
    ]


def to_block(el: Element) -> dict[str, Any] | None:
    tag = el.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return {"type": "heading", "size": int(tag[1]), "text": rich_text(el)}
    if tag == "p":
        return {"type": "paragraph", "text": rich_text(el)}
    if tag == "footer":
        return {"type": "footer", "text": rich_text(el)}
    if tag == "hr":
        return {"type": "divider"}
    if tag == "pre":
        code = next((c for c in el.children if isinstance(c, Element)), None)
        lang = (code.attrs.get("class") or "").removeprefix("language-") if code else ""
        out: dict[str, Any] = {"type": "pre", "text": el.text()}
        if lang:
            out["language"] = lang
        return out
    if tag == "tg-math-block":
        return {"type": "mathematical_expression", "expression": el.text()}
    if tag in ("ul", "ol"):
        items = []
        number = int(el.attrs.get("start") or 1)
        for li in (c for c in el.children if isinstance(c, Element)):
            number = int(li.attrs.get("value") or number)
            inline = _mixed(li)
            blocks = [{"type": "paragraph", "text": rich_text(li)}] if inline else _child_blocks(li)
            item: dict[str, Any] = {"label": f"{number}." if tag == "ol" else "•", "blocks": blocks}
            box = next(
                (c for c in li.children if isinstance(c, Element) and c.tag == "input"), None
            )
            if box is not None:
                item.update(has_checkbox=True, is_checked="checked" in box.attrs)
            items.append(item)
            number += 1
        return {"type": "list", "items": items}
    if tag in ("blockquote", "aside"):
        kind = (
            "pullquote"
            if tag == "aside"
            else (
                "expandable_blockquote"
                if {"expandable", "collapsed"} & set(el.attrs)
                else "blockquote"
            )
        )
        if tag == "aside":
            out = {"type": kind, "text": rich_text(_without(el, "cite"))}
        elif _mixed(el):
            out = {
                "type": kind,
                "blocks": [{"type": "paragraph", "text": rich_text(_without(el, "cite"))}],
            }
        else:
            out = {"type": kind, "blocks": _child_blocks(el)}
        credit = _cite(el)
        if credit is not None:
            out["credit"] = credit
        return out
    if tag == "table":
        rows = [c for c in el.children if isinstance(c, Element) and c.tag == "tr"]
        cells = [[_cell(td) for td in row.children if isinstance(td, Element)] for row in rows]
        out = {"type": "table", "cells": cells}
        for flag in ("bordered", "striped", "compact"):
            if flag in el.attrs:
                out[f"is_{flag}"] = True
        caption = next(
            (c for c in el.children if isinstance(c, Element) and c.tag == "caption"), None
        )
        if caption is not None:
            out["caption"] = {"text": rich_text(caption)}
        return out
    if tag == "details":
        summary = next(c for c in el.children if isinstance(c, Element))
        return {
            "type": "details",
            "summary": rich_text(summary),
            "blocks": _child_blocks(el),
            "is_open": "open" in el.attrs,
        }
    if tag in MEDIA_TAGS:
        kind = {
            "img": "photo",
            "video": "video",
            "audio": "audio",
            "tg-document": "document",
            "tg-map": "map",
        }[tag]
        out = {"type": kind, "url": el.attrs.get("src")}
        if "tg-spoiler" in el.attrs:
            out["has_spoiler"] = True
        return out
    if tag == "figure":
        media = next(c for c in el.children if isinstance(c, Element) and c.tag in MEDIA_TAGS)
        out = to_block(media) or {}
        caption = next(
            (c for c in el.children if isinstance(c, Element) and c.tag == "figcaption"), None
        )
        if caption is not None:
            out["caption"] = {"text": rich_text(_without(caption, "cite"))}
            credit = _cite(caption)
            if credit is not None:
                out["caption"]["credit"] = credit
        return out
    if tag in ("tg-collage", "tg-slideshow"):
        return {"type": tag.removeprefix("tg-"), "blocks": _child_blocks(el)}
    if tag == "tg-button-row":
        return {
            "type": "buttons",
            "buttons": [{"text": c.text()} for c in el.children if isinstance(c, Element)],
        }
    return None


def _cell(td: Element) -> dict[str, Any]:
    out: dict[str, Any] = {"text": rich_text(td)}
    if td.tag == "th":
        out["is_header"] = True
    for name in ("colspan", "rowspan"):
        if name in td.attrs:
            out[name] = int(td.attrs[name] or 1)
    for name in ("align", "valign"):
        if name in td.attrs:
            out[name] = td.attrs[name]
    return out


def plain(text: Any) -> str:
    """RichText -> its visible string."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(plain(t) for t in text)
    if isinstance(text, dict):
        for key in ("text", "alternative_text", "expression"):
            if key in text:
                return plain(text[key])
    return ""


def list_item_lines(item: dict[str, Any], inner: list[str], indent: str) -> list[str]:
    """A stored list item as lines: its label and the first line of its blocks, then the rest
    of them (`inner`, already indented by the caller)."""
    first = inner[0].strip() if inner else ""
    return [f"{indent}{item['label']} {first}", *inner[1:]]


def _plain_lines(blocks: list[dict[str, Any]], indent: str = "") -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind in ("heading", "paragraph", "footer", "pre", "pullquote"):
            lines.extend(indent + line for line in plain(block["text"]).strip().split("\n"))
        elif kind == "mathematical_expression":
            lines.append(indent + block["expression"])
        elif kind == "divider":
            lines.append(indent + "---")
        elif kind == "list":
            for item in block["items"]:
                lines.extend(
                    list_item_lines(item, _plain_lines(item["blocks"], indent + "  "), indent)
                )
        elif kind in ("blockquote", "expandable_blockquote", "collage", "slideshow"):
            lines.extend(_plain_lines(block["blocks"], indent + "> "))
        elif kind == "details":
            lines.append(indent + plain(block["summary"]))
            lines.extend(_plain_lines(block["blocks"], indent + "  "))
        elif kind == "table":
            lines.extend(
                indent + " | ".join(plain(c["text"]).strip() for c in row) for row in block["cells"]
            )
        elif kind == "buttons":
            lines.append(indent + " | ".join(f"[{b['text']}]" for b in block["buttons"]))
        else:  # media: shown as a placeholder line, then the caption
            lines.append(f"{indent}[{kind} {block.get('url') or ''}]".replace(" ]", "]"))
            if "caption" in block:
                lines.append(indent + plain(block["caption"]["text"]))
        if "caption" in block and kind == "table":
            lines.append(indent + plain(block["caption"]["text"]))
    return lines


__all__ = [
    "MAX_BLOCKS",
    "MAX_COLUMNS",
    "MAX_DEPTH",
    "MAX_MEDIA",
    "MAX_TEXT",
    "RichCounts",
    "RichHTMLError",
    "RichParse",
    "list_item_lines",
    "parse_tree",
    "plain",
    "validate_rich_html",
]
