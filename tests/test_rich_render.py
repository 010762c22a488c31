"""The rich layout's renderer and splitter: each element the issue lists, in the block shape the
fake server stores (bot/standin/rich_html.py is the referee), and the cuts of long digests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.digest.model import Digest
from bot.digest.rich_split import MAX_BLOCKS, build_rich_messages
from bot.standin.rich_html import plain, validate_rich_html


def _digest(body: str, **kw: Any) -> Digest:
    base: dict[str, Any] = {
        "id": "20260101-00000000",
        "path": Path("d.md"),
        "title": "Daily",
        "date": dt.date(2026, 1, 1),
        "body": body,
    }
    return Digest(**{**base, **kw})


def _blocks(digest: Digest) -> list[dict[str, Any]]:
    messages = build_rich_messages(digest)
    assert len(messages) == 1
    return validate_rich_html(messages[0].html).blocks


def _body_blocks(body: str) -> list[dict[str, Any]]:
    return _blocks(_digest(body))[2:]  # after the title heading and the date paragraph


def test_header_title_date_hashtags_summary_list_and_cover_with_caption() -> None:
    blocks = _blocks(
        _digest(
            "",
            tags=("AI", "AI 日报"),
            summary="- first\n- second",
            cover_image="https://example.com/c.png",
        )
    )
    cover, title, meta, summary = blocks
    assert cover == {
        "type": "photo",
        "url": "https://example.com/c.png",
        "caption": {"text": "Daily"},
    }
    assert title == {"type": "heading", "size": 1, "text": "Daily"}
    assert meta == {"type": "paragraph", "text": ["2026-01-01", "\n", "#AI #AI日报"]}
    assert summary["type"] == "list"
    assert [plain(i["blocks"][0]["text"]) for i in summary["items"]] == ["first", "second"]


def test_cover_caption_left_out_when_too_long_and_non_http_cover_dropped() -> None:
    long_title = "T" * 1100
    cover = _blocks(_digest("", title=long_title, cover_image="https://e.com/c.png"))[0]
    assert cover == {"type": "photo", "url": "https://e.com/c.png"}
    assert _blocks(_digest("", cover_image="ftp://e.com/c.png"))[0]["type"] == "heading"


def test_sections_and_items_keep_their_links() -> None:
    blocks = _body_blocks("## News *today*\n\n### [Item](https://e.com/i)\n\ntext\n")
    assert blocks[0] == {
        "type": "heading",
        "size": 2,
        "text": ["News ", {"type": "italic", "text": "today"}],
    }
    assert blocks[1] == {
        "type": "heading",
        "size": 3,
        "text": {"type": "url", "text": "Item", "url": "https://e.com/i"},
    }
    assert blocks[2] == {"type": "paragraph", "text": "text"}


def test_a_title_h1_in_the_body_is_not_repeated() -> None:
    assert _body_blocks("# Daily\n\nx\n") == [{"type": "paragraph", "text": "x"}]


def test_nested_and_numbered_lists() -> None:
    (lst,) = _body_blocks("3. one\n   - inner **b**\n4. two\n")
    assert [i["label"] for i in lst["items"]] == ["3.", "4."]
    first = lst["items"][0]["blocks"]
    assert first[0] == {"type": "paragraph", "text": "one"}  # text in a <p>: never mixed
    assert first[1]["type"] == "list"
    assert first[1]["items"][0]["blocks"][0]["text"] == ["inner ", {"type": "bold", "text": "b"}]


def test_tables_up_to_20_columns_are_tables_wider_ones_pre() -> None:
    (table,) = _body_blocks("| a | b |\n|:-|-:|\n| [x](https://e.com) | |\n")
    assert table["is_bordered"]
    assert table["cells"][0] == [
        {"text": "a", "is_header": True, "align": "left"},
        {"text": "b", "is_header": True, "align": "right"},
    ]
    assert table["cells"][1][0]["text"] == {"type": "url", "text": "x", "url": "https://e.com"}
    assert table["cells"][1][1]["text"] == "\u00a0"  # an empty cell is never empty
    wide = (
        "|"
        + "|".join(f"c{i}" for i in range(21))
        + "|\n|"
        + "-|" * 21
        + "\n|"
        + "|".join(f"[v{i}](https://e.com/{i})" for i in range(21))
        + "|\n"
    )
    pre, links = _body_blocks(wide)
    assert pre["type"] == "pre" and "c20" in pre["text"]
    assert [i["blocks"][0]["text"]["url"] for i in links["items"]][-1] == "https://e.com/20"
    exact = "|" + "|".join(f"c{i}" for i in range(20)) + "|\n|" + "-|" * 20 + "\n"
    assert _body_blocks(exact)[0]["type"] == "table"


def test_code_quotes_rules_and_inline_formatting_as_classic() -> None:
    blocks = _body_blocks(
        "```python\nprint(1 < 2)\n```\n\n> quoted *it*\n\n---\n\n"
        "a `code` ~~s~~ [`x`](https://e.com) [bad](javascript:alert(1)) "
        "![pic](https://e.com/p.png) <span>raw</span>\nline\n"
    )
    assert blocks[0] == {"type": "pre", "text": "print(1 < 2)", "language": "python"}
    assert blocks[1] == {
        "type": "blockquote",
        "blocks": [{"type": "paragraph", "text": ["quoted ", {"type": "italic", "text": "it"}]}],
    }
    assert blocks[2] == {"type": "divider"}
    text = blocks[3]["text"]
    assert plain(text) == "a code s x bad pic raw\nline"  # the link policy of links.py
    parts = [t for t in text if isinstance(t, dict)]
    assert parts == [
        {"type": "code", "text": "code"},
        {"type": "strikethrough", "text": "s"},
        {"type": "url", "text": "x", "url": "https://e.com"},  # no code inside a link
        {"type": "url", "text": "pic", "url": "https://e.com/p.png"},
    ]  # an image: a link


def test_link_policy_and_inline_html_as_classic() -> None:
    (para,) = _body_blocks(
        "[mail](mailto:a@b.org) [bad host](https://https://x.org/p) [res](tg://resolve?domain=x) "
        '[me](tg://user?id=42) <b>bold <a href="https://e.com/h">html link</a></b> '
        '<img src="https://e.com/i.png" alt="pic"> <sup>gone</sup> a<br>b\n'
    )
    text = para["text"]
    assert plain(text) == (
        "mail (a@b.org) bad host (https://https://x.org/p) "
        "res (tg://resolve?domain=x) me bold html link pic gone a\nb"
    )
    links = [t for t in text if isinstance(t, dict)]
    assert links == [
        {"type": "url", "text": "me", "url": "tg://user?id=42"},
        {
            "type": "bold",
            "text": ["bold ", {"type": "url", "text": "html link", "url": "https://e.com/h"}],
        },
        {"type": "url", "text": "pic", "url": "https://e.com/i.png"},
    ]


def test_depth_never_exceeds_16_deep_lists_and_quotes_are_flattened() -> None:
    # 9 list levels: the deepest the dialect parses (markdown-it maxNesting 20, as classic)
    body = "".join("   " * i + "- level" + str(i) + "\n" for i in range(9))
    body += "\n" + ">" * 15 + " deep ***~~x~~***\n"
    (message,) = build_rich_messages(_digest(body))
    parsed = validate_rich_html(message.html)
    assert parsed.counts.depth <= 16
    for i in range(9):
        assert f"level{i}" in parsed.plain_text
    assert "deep x" in parsed.plain_text


# ---------------------------------------------------------------- cutting into several messages


def test_a_long_digest_is_cut_at_section_boundaries() -> None:
    para = "word " * 2000  # ~10 000 characters per section
    body = "".join(f"## S{i}\n\n{para}\n\n" for i in range(8))
    messages = build_rich_messages(_digest(body))
    assert len(messages) >= 3
    for message in messages:
        validate_rich_html(message.html)
        assert message.cost.text <= 32768
    seen = [s for m in messages for s in m.sections]
    assert seen == [None] + [f"S{i}" for i in range(8)]  # no section in two messages
    assert all(validate_rich_html(m.html).blocks[0]["type"] == "heading" for m in messages)


def test_a_section_over_500_blocks_is_cut_between_its_list_items_numbering_on() -> None:
    body = "## Big\n\n" + "".join(f"{n}. item{n}\n" for n in range(1, 801))
    messages = build_rich_messages(_digest(body))
    assert len(messages) == 3  # the header, then the section in two
    labels = []
    for message in messages:
        parsed = validate_rich_html(message.html)
        assert parsed.counts.blocks <= MAX_BLOCKS
        assert parsed.blocks[-1]["type"] != "heading"  # the heading stays with its list
        labels += [i["label"] for b in parsed.blocks if b["type"] == "list" for i in b["items"]]
    assert labels == [f"{n}." for n in range(1, 801)]


def test_one_huge_code_block_is_cut_between_lines() -> None:
    code = "\n".join(f"line {i} & <tag>" for i in range(4000))
    messages = build_rich_messages(_digest(f"## Code\n\n```sh\n{code}\n```\n"))
    assert len(messages) >= 3
    texts = []
    for message in messages:
        for block in validate_rich_html(message.html).blocks:
            if block["type"] == "pre":
                assert block["language"] == "sh"
                texts.append(block["text"])
    assert "".join(texts) == code


def test_a_section_cut_across_messages_goes_on_under_its_continued_heading() -> None:
    # as the classic layout's "(continued)" line: the second message says where it belongs
    body = "## Big\n\n" + "".join(f"{n}. item{n}\n" for n in range(1, 801))
    body += "\n## 长篇\n\n" + "".join(f"- 条目{n}\n" for n in range(1, 801))
    messages = build_rich_messages(_digest(body))
    heads = [validate_rich_html(m.html).blocks[0] for m in messages]
    titles = [plain(h["text"]) if h["type"] == "heading" else None for h in heads]
    assert titles == ["Daily", "Big", "Big (continued)", "长篇", "长篇（续）"]
    assert all(h["type"] == "heading" and h["size"] == 2 for h in heads[1:])


def test_a_new_section_with_the_same_title_is_not_a_continuation() -> None:
    para = "word " * 8000  # 40 000 characters: each section is cut in two
    body = f"## News\n\n{para}\n\n## News\n\n{para}\n"
    messages = build_rich_messages(_digest(body))
    heads = [plain(validate_rich_html(m.html).blocks[0]["text"]) for m in messages]
    assert heads == ["Daily", "News", "News (continued)", "News", "News (continued)"]
