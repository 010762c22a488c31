"""The fake server's Rich HTML validator (bot/standin/rich_html.py): what the shared reference
(../shared/telegram-rich-messages.md) documents is accepted, everything else is refused with a
``Bad Request: …`` description naming the fault; limits are counted as the file says."""

from __future__ import annotations

import pytest

from bot.standin.rich_html import (
    MAX_BLOCKS,
    MAX_DEPTH,
    MAX_MEDIA,
    MAX_TEXT,
    RichHTMLError,
    validate_rich_html,
)

ACCEPTED = [
    # §2.1 inline formatting, every documented tag
    "<p><b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
    "<del>d</del><code>c</code><mark>m</mark><sub>2</sub><sup>3</sup><tg-spoiler>x</tg-spoiler></p>",
    '<p><a href="https://example.com/a?b=1&amp;c=2">web</a> <a href="mailto:a@b.org">mail</a> '
    '<a href="tel:+123">tel</a> <a href="tg://user?id=42">user</a> <a href="#n1">jump</a></p>',
    '<p><a name="top"></a>anchor <tg-reference name="n1">ref</tg-reference></p>',
    '<p><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> '
    '<img src="tg://emoji?id=5368324170671202286" alt="👍"/> '
    '<tg-time unix="1647531900" format="wDT">then</tg-time> <tg-math>x^2</tg-math></p>',
    "<p>line one<br>line two<br/>three</p>",
    # blocks
    "<h1>1</h1><h2>2</h2><h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6><footer>f</footer><hr/>",
    '<pre>plain</pre><pre><code class="language-python">print(1)</code></pre>',
    '<ul><li>a</li><li><p>b</p><ol start="3" type="a" reversed><li value="7">c</li></ol></li></ul>',
    '<ul><li><input type="checkbox" checked>done</li><li><input type="checkbox">todo</li></ul>',
    "<blockquote>quoted<br>text<cite>Author</cite></blockquote>",
    "<blockquote><p>para</p><blockquote><p>nested</p></blockquote><cite>A</cite></blockquote>",
    "<blockquote expandable><p>long</p></blockquote><blockquote collapsed>x</blockquote>",
    "<aside>pull quote<cite>C</cite></aside>",
    '<figure><img src="https://e.com/a.jpg"/><figcaption>Cap<cite>by</cite></figcaption></figure>',
    '<img src="https://e.com/a.jpg" tg-spoiler/><video src="https://e.com/v.mp4"></video>'
    '<audio src="https://e.com/a.mp3"></audio><tg-document src="https://e.com/f.zip"></tg-document>',
    '<tg-map lat="41.9" long="12.5" zoom="14"/>',
    '<tg-collage><img src="https://e.com/1.jpg"/><video src="https://e.com/2.mp4"></video>'
    "<figcaption>two</figcaption></tg-collage>",
    '<table bordered striped compact><caption>T</caption><tr><th align="left">h</th>'
    '<th colspan="2">w</th></tr><tr><td valign="top"><b>x</b> <a href="https://e.com">l</a></td>'
    '<td rowspan="1">y</td><td>&nbsp;</td></tr></table>',
    "<details open><summary>More</summary><p>body</p><ul><li>x</li></ul></details>",
    "<tg-math-block>E = mc^2</tg-math-block>",
    '<tg-button-row align="center"><tg-button type="url" url="https://e.com">Go</tg-button>'
    "</tg-button-row>",
    # §2.2 every listed named entity, numeric references
    "<p>&lt;&gt;&amp;&quot;&apos;&nbsp;&hellip;&mdash;&ndash;&lsquo;&rsquo;&ldquo;&rdquo;"
    "&#169;&#x1F600;</p>",
    "\n<p>whitespace between blocks is fine</p>\n\n<p>x</p>\n",
]

