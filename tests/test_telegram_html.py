"""Tests of the strict Telegram HTML validator (bot/standin/telegram_html.py)."""

from __future__ import annotations

import html as stdlib_html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.standin.telegram_html import (
    Entity,
    TelegramHTMLError,
    utf16_len,
    validate_html,
    validate_message,
)

# ---------------------------------------------------------------- accepted documents


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>b</b><strong>s</strong>", "bs", [("bold", 0, 1), ("bold", 1, 1)]),
        ("<i>i</i><em>e</em>", "ie", [("italic", 0, 1), ("italic", 1, 1)]),
        ("<u>u</u><ins>n</ins>", "un", [("underline", 0, 1), ("underline", 1, 1)]),
        (
            "<s>1</s><strike>2</strike><del>3</del>",
            "123",
            [("strikethrough", 0, 1), ("strikethrough", 1, 1), ("strikethrough", 2, 1)],
        ),
        (
            '<tg-spoiler>x</tg-spoiler><span class="tg-spoiler">y</span>',
            "xy",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ('<a href="https://e.org/?a=1&amp;b=2">link</a>', "link", [("text_link", 0, 4)]),
        ("<code>x &lt; y</code>", "x < y", [("code", 0, 5)]),
        ("<pre>line1\nline2</pre>", "line1\nline2", [("pre", 0, 11)]),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<pre><code>x</code></pre>", "x", [("pre", 0, 1)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
        ("<B>caps</B>", "caps", [("bold", 0, 4)]),
        ("<b >sp</b >", "sp", [("bold", 0, 2)]),
        ("<b><i>bi</i></b>", "bi", [("bold", 0, 2), ("italic", 0, 2)]),
        ("a<b>b<i>c</i></b>", "abc", [("bold", 1, 2), ("italic", 2, 1)]),
        (
            '<blockquote>see <a href="http://x.y">x</a> <code>c</code></blockquote>',
            "see x c",
            [("blockquote", 0, 7), ("text_link", 4, 1), ("code", 6, 1)],
        ),
        ('<a href="tg://user?id=1"><b>me</b></a>', "me", [("text_link", 0, 2), ("bold", 0, 2)]),
        ("&lt;&gt;&amp;&quot;&#65;&#x1F600;&#X41;", '<>&"A😀A', []),
        ("a > b", "a > b", []),
        ("😀<b>x</b>", "😀x", [("bold", 2, 1)]),  # offsets count UTF-16 units
        ("<b></b>x", "x", []),  # empty entities vanish, as in Telegram
        ("中文<i>测试</i>", "中文测试", [("italic", 2, 2)]),
    ],
)
def test_accepts(html: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed = validate_message(html)
    assert parsed.text == text
    assert parsed.entities == entities
    assert parsed.utf16_length == utf16_len(text)


def test_urls_and_languages_in_order() -> None:
    parsed = validate_html(
        "<a href=\"http://a\">1</a> <a href='https://b'>2</a>"
        '<pre><code class="language-rust">r</code></pre>'
    )
    assert parsed.urls == ["http://a", "https://b"]
    assert parsed.languages == ["rust"]
    assert parsed.entities[0] == Entity("text_link", 0, 1)


# ---------------------------------------------------------------- rejected documents


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("a < b", 'Unsupported start tag ""'),
        ("<p>x</p>", 'Unsupported start tag "p"'),
        ("x<br>y", 'Unsupported start tag "br"'),
        ("x<br/>y", 'Unsupported start tag "br/"'),
        ("<h1>t</h1>", 'Unsupported start tag "h1"'),
        ("<ul><li>x</li></ul>", 'Unsupported start tag "ul"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag, expected "</i>", found "</b>"'),
        ("<b>x</>", "Unmatched end tag"),
        ("<b>x</b", "Unclosed end tag"),
        ("x <b", "Unclosed start tag"),
        ('<a href="http://x>y</a>', "Unclosed start tag"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("&copy;", 'Unsupported HTML entity "&copy;"'),
        ("AT&T", "Unescaped '&'"),
        ("a & b", "Unescaped '&'"),
        ("&amp", "Unescaped '&'"),
        ("&#;", "Invalid character reference"),
        ("&#0;", "Invalid character reference"),
        ("&#xD83D;", "Invalid character reference"),
        ("&#x110000;", "Invalid character reference"),
        ("&#12a;", "Invalid character reference"),
        ('<b class="x">y</b>', 'Unsupported attribute "class" in the tag "b"'),
        ('<a href="http://x" title="t">y</a>', 'Unsupported attribute "title"'),
        ("<a>y</a>", 'must have a non-empty attribute "href"'),
        ('<a href="">y</a>', 'must have a non-empty attribute "href"'),
        ('<a href="/relative">y</a>', 'Unsupported URL "/relative"'),
        ('<a href="javascript:alert(1)">y</a>', "Unsupported URL"),
        ('<a href="http://a" href="http://b">y</a>', "Duplicate attribute"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ('<code class="language-py">x</code>', "language class only inside"),
        ('<pre><code class="lang-py">x</code></pre>', 'may only have class "language-..."'),
        ("<tg-emoji>x</tg-emoji>", 'numeric attribute "emoji-id"'),
        ("<b x>y</b>", "Expected equal sign"),
        ("<b =x>y</b>", "Empty attribute name"),
        ("<a href=http://x>y</a>", "Unexpected end of name token"),
        ("<code><b>x</b></code>", 'Tag "b" can\'t be nested inside tag "code"'),
        ("<pre><b>x</b></pre>", 'Tag "b" can\'t be nested inside tag "pre"'),
        ("<pre>x<code>y</code></pre>", 'Tag "code" can\'t be nested inside tag "pre"'),
        ("<pre><code>y</code>z</pre>", 'Text can\'t follow "</code>"'),
        ("<pre><code>y</code><code>z</code></pre>", 'can\'t be nested inside tag "pre"'),
        ('<a href="http://a"><a href="http://b">x</a></a>', 'Tag "a" can\'t be nested inside'),
        ('<a href="http://a"><code>x</code></a>', 'Tag "code" can\'t be nested inside tag "a"'),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ("<blockquote expandable><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ('<tg-emoji emoji-id="1"><b>x</b></tg-emoji>', 'inside tag "tg-emoji"'),
    ],
)
def test_rejects(html: str, fragment: str) -> None:
    with pytest.raises(TelegramHTMLError) as info:
        validate_html(html)
    message = str(info.value)
    assert message.startswith("Bad Request: can't parse entities: ")
    assert fragment in message


def test_error_offsets_are_utf8_bytes() -> None:
    with pytest.raises(TelegramHTMLError, match="byte offset 7"):
        validate_html("中文 <p>")  # 2 x 3 bytes + 1 space


# ---------------------------------------------------------------- message limits


def test_length_limit_counts_utf16_units_of_visible_text() -> None:
    validate_message("x" * 4096)
    validate_message("<b>" + "x" * 4096 + "</b>")  # tags do not count
    validate_message("&amp;" * 4096)  # an escape is one character
    validate_message("😀" * 2048)
    with pytest.raises(TelegramHTMLError, match=r"^Bad Request: message is too long$"):
        validate_message("x" * 4097)
    with pytest.raises(TelegramHTMLError, match="message is too long"):
        validate_message("😀" * 2048 + "x")  # 4097 UTF-16 units, 2049 code points


def test_caption_limit_and_empty_caption() -> None:
    validate_message("x" * 1024, caption=True)
    validate_message("", caption=True)
    with pytest.raises(TelegramHTMLError, match="message caption is too long"):
        validate_message("x" * 1025, caption=True)


@pytest.mark.parametrize("html", ["", "   ", "\n\n", "<b> </b>", "<b></b>"])
def test_empty_text_rejected(html: str) -> None:
    with pytest.raises(TelegramHTMLError, match="message text is empty"):
        validate_message(html)


def test_entity_limit() -> None:
    validate_message("<b>x</b> " * 100)
    with pytest.raises(TelegramHTMLError, match="too many entities"):
        validate_message("<b>x</b> " * 101)
    # nested entities each count
    with pytest.raises(TelegramHTMLError, match="too many entities"):
        validate_message("<b><i>x</i></b> " * 51)


def test_lone_surrogates_rejected() -> None:
    with pytest.raises(TelegramHTMLError, match="UTF-8"):
        validate_message("half \ud83d of an emoji")
    with pytest.raises(TelegramHTMLError, match="UTF-8"):
        validate_message("x" * 10 + "\udc00")


# ---------------------------------------------------------------- properties

_text = st.text(max_size=200)  # hypothesis' default alphabet has no lone surrogates


@settings(max_examples=200, deadline=None)
@given(_text)
def test_escaped_text_round_trips(raw: str) -> None:
    # as the renderer escapes text: only & < > (quotes stay as they are)
    parsed = validate_html(stdlib_html.escape(raw, quote=False))
    assert parsed.text == raw
    assert parsed.entities == []
    assert parsed.utf16_length == len(raw.encode("utf-16-le")) // 2


@settings(max_examples=200, deadline=None)
@given(_text)
def test_stdlib_html_escape_also_round_trips(raw: str) -> None:
    # html.escape() also emits &#x27; for quotes: a numeric reference Telegram accepts.
    assert validate_html(stdlib_html.escape(raw)).text == raw


_FORMAT_TAGS = ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler"]


@st.composite
def _formatted_tree(draw: st.DrawFn, depth: int = 0) -> tuple[str, str, list[tuple[str, int]]]:
    """A random valid document: (html, visible text, [(entity type, length)] in open order)."""
    parts = draw(
        st.lists(
            st.one_of(
                _text.map(lambda t: ("text", t)),
                st.sampled_from(_FORMAT_TAGS).map(lambda t: ("tag", t)),
            ),
            max_size=4 if depth < 3 else 0,
        )
    )
    html, text, ents = "", "", []
    for kind, value in parts:
        if kind == "text":
            html += stdlib_html.escape(value)
            text += value
            continue
        inner_html, inner_text, inner_ents = draw(_formatted_tree(depth + 1))
        html += f"<{value}>{inner_html}</{value}>"
        ents.append((value, utf16_len(inner_text)))
        ents.extend(inner_ents)
        text += inner_text
    return html, text, ents


@settings(max_examples=200, deadline=None)
@given(_formatted_tree())
def test_random_valid_trees_parse_exactly(doc: tuple[str, str, list[tuple[str, int]]]) -> None:
    html, text, ents = doc
    parsed = validate_html(html)
    assert parsed.text == text
    assert parsed.utf16_length == utf16_len(text)
    # every non-empty element is one entity, none is lost or invented
    assert sorted(e.length for e in parsed.entities) == sorted(n for _, n in ents if n > 0)
    for e in parsed.entities:
        assert e.offset >= 0 and e.offset + e.length <= parsed.utf16_length


_SOUP_TOKENS = ["<b>", "</b>", "<i>", "</i>", "<code>", "</code>", "x", "&amp;", "&", "<", "</>"]


def _soup_reference(tokens: list[str]) -> bool:
    """A simple model of the rules: matching nesting, nothing inside code, escapes only."""
    stack: list[str] = []
    for tok in tokens:
        if tok in ("&", "<", "</>"):
            return False
        if tok.startswith("</"):
            if not stack or stack.pop() != tok[2:-1]:
                return False
        elif tok.startswith("<"):
            if "code" in stack:
                return False
            stack.append(tok[1:-1])
    return not stack


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SOUP_TOKENS), max_size=12))
def test_tag_soup_agrees_with_reference(tokens: list[str]) -> None:
    html = "".join(tokens)
    try:
        validate_html(html)
        accepted = True
    except TelegramHTMLError:
        accepted = False
    assert accepted == _soup_reference(tokens), html


def test_api_entities_carry_url_language_and_emoji_id() -> None:
    parsed = validate_html(
        '<pre><code class="language-py">x</code></pre><a href="http://a">l</a>'
        '<tg-emoji emoji-id="12">e</tg-emoji><blockquote expandable>q'
        "</blockquote><pre>p</pre>"
    )
    assert parsed.api_entities == [
        {"type": "pre", "offset": 0, "length": 1, "language": "py"},
        {"type": "text_link", "offset": 1, "length": 1, "url": "http://a"},
        {"type": "custom_emoji", "offset": 2, "length": 1, "custom_emoji_id": "12"},
        {"type": "expandable_blockquote", "offset": 3, "length": 1},
        {"type": "pre", "offset": 4, "length": 1},
    ]
