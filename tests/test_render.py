"""One test (or a few) per rendering rule of bot/digest/render.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.digest.links import safe_href
from bot.digest.render import RULE_LINE, render_markdown
from bot.digest.tghtml import html_to_plain, measure, tokenize, utf16_len
from bot.standin.telegram_html import validate_html


def body(md: str, title: str | None = None) -> str:
    r = render_markdown(md, title)
    html = "".join(r.all_blocks())
    validate_html(html)  # every rendering is valid Telegram HTML
    return html


def test_sections_split_at_h2_and_preamble_kept() -> None:
    r = render_markdown("intro\n\n## One *x*\n\npara\n\n## Two\n\n- a\n- b\n")
    assert r.preamble == ["intro\n\n"]
    assert [s.title_html for s in r.sections] == ["One <i>x</i>", "Two"]
    assert [s.title_text for s in r.sections] == ["One x", "Two"]
    assert r.sections[0].blocks == ["para\n\n"]
    assert r.sections[1].blocks == ["• a\n", "• b\n\n"]


def test_headings_become_bold_lines() -> None:
    assert body("### Item\n\n#### Small") == "<b>Item</b>\n\n<b>Small</b>\n\n"
    assert body("### **Bold** *i*") == "<b>Bold <i>i</i></b>\n\n"


def test_h1_equal_to_title_is_dropped_ignoring_case_and_spaces() -> None:
    assert body("# My  Title\n\ntext", "my title") == "text\n\n"
    assert body("# Other\n\ntext", "my title") == "<b>Other</b>\n\ntext\n\n"


def test_lists_bullets_numbers_and_nesting() -> None:
    html = body("- a\n  - b\n    1. c\n- d\n\n3. x\n4. y\n")
    assert html == "• a\n   • b\n      1. c\n• d\n\n3. x\n4. y\n\n"


def test_list_items_are_separate_blocks() -> None:
    r = render_markdown("- a\n- b\n  - c\n")
    assert r.preamble == ["• a\n", "• b\n", "   • c\n\n"]


def test_links_only_safe_schemes_become_links() -> None:
    assert body("[a](https://x.org/p)") == '<a href="https://x.org/p">a</a>\n\n'
    assert body("[t](tg://resolve?domain=x)") == '<a href="tg://resolve?domain=x">t</a>\n\n'
    assert body("[rel](/local) [ftp](ftp://x.org) [anchor](#top)") == "rel ftp anchor\n\n"
    # javascript: is text only, not the raw `[js](javascript:…)` markdown-it would leave
    assert body("[js](javascript:alert(1))") == "js\n\n"


def test_mailto_shows_the_address_as_text() -> None:
    # Telegram turns a mailto: href into http://mailto:x/; it links a bare address itself
    assert body("[mail me](mailto:me@x.org)") == "mail me (me@x.org)\n\n"
    assert body("[me@x.org](mailto:me@x.org?subject=hi)") == "me@x.org\n\n"


def test_link_with_invalid_host_shows_text_then_url() -> None:
    assert body("[repo](https://https://github.com/a/b)") == (
        "repo (https://https://github.com/a/b)\n\n"
    )
    assert body("[local](http://localhost:8080/x)") == "local (http://localhost:8080/x)\n\n"


def test_href_is_escaped() -> None:
    html = body('[q](https://x.org/?a=1&b="2")')
    assert 'href="https://x.org/?a=1&amp;b=%222%22"' in html
    assert validate_html(html).urls == ["https://x.org/?a=1&b=%222%22"]


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://x.org", True),
        ("http:", False),
        ("https://", False),
        ("tg://user?id=1", True),
        ("mailto:", False),
        ("data:text/html,x", False),
    ],
)
def test_safe_href(url: str, ok: bool) -> None:
    assert (safe_href(url) is not None) is ok


def test_emphasis_code_strike() -> None:
    assert body("**b** *i* `c<d` ~~s~~") == "<b>b</b> <i>i</i> <code>c&lt;d</code> <s>s</s>\n\n"


def test_cjk_friendly_emphasis_closes() -> None:
    assert body("**要点：**后文") == "<b>要点：</b>后文\n\n"


def test_code_inside_link_is_plain_text() -> None:
    assert body("[`f()`](https://x.org)") == '<a href="https://x.org">f()</a>\n\n'


def test_fenced_code_keeps_language_and_escapes() -> None:
    html = body("```python\nif a < b & c:\n    pass\n```")
    assert html == (
        '<pre><code class="language-python">if a &lt; b &amp; c:\n    pass</code></pre>\n\n'
    )
    assert body("```\nplain\n```") == "<pre>plain</pre>\n\n"
    assert validate_html(html).languages == ["python"]


def test_table_is_aligned_monospace_pre_with_links_after() -> None:
    html = body("| 名称 | n |\n|---|--:|\n| 中文字 | 1 |\n| [ab](https://x.org) | 22 |\n")
    pre, links = html.split("</pre>")
    lines = html_to_plain(pre).split("\n")
    assert lines == ["名称   |  n", "-------+---", "中文字 |  1", "ab     | 22"]
    assert links == '\n• <a href="https://x.org">ab</a>\n\n'


def test_rule_is_a_separator_line_but_not_at_section_edges() -> None:
    assert body("a\n\n---\n\nb") == f"a\n\n{RULE_LINE}\n\nb\n\n"
    r = render_markdown("## S\n\ntext\n\n---\n\n## T\n\nx")
    assert r.sections[0].blocks == ["text\n\n"]


def test_blockquote_and_no_nested_blockquote() -> None:
    assert body("> a\n>\n> > b") == "<blockquote>a\n\nb</blockquote>\n\n"


def test_images_become_links_to_the_image() -> None:
    assert body("![alt](https://x.org/i.png)") == '<a href="https://x.org/i.png">alt</a>\n\n'
    assert body("![](https://x.org/i.png)") == '<a href="https://x.org/i.png">image</a>\n\n'
    # Inside a link an image cannot be a second link: its alt text stays.
    assert body("[![a](https://x.org/i.png)](https://y.org)") == (
        '<a href="https://y.org">a</a>\n\n'
    )


def test_raw_html_blocks_dropped_unknown_inline_tags_keep_their_text() -> None:
    assert body("<div>\nembed\n</div>\n\n<!-- c -->\n\ntext") == "text\n\n"
    assert body("a <span>x</span> & < b") == "a x &amp; &lt; b\n\n"
    assert body("<small>s</small><sup>2</sup><font color=red>f</font>") == "s2f\n\n"
    assert body("a<br/>b<BR>c") == "a\nb\nc\n\n"


@pytest.mark.parametrize(
    "tag,telegram",
    [
        ("b", "b"),
        ("strong", "b"),
        ("i", "i"),
        ("em", "i"),
        ("u", "u"),
        ("ins", "u"),
        ("s", "s"),
        ("del", "s"),
        ("code", "code"),
    ],
)
def test_supported_inline_html_becomes_formatting(tag: str, telegram: str) -> None:
    assert body(f"a <{tag}>x</{tag}> b") == f"a <{telegram}>x</{telegram}> b\n\n"


def test_inline_html_links_and_media() -> None:
    assert body('<a href="https://x.org">x *y*</a>') == '<a href="https://x.org">x <i>y</i></a>\n\n'
    assert body('<a href="javascript:x()">t</a>') == "t\n\n"
    assert body('<img src="https://x.org/i.png" alt="pic">') == (
        '<a href="https://x.org/i.png">pic</a>\n\n'
    )
    assert body('<video src="https://x.org/v.mp4"></video>') == (
        '<a href="https://x.org/v.mp4">video</a>\n\n'
    )


def test_inline_html_always_nests() -> None:
    assert body("<b>open only") == "<b>open only</b>\n\n"
    assert body("close only</b> x") == "close only x\n\n"
    assert body("<b>a <i>b</b> c</i>") == "<b>a <i>b</i></b> c\n\n"
    assert body("<b></b>x<code><b>y</b></code>") == "x<code>y</code>\n\n"
    assert body("[a <code>c</code>](https://x.org)") == '<a href="https://x.org">a c</a>\n\n'
    assert body('<a href="https://x.org">[in](https://y.org)</a>') == (
        '<a href="https://x.org">in</a>\n\n'
    )


def test_entities_in_source_are_decoded_then_escaped_once() -> None:
    assert body("&quot;x&quot; &amp; &lt;y&gt; &copy;") == '"x" &amp; &lt;y&gt; ©\n\n'


def test_empty_formatting_is_not_emitted() -> None:
    assert "<code>" not in body("a `` `` b")


def test_measure_counts_utf16_and_entities() -> None:
    html = body("**😀** [中](https://x.org) &amp;")
    m = measure(html.rstrip())
    assert m.utf16 == utf16_len("😀 中 &") and m.entities == 2
    assert m.utf16 == validate_html(html.rstrip()).utf16_length


@given(
    st.lists(
        st.sampled_from(["<b>", "</b>", '<a href="x">', "</a>", "&amp;", "&lt;", "&#x27;", "&"])
        | st.sampled_from(["<", ">", ";", "#", "&nbsp;", "&bogus", "&#12;"])
        | st.text(max_size=5),
        max_size=12,
    ).map("".join)
)
def test_html_to_plain_is_the_tokenizers_visible_text(fragment: str) -> None:
    # html_to_plain skips the Token objects for speed; the tokenizer is the definition.
    expected = "".join(t.visible for t in tokenize(fragment) if t.kind in ("text", "entity"))
    assert html_to_plain(fragment) == expected