REFUSED = [
    ("", "non-empty"),
    ("   \n", "non-empty"),
    ("<p> </p>", "EMPTY"),
    ("bare text", "bare text"),
    ("<p>a</p>tail", "bare text"),
    ("<div>x</div>", "<div>"),
    ("<span>x</span>", "<span>"),
    ("<p>a<font>b</font></p>", "<font>"),
    ("<table><thead><tr><td>x</td></tr></thead></table>", "<thead>"),
    ("<table><tbody><tr><td>x</td></tr></tbody></table>", "<tbody>"),
    ("<tr><td>x</td></tr>", "<tr>"),
    ("<table><tr><td><p>x</p></td></tr></table>", "<p>"),
    ("<table><tr><td><ul><li>x</li></ul></td></tr></table>", "<ul>"),
    ("<table><tr><td></td></tr></table>", "empty"),
    ("<table>x<tr><td>y</td></tr></table>", "text"),
    ("<table><tr>" + "<td>c</td>" * 21 + "</tr></table>", "21 columns"),
    ('<table><tr><td colspan="21">c</td></tr></table>', "21 columns"),
    ('<p>see <img src="https://e.com/a.jpg"/></p>', "<img>"),
    ('<h2><video src="https://e.com/v.mp4"></video></h2>', "<video>"),
    ('<table><tr><td><img src="https://e.com/a.jpg"/></td></tr></table>', "<img>"),
    ('<img src="ftp://e.com/a.jpg"/>', "src"),
    ('<img src="tg://photo?id=cover"/>', "src"),  # no such InputRichMessage.media entry
    ('<img src="javascript:alert(1)"/>', "src"),
    ('<tg-collage><audio src="https://e.com/a.mp3"></audio></tg-collage>', "audio"),
    ("<p>&copy; 2026</p>", "&copy;"),
    ("<p>&euro;</p>", "&euro;"),
    ("<p>fish & chips</p>", "'&'"),
    ("<p>a &amp b</p>", "'&'"),
    ("<p>&#0;</p>", "reference"),
    ("<p>&#xD800;</p>", "reference"),
    ("<p>1 < 2</p>", "'<'"),
    ("<p>unclosed", "never closed"),
    ("<p><b>x</p></b>", "</p>"),
    ("<p>x</p></p>", "</p>"),
    ('<p class="lead">x</p>', "'class'"),
    ('<p><a href="https://e.com" target="_blank">x</a></p>', "'target'"),
    ('<p><a href="javascript:alert(1)">x</a></p>', "href"),
    ('<p><a href="https://">x</a></p>', "href"),
    ('<p><a href="">x</a></p>', "href"),
    ('<p><a href="https://a.com"><a href="https://b.com">x</a></a></p>', "nest"),
    ("<p><a>x</a></p>", "<a>"),
    ('<p><code class="language-py">x</code></p>', "language"),
    ('<pre><code class="language-py">x</code>tail</pre>', "<pre>"),
    ("<pre><b>x</b></pre>", "<pre>"),
    ("<ul>text</ul>", "text"),
    ("<ul><p>x</p></ul>", "<p>"),
    ("<li>x</li>", "<li>"),
    ("<ul><li>text<ul><li>nested</li></ul></li></ul>", "mixes"),
    ("<ul><li></li></ul>", "empty"),
    ('<ul><li>x<input type="checkbox"></li></ul>', "checkbox"),
    ('<ol type="x"><li>a</li></ol>', "type"),
    ('<ol start="three"><li>a</li></ol>', "start"),
    ("<p><p>x</p></p>", "<p>"),
    ("<p><h2>x</h2></p>", "<h2>"),
    ("<b>top-level inline</b>", "<b>"),
    ("<details><p>no summary</p></details>", "summary"),
    ("<summary>x</summary>", "<summary>"),
    ("<figure><figcaption>no media</figcaption></figure>", "<figure>"),
    ("<p>x<cite>c</cite></p>", "<cite>"),
    ("<p><!-- comment -->x</p>", "comment"),
    ("<!DOCTYPE html><p>x</p>", "declaration"),
    ("<tg-button-row><b>x</b></tg-button-row>", "tg-button"),
    ('<tg-button-row><tg-button type="nope">x</tg-button></tg-button-row>', "type"),
    ("<tg-thinking>only in drafts</tg-thinking>", "tg-thinking"),
    ("<p>lone \ud800 surrogate</p>", "UTF-8"),
    ("<p>x</p><hr>text</hr>", "text"),
]


