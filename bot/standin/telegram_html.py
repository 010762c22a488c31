"""A strict, independent validator of Telegram's HTML parse mode (test infrastructure).

It deliberately imports nothing from ``bot/``: it referees the bot's renderer and splitter.

The grammar follows what Telegram's server (tdlib ``parse_html``) accepts, and is *stricter*
wherever Telegram silently repairs or drops things (a bot relying on that loses formatting):

* allowed tags: b/strong, i/em, u/ins, s/strike/del, tg-spoiler, span class="tg-spoiler",
  a href, code, pre (optionally wrapping exactly one ``<code>`` / ``<code class="language-x">``
  and nothing else), blockquote (optionally ``expandable``), tg-emoji emoji-id.
  Tag names are case-insensitive (as in Telegram).
* every attribute other than the allowed one is an error (Telegram ignores unknown ones);
  ``<a>`` needs a non-empty absolute href (http, https, ftp, tg, mailto).
* close tags must match the innermost open tag by name (Telegram also takes ``</>``; we don't).
* only ``&lt; &gt; &amp; &quot;`` and numeric references ending in ``;`` are allowed; any other
  ``&`` is an error (Telegram keeps unknown ones as literal text: usually a missing escape).
* nesting follows the Bot API rules: nothing inside code/pre (except pre>code), no link inside
  a link, a link contains only formatting, blockquotes do not nest.
* empty entities (e.g. ``<b></b>``) are accepted and, as in Telegram, produce no entity.

``validate_message`` adds the limits of one message (4096 / 1024 UTF-16 units, 100 entities,
non-empty text, no lone surrogates). Error messages mimic Bot API descriptions, so the fake
server returns ``str(err)`` as its ``description`` verbatim.

Why hand-written instead of ``html.parser``: the stdlib parser is lenient by design (unknown
entities, unknown tags, unbalanced tags all pass) and gives no UTF-8 byte offsets; we need
Telegram's exact grammar, so a small scanner is clearer than post-filtering a permissive parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION = 1024  # telegram.constants.MessageLimit.CAPTION_LENGTH
MAX_ENTITIES = 100  # telegram.constants.MessageLimit.MESSAGE_ENTITIES

_PARSE_PREFIX = "Bad Request: can't parse entities: "

# tag -> Bot API entity type
_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_FORMATTING = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_URL_SCHEMES = ("http://", "https://", "ftp://", "tg://", "mailto:")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space(): these end a tag name / separate attributes
_SPACES = " \t\r\n\v\0"
_SPECIAL = re.compile(r"[&<]")


class TelegramHTMLError(ValueError):
    """Text Telegram would reject (or silently mangle). ``str(err)`` is a Bot API description."""


class Entity(NamedTuple):
    type: str  # Bot API MessageEntity type ("bold", "text_link", "pre", ...)
    offset: int  # UTF-16 code units
    length: int  # UTF-16 code units


@dataclass
class ParsedMessage:
    text: str  # visible text, HTML entities decoded
    entities: list[Entity] = field(default_factory=list)  # sorted by (offset, -length)
    utf16_length: int = 0
    urls: list[str] = field(default_factory=list)  # hrefs of <a> tags, in document order
    languages: list[str] = field(default_factory=list)  # languages of <pre><code class=...>
    api_entities: list[dict[str, object]] = field(default_factory=list)  # Bot API MessageEntity


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units (astral characters count 2), as Telegram measures."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _fail(html: str, pos: int, what: str) -> TelegramHTMLError:
    byte_offset = len(html[:pos].encode("utf-8", "surrogatepass"))
    return TelegramHTMLError(f"{_PARSE_PREFIX}{what} at byte offset {byte_offset}")


def _decode_entity(html: str, pos: int) -> tuple[str, int]:
    """Decode the reference starting at html[pos] == '&'; return (text, position after it)."""
    end = html.find(";", pos + 1, pos + 12)
    if end == -1:
        raise _fail(html, pos, "Unescaped '&' (expected &amp; or a character reference)")
    body = html[pos + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    if body.startswith("#"):
        digits, base = (body[2:], 16) if body[1:2] in ("x", "X") else (body[1:], 10)
        allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        if digits and all(c in allowed for c in digits):
            code = int(digits, base)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), end + 1
        raise _fail(html, pos, f'Invalid character reference "&{body};"')
    raise _fail(html, pos, f'Unsupported HTML entity "&{body};"')


class _Open:
    """A start tag waiting for its end tag."""

    __slots__ = ("argument", "code_end", "name", "order", "start", "type")

    def __init__(self, name: str, etype: str, order: int, start: int, argument: str | None) -> None:
        self.name, self.type, self.order, self.start = name, etype, order, start
        self.argument = argument
        self.code_end: int | None = None  # for <pre>: where its <code> child ended


def _parse_attributes(html: str, i: int, tag: str, tag_pos: int) -> tuple[dict[str, str], int]:
    """Parse attributes from html[i] up to and including '>' (tdlib's grammar)."""
    attrs: dict[str, str] = {}
    n = len(html)
    while True:
        while i < n and html[i] in _SPACES:
            i += 1
        if i >= n:
            raise _fail(html, tag_pos, "Unclosed start tag")
        if html[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and html[i] not in _SPACES and html[i] not in "=>":
            i += 1
        name = html[name_start:i].lower()
        if not name:
            raise _fail(html, name_start, f'Empty attribute name in the tag "{tag}"')
        while i < n and html[i] in _SPACES:
            i += 1
        if i >= n:
            raise _fail(html, tag_pos, "Unclosed start tag")
        if html[i] != "=":
            if tag == "blockquote" and name == "expandable":  # the only valueless attribute
                attrs[name] = ""
                continue
            raise _fail(
                html, i, f'Expected equal sign in declaration of an attribute of the tag "{tag}"'
            )
        i += 1
        while i < n and html[i] in _SPACES:
            i += 1
        if i >= n:
            raise _fail(html, tag_pos, "Unclosed start tag")
        if html[i] in "'\"":
            quote = html[i]
            i += 1
            parts: list[str] = []
            while i < n and html[i] != quote:
                if html[i] == "&":
                    decoded, i = _decode_entity(html, i)
                    parts.append(decoded)
                else:
                    parts.append(html[i])
                    i += 1
            if i >= n:
                raise _fail(html, tag_pos, "Unclosed start tag")
            i += 1
            value = "".join(parts)
        else:  # an unquoted name token: letters, digits, '.', '-'
            tok_start = i
            while i < n and (html[i].isascii() and (html[i].isalnum() or html[i] in ".-")):
                i += 1
            if i < n and html[i] not in _SPACES and html[i] != ">":
                raise _fail(html, i, "Unexpected end of name token")
            value = html[tok_start:i].lower()
        if name in attrs:
            raise _fail(html, name_start, f'Duplicate attribute "{name}" in the tag "{tag}"')
        attrs[name] = value


_ALLOWED_ATTRS: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "span": frozenset({"class"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}


def _tag_argument(html: str, pos: int, tag: str, attrs: dict[str, str]) -> str | None:
    """Check a start tag's attributes; return its argument (href, language, emoji id)."""
    allowed = _ALLOWED_ATTRS.get(tag, frozenset())
    for name in attrs:
        if name not in allowed:
            raise _fail(html, pos, f'Unsupported attribute "{name}" in the tag "{tag}"')
    if tag == "a":
        href = attrs.get("href", "").strip()
        if not href:
            raise _fail(html, pos, 'Tag "a" must have a non-empty attribute "href"')
        if not href.lower().startswith(_URL_SCHEMES) or any(c in href for c in " \n\t"):
            raise _fail(html, pos, f'Unsupported URL "{href}" in the tag "a"')
        return href
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise _fail(html, pos, 'Tag "span" must have class "tg-spoiler"')
    if tag == "code" and "class" in attrs:
        cls = attrs["class"]
        if not cls.startswith("language-") or len(cls) == len("language-"):
            raise _fail(html, pos, 'Tag "code" may only have class "language-..."')
        return cls[len("language-") :]
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise _fail(html, pos, 'Tag "tg-emoji" must have a numeric attribute "emoji-id"')
        return emoji_id
    if tag == "blockquote" and "expandable" in attrs:
        return "expandable"
    return None


def _check_nesting(
    html: str, pos: int, tag: str, etype: str, stack: list[_Open], pos16: int
) -> None:
    """Enforce the Bot API nesting rules for a new start tag inside ``stack``."""
    for anc in stack:
        if anc.type == "pre":
            # The only thing allowed in <pre> is one <code> wrapping all of its text.
            first_child = anc is stack[-1] and anc.start == pos16 and anc.code_end is None
            if not (tag == "code" and first_child):
                raise _fail(html, pos, f'Tag "{tag}" can\'t be nested inside tag "pre"')
        elif anc.type == "code":
            raise _fail(html, pos, f'Tag "{tag}" can\'t be nested inside tag "code"')
        elif anc.type == "text_link" and etype not in _FORMATTING:
            raise _fail(html, pos, f'Tag "{tag}" can\'t be nested inside tag "a"')
        elif anc.type == "custom_emoji":
            raise _fail(html, pos, f'Tag "{tag}" can\'t be nested inside tag "tg-emoji"')
        elif anc.type.endswith("blockquote") and etype.endswith("blockquote"):
            raise _fail(html, pos, 'Tag "blockquote" can\'t be nested inside tag "blockquote"')


def validate_html(html: str) -> ParsedMessage:
    """Parse ``html`` as Telegram HTML; raise TelegramHTMLError on what Telegram would not take."""
    text_parts: list[str] = []
    pos16 = 0  # UTF-16 length of the text so far
    stack: list[_Open] = []
    raw: list[tuple[int, Entity, str | None]] = []  # (open order, entity, argument)
    urls: list[str] = []
    languages: list[str] = []
    order = 0
    i, n = 0, len(html)
    while i < n:
        c = html[i]
        if c == "&":
            decoded, i = _decode_entity(html, i)
            text_parts.append(decoded)
            pos16 += utf16_len(decoded)
            continue
        if c != "<":
            found = _SPECIAL.search(html, i)
            j = found.start() if found else n
            chunk = html[i:j]
            text_parts.append(chunk)
            pos16 += utf16_len(chunk)
            i = j
            continue
        tag_pos = i
        if i + 1 < n and html[i + 1] == "/":  # end tag
            if not stack:
                raise _fail(html, tag_pos, "Unexpected end tag")
            j = i + 2
            while j < n and html[j] not in _SPACES and html[j] != ">":
                j += 1
            end_name = html[i + 2 : j].lower()
            while j < n and html[j] in _SPACES:
                j += 1
            if j >= n or html[j] != ">":
                raise _fail(html, tag_pos, "Unclosed end tag")
            top = stack[-1]
            if end_name != top.name:
                raise _fail(
                    html,
                    tag_pos,
                    f'Unmatched end tag, expected "</{top.name}>", found "</{end_name}>"',
                )
            stack.pop()
            i = j + 1
            length = pos16 - top.start
            if top.type == "pre" and top.code_end is not None:
                # <pre><code class="language-x">...</code></pre> is one "pre" entity
                if top.code_end != pos16:
                    raise _fail(html, tag_pos, 'Text can\'t follow "</code>" inside tag "pre"')
                if raw and raw[-1][1].type == "code" and raw[-1][1].offset == top.start:
                    top.argument = raw.pop()[2]  # the language moves to the pre entity
            if top.type == "code" and stack and stack[-1].type == "pre":
                stack[-1].code_end = pos16
                if length == 0:
                    stack[-1].argument = top.argument
            if length > 0:
                raw.append((top.order, Entity(top.type, top.start, length), top.argument))
            continue
        # start tag: the name runs to a space or '>'
        j = i + 1
        while j < n and html[j] not in _SPACES and html[j] != ">":
            j += 1
        if j >= n:
            raise _fail(html, tag_pos, "Unclosed start tag")
        tag = html[i + 1 : j].lower()
        if tag not in _TAG_TYPES:
            raise _fail(html, tag_pos, f'Unsupported start tag "{tag}"')
        attrs, after = _parse_attributes(html, j, tag, tag_pos)
        argument = _tag_argument(html, tag_pos, tag, attrs)
        etype = _TAG_TYPES[tag]
        if tag == "blockquote" and argument == "expandable":
            etype = "expandable_blockquote"
        _check_nesting(html, tag_pos, tag, etype, stack, pos16)
        if tag == "code" and argument is not None and not (stack and stack[-1].type == "pre"):
            raise _fail(html, tag_pos, 'Tag "code" may have a language class only inside "pre"')
        if tag == "a" and argument is not None:
            urls.append(argument)
        if tag == "code" and argument is not None:
            languages.append(argument)
        stack.append(
            _Open(tag, etype, order, pos16, None if etype == "expandable_blockquote" else argument)
        )
        order += 1
        i = after
    if stack:
        raise TelegramHTMLError(
            f'{_PARSE_PREFIX}Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    raw.sort(key=lambda item: (item[1].offset, -item[1].length, item[0]))
    return ParsedMessage(
        text="".join(text_parts),
        entities=[e for _, e, _ in raw],
        utf16_length=pos16,
        urls=urls,
        languages=languages,
        api_entities=[_api_entity(e, arg) for _, e, arg in raw],
    )


def _api_entity(entity: Entity, argument: str | None) -> dict[str, object]:
    out: dict[str, object] = {"type": entity.type, "offset": entity.offset, "length": entity.length}
    if argument is not None:
        key = {"text_link": "url", "pre": "language", "custom_emoji": "custom_emoji_id"}
        if entity.type in key:
            out[key[entity.type]] = argument
    return out


def validate_message(html: str, *, caption: bool = False) -> ParsedMessage:
    """``validate_html`` plus the limits of one message text (or photo caption)."""
    for ch in html:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise TelegramHTMLError("Bad Request: strings must be encoded in UTF-8")
    parsed = validate_html(html)
    if not caption and not parsed.text.strip():
        raise TelegramHTMLError("Bad Request: message text is empty")
    limit = MAX_CAPTION if caption else MAX_TEXT
    if parsed.utf16_length > limit:
        what = "message caption is too long" if caption else "message is too long"
        raise TelegramHTMLError(f"Bad Request: {what}")
    if len(parsed.entities) > MAX_ENTITIES:
        raise TelegramHTMLError(
            f"Bad Request: too many entities: {len(parsed.entities)} > {MAX_ENTITIES}"
        )
    return parsed
