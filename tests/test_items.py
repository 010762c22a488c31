"""extract_items: plain text items of a digest, from markdown-it tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import frontmatter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.digest.items as items_module
from bot.digest.items import Item, extract_items, extract_items_and_sections
from bot.digest.loader import load_all
from bot.digest.model import Digest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def digest(body: str) -> Digest:
    return Digest(
        id="20260101-00000000", path=Path("x.md"), title="T", date=dt.date(2026, 1, 1), body=body
    )


def test_h3_items_with_section_heading_and_text() -> None:
    body = (
        "# Daily\n\nIntro paragraph.\n\n"
        "## Models\n\n"
        "### [Qwen3 *released*](https://example.com/qwen)\n\n"
        "Alibaba ships **Qwen3** with `code`.\n\n- point one\n- point two\n\n"
        "### Second item\n\nMore text.\n\n"
        "## Tools\n\n### Only one\n\nBody\n"
    )
    items = extract_items(digest(body))
    assert items == [
        Item(None, "Intro paragraph.", "Intro paragraph.", None),
        Item(
            "Models",
            "Qwen3 released",
            "Qwen3 released\nAlibaba ships Qwen3 with code.\npoint one\npoint two",
            "https://example.com/qwen",
        ),
        Item("Models", "Second item", "Second item\nMore text.", None),
        Item("Tools", "Only one", "Only one\nBody", None),
    ]


def test_section_without_h3_gives_list_items_and_paragraphs() -> None:
    body = (
        "## 新闻\n\n"
        "- **标题一**：内容一 [链接](https://a.example/1)\n"
        "- 第二条新闻，没有粗体\n  续行\n"
        "  - 嵌套子项\n\n"
        "结尾段落。\n"
    )
    items = extract_items(digest(body))
    assert [i.title for i in items] == ["标题一", "第二条新闻，没有粗体 续行", "结尾段落。"]
    assert items[0].url == "https://a.example/1"
    assert items[0].text == "标题一：内容一 链接"
    # a nested list stays with its parent item
    assert items[1].text == "第二条新闻，没有粗体 续行\n嵌套子项"
    assert all(i.section == "新闻" for i in items)


def test_no_markup_or_html_leaks() -> None:
    body = (
        "## S\n\n### <b>Bold</b> title\n\n<div>raw <i>html</i> &amp; more</div>\n\n"
        "![alt text](x.png)\n"
    )
    (item,) = extract_items(digest(body))
    assert "<" not in item.text and ">" not in item.text
    assert "raw" in item.text and "& more" in item.text and "alt text" in item.text
    assert item.title == "Bold title"


def test_index_reads_the_renderers_dialect() -> None:
    # the CJK-friendly rule closes `**要点：**`; tables and strikethrough are markup too
    body = "## S\n\n**要点：**后文 ~~旧~~\n\n| a | b |\n|---|---|\n| [x](https://e.com) | y |\n"
    first, table = extract_items(digest(body))
    assert first.text == "要点：后文 旧" and first.title == "要点："
    assert "|" not in table.text and "x" in table.text and table.url == "https://e.com"


def test_item_url_is_a_link_the_messages_carry() -> None:
    (item,) = extract_items(digest("- [a](javascript:x()) [b](mailto:m@x.org) [c](https://c.org)"))
    assert item.url == "https://c.org" and item.text == "a b c"


def test_sections_listed_in_order() -> None:
    _, sections = extract_items_and_sections(digest("## A\n\ntext\n\n## B\n\n## C\n\n- x\n"))
    assert sections == ["A", "B", "C"]


def test_empty_blocks_do_not_make_items() -> None:
    assert extract_items(digest("## A\n\n---\n\n## B\n")) == []


def test_long_titles_are_shortened() -> None:
    (item,) = extract_items(digest("## A\n\n" + "word " * 100 + "\n"))
    assert len(item.title) <= 120 and item.title.endswith("…")
    assert item.text == ("word " * 100).strip()


markdownish = st.lists(
    st.sampled_from([*"ab 中文#*_-[]()`>\n|!~<>&;", "\n## ", "\n### ", "\n- "]),
    max_size=120,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(markdownish)
def test_any_body_gives_clean_items(body: str) -> None:
    items = extract_items(digest(body))
    for item in items:
        assert item.text.strip() and item.title.strip()
        assert item.text == item.text.strip()
        assert "\n\n" not in item.text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="abcdefg中文字", min_size=1, max_size=12), min_size=1, max_size=6))
def test_every_word_of_a_list_is_found_in_some_item(words: list[str]) -> None:
    body = "## S\n\n" + "".join(f"- {w}\n" for w in words)
    items = extract_items(digest(body))
    assert [i.text for i in items] == words


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_corpus_items_have_text() -> None:
    files = sorted(CORPUS.rglob("*.md"))[::10]
    for path in files:
        post = frontmatter.load(path)
        items = extract_items(digest(post.content))
        if "## " in post.content:
            assert items, path
        for item in items:
            assert item.text and "](" not in item.title, path


# --- the plain-text fast path must give exactly what markdown-it's inline parser gives ---

_PLAIN_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


_LINE_TEXT = st.one_of(
    st.text(_PLAIN_CHARS, min_size=1, max_size=40),
    # links and bold runs, the shapes with a fast path of their own, and near misses
    st.tuples(
        st.text(_PLAIN_CHARS, max_size=12),
        st.sampled_from(
            [
                "https://a.example/p?q=1#f",
                "http://a.example",
                "https://A.example/x",
                'b "t"',
                " <b> ",
                "https://a.example/%7e",
                "https://a.example/(x)",
                "a.example/x",
            ]
        ),
    ).map(lambda p: f"[{p[0]}]({p[1]})"),
    st.tuples(
        st.text(_PLAIN_CHARS, min_size=1, max_size=12), st.text(_PLAIN_CHARS, max_size=20)
    ).map(lambda p: f"**{p[0]}**{p[1]}"),
    st.sampled_from(
        [
            '[a](b "t")',
            "[a]( <b> )",
            "**a**b",
            "**a*",
            "[a\\](b)",
            "**中文**：正文",
            "**中文：**正文",
            "**「引号」**后文",
            "前文**粗体**",
            "**a**\n  b",
            "[链接](https://a.example/中)",
        ]
    ),
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["## ", "### ", "- ", "1. ", "", "> "]),
            _LINE_TEXT,
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=150, deadline=None)
def test_fast_path_matches_full_inline_parse(lines: list[tuple[str, str]]) -> None:
    body = "\n\n".join(prefix + text for prefix, text in lines)
    fast = items_module.extract_items_and_sections(digest(body))
    with _always_full_inline_parse():
        full = items_module.extract_items_and_sections(digest(body))
    assert fast == full


def test_fast_path_matches_full_inline_parse_on_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no ../shared/corpus")
    digests, _ = load_all(CORPUS)
    for digest in digests:
        fast = items_module.extract_items_and_sections(digest)
        with _always_full_inline_parse():
            full = items_module.extract_items_and_sections(digest)
        assert fast == full, digest.path


@contextlib.contextmanager
def _always_full_inline_parse():
    """Every fast path off (plain text, lone link, leading bold): markdown-it parses all."""
    saved = items_module._FAST_PATHS
    items_module._FAST_PATHS = False
    try:
        yield
    finally:
        items_module._FAST_PATHS = saved


def _full_inline(content: str) -> list:
    md = items_module._parser()
    tokens: list = []
    md.inline.parse(content, md, {}, tokens)
    return tokens


def _token_key(tokens: list) -> list[tuple]:
    return [(t.type, t.tag, t.nesting, t.level, t.content, t.markup, t.attrs) for t in tokens]


def test_full_inline_parse_context_turns_every_fast_path_off(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(items_module, "_fast_inline", lambda content: calls.append(content))
    body = "## S\n\n### [t](https://a.example/x)\n\n- **b** rest\n- plain\n"
    with _always_full_inline_parse():
        items_module.extract_items_and_sections(digest(body))
    assert calls == []


# inline contents: each fast path must give markdown-it's very tokens, or decline (None)
_INLINE_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "(",
        ")",
        "**",
        "*",
        "a",
        "Zé",
        "中文",
        "：",
        "，",
        "。",
        "「",
        " ",
        "\n",
        "\t",
        "  \n",
        "http://",
        "https://",
        "HTTP://",
        "ex.com",
        "A.b",
        ":8080",
        "/",
        "?q=1",
        "#x",
        "%20",
        "&amp;",
        "\\",
        "<",
        ">",
        ' "t"',
        "_",
        "1",
        ":",
        "'",
        ".",
        "-",
        "!",
        "~",
        "`",
        "@",
        "²",
    ]
)


@given(
    st.one_of(
        st.lists(_INLINE_PIECES, max_size=30).map("".join),
        st.from_regex(items_module._LINK_ONLY, fullmatch=True),
        st.tuples(
            st.from_regex(items_module._LEAD_STRONG, fullmatch=True),
            st.lists(_INLINE_PIECES, max_size=10).map("".join),
        ).map("".join),
        st.sampled_from(
            [
                '[a](b "t")',
                "[a]( <b> )",
                "[a]( https://a.example )",
                '[a](https://a.example "t")',
                "[a\\](b)",
                "[a\\](https://a.example)",
                "[a](https://A.example)",
                "[a](https://a.ex/%7e)",
                "[a](https://a.ex/(x))",
                "[[a]](https://a.ex)",
                "[a](https://a.ex)b",
                "**a**b",
                "**a*",
                "**a** b",
                "**a**\nb",
                "**a** \n  b",
                "**a**",
                "** a**",
                "**a **",
                "**中文**：正文",
                "**中文：**正文",
                "**「中文」**正文",
                "**a**。",
                "**a**_b_",
                "**a**\\",
                "***a***",
            ]
        ),
    ).map(str.strip)
)
@settings(max_examples=300, deadline=None)
def test_fast_inline_gives_markdown_its_tokens(content: str) -> None:
    fast = items_module._fast_inline(content)
    if fast is not None:
        assert _token_key(fast) == _token_key(_full_inline(content)), content


def test_head_text_is_plain_summary_and_search_only_keywords() -> None:
    d = Digest(
        id="x",
        path=Path("x.md"),
        title="T",
        date=dt.date(2026, 1, 1),
        body="",
        summary="- **a**\n- [b](https://e.com)",
        keywords=("seo word", "OpenAI"),
    )
    assert items_module.head_text(d) == "T\na\nb\nseo word OpenAI"