@pytest.mark.parametrize("html", ACCEPTED)
def test_documented_rich_html_is_accepted(html: str) -> None:
    parsed = validate_rich_html(html)
    assert parsed.blocks and parsed.plain_text.strip()


@pytest.mark.parametrize(("html", "fault"), REFUSED)
def test_anything_else_is_refused_naming_the_fault(html: str, fault: str) -> None:
    with pytest.raises(RichHTMLError) as err:
        validate_rich_html(html)
    assert str(err.value).startswith("Bad Request: ")
    assert fault.lower() in str(err.value).lower(), str(err.value)


def test_media_ids_bind_tg_links_to_input_media() -> None:
    html = '<img src="tg://photo?id=cover"/>'
    assert validate_rich_html(html, frozenset({"cover"})).blocks[0]["type"] == "photo"


# ---------------------------------------------------------------- limits, counted as documented


def test_text_limit_counts_the_source_in_code_points() -> None:
    # Code points of the source (markup included), not UTF-16: an emoji counts once.
    body = "😀" * (MAX_TEXT - len("<p></p>"))
    assert validate_rich_html(f"<p>{body}</p>").counts.text == MAX_TEXT
    with pytest.raises(RichHTMLError, match="RICH_MESSAGE_TOO_LONG"):
        validate_rich_html(f"<p>{body}x</p>")


def test_block_limit_counts_lists_items_tables_and_rows() -> None:
    # one list + 499 items = 500 blocks; one more item is too many
    ok = "<ul>" + "<li>x</li>" * (MAX_BLOCKS - 1) + "</ul>"
    assert validate_rich_html(ok).counts.blocks == MAX_BLOCKS
    with pytest.raises(RichHTMLError, match="BLOCKS_TOO_MANY"):
        validate_rich_html("<ul>" + "<li>x</li>" * MAX_BLOCKS + "</ul>")
    table = "<table>" + "<tr><td>a</td><td>b</td></tr>" * 10 + "</table>"
    assert validate_rich_html(table).counts.blocks == 11  # the table and its rows, not cells
    quote = "<blockquote><p>a</p><p>b</p></blockquote>"
    assert validate_rich_html(quote).counts.blocks == 3


def _nested(levels: int) -> str:
    # blockquote nesting: each level is one more element of depth
    return "<blockquote>" * (levels - 1) + "<p>x</p>" + "</blockquote>" * (levels - 1)


def test_depth_limit_counts_every_element_level() -> None:
    assert validate_rich_html(_nested(MAX_DEPTH)).counts.depth == MAX_DEPTH
    with pytest.raises(RichHTMLError, match="TOO_DEEP"):
        validate_rich_html(_nested(MAX_DEPTH + 1))
    # inline formatting counts as a level too
    assert validate_rich_html("<p><b><i>x</i></b></p>").counts.depth == 3


def test_media_limit() -> None:
    img = '<img src="https://e.com/a.jpg"/>'
    assert validate_rich_html(img * MAX_MEDIA).counts.media == MAX_MEDIA
    with pytest.raises(RichHTMLError, match="MEDIA_TOO_MANY"):
        validate_rich_html(img * (MAX_MEDIA + 1))


# ---------------------------------------------------------------- the stored shape


def test_blocks_keep_structure_links_and_text() -> None:
    parsed = validate_rich_html(
        '<h3><a href="https://e.com/x">Item</a></h3><ol start="4"><li>a</li><li>b</li></ol>'
        "<table><tr><th>h</th></tr><tr><td>c</td></tr></table>"
        '<pre><code class="language-rust">fn main() {}</code></pre>'
    )
    heading, lst, table, pre = parsed.blocks
    assert heading == {
        "type": "heading",
        "size": 3,
        "text": {"type": "url", "text": "Item", "url": "https://e.com/x"},
    }
    assert [i["label"] for i in lst["items"]] == ["4.", "5."]
    assert table["cells"][0][0] == {"text": "h", "is_header": True}
    assert pre == {"type": "pre", "text": "fn main() {}", "language": "rust"}
    assert parsed.plain_text.splitlines() == ["Item", "4. a", "5. b", "h", "c", "fn main() {}"]
