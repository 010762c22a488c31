"""Unit tests of bot/digest/split.py: header, photo caption, sections, cuts, limits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.digest.model import Digest
from bot.digest.split import CAPTION_LIMIT, continuation_marker
from bot.digest.tghtml import html_to_plain, utf16_len
from bot.standin.telegram_html import validate_message
from tests.split_checks import check_digest


def make(body: str, **kw: object) -> Digest:
    fields: dict = {
        "id": "20260125-0000abcd",
        "path": Path("d.md"),
        "title": "AI 日报",
        "date": dt.date(2026, 1, 25),
        "body": body,
    }
    fields.update(kw)
    return Digest(**fields)


def test_header_title_date_hashtags_summary_then_one_message_per_section() -> None:
    d = make("## 技术\n\n- a\n\n## 产业\n\ntext", tags=("AI", "AI 日报", "2026"), summary="s & t")
    msgs = check_digest(d)[1]
    assert [m.method for m in msgs] == ["sendMessage"] * 3
    assert msgs[0].html == "<b>AI 日报</b>\n2026-01-25\n#AI #AI日报\n\ns &amp; t"
    assert msgs[0].section is None
    assert msgs[1].html == "<b>技术</b>\n\n• a" and msgs[1].section == "技术"
    assert msgs[2].html == "<b>产业</b>\n\ntext" and msgs[2].section == "产业"


def test_preamble_follows_the_header() -> None:
    msgs = check_digest(make("# AI 日报\n\nintro text\n\n## S\n\nx"))[1]
    assert msgs[0].html == "<b>AI 日报</b>\n2026-01-25\n\nintro text"


def test_cover_image_caption_when_header_fits() -> None:
    msgs = check_digest(make("## S\n\nx", cover_image="https://x.org/c.png", summary="short"))[1]
    assert msgs[0].method == "sendPhoto" and msgs[0].photo == "https://x.org/c.png"
    assert "short" in msgs[0].html
    assert [m.section for m in msgs[1:]] == ["S"]


def test_cover_image_with_long_summary_sends_short_caption_then_full_header() -> None:
    summary = "长摘要。" * 400  # > 1024 UTF-16 units
    msgs = check_digest(make("## S\n\nx", cover_image="https://x.org/c.png", summary=summary))[1]
    assert msgs[0].method == "sendPhoto" and msgs[0].html == "<b>AI 日报</b>"
    assert msgs[1].method == "sendMessage" and summary in html_to_plain(msgs[1].html)


def test_cover_image_caption_title_truncated_safely() -> None:
    title = "👨‍👩‍👧" * 600
    msgs = check_digest(make("x", title=title, cover_image="https://x.org/c.png"))[1]
    cap = validate_message(msgs[0].html, caption=True)
    assert cap.utf16_length <= CAPTION_LIMIT and cap.text.endswith("👨‍👩‍👧…")


def test_non_http_cover_is_ignored() -> None:
    msgs = check_digest(make("x", cover_image="ftp://x.org/c.png"))[1]
    assert all(m.method == "sendMessage" for m in msgs)


def test_big_section_continues_with_marker_cut_between_items() -> None:
    items = "\n".join(f"- 第{i}条新闻，内容足够长以便填满消息。" + "补充" * 20 for i in range(200))
    msgs = check_digest(make(f"## 大节\n\n{items}"))[1]
    parts = [m for m in msgs if m.section == "大节"]
    assert len(parts) >= 3
    for m in parts[1:]:
        assert m.html.startswith(continuation_marker("大节"))
        assert m.html.startswith("<b>大节</b>（续）")
    for m in parts:  # whole items only: every line is an item
        body = html_to_plain(m.html).split("\n\n", 1)[1]
        assert all(line.startswith("• 第") for line in body.split("\n"))


def test_english_marker() -> None:
    assert continuation_marker("Tools") == "<b>Tools</b> (continued)\n\n"
    assert utf16_len(html_to_plain(continuation_marker("x" * 500))) < 70


def test_long_paragraph_cut_at_sentence_ends() -> None:
    para = "这是一个句子，描述某件事情。" * 600
    msgs = check_digest(make(f"## S\n\n{para}"))[1]
    for m in msgs[1:-1]:
        assert html_to_plain(m.html).endswith("。")


def test_long_english_paragraph_cut_at_spaces_not_in_words() -> None:
    para = " ".join(["word"] * 3000)  # no sentence ends at all
    msgs = check_digest(make(f"## S\n\n{para}"))[1]
    for m in msgs[1:]:
        assert all(w == "word" for w in html_to_plain(m.html).split("\n\n", 1)[1].split())


def test_no_space_run_is_cut_between_graphemes() -> None:
    run = "🧑‍💻中" * 3000
    msgs = check_digest(make(f"## S\n\n{run}"))[1]
    assert len(msgs) >= 3
    for m in msgs[1:]:
        text = html_to_plain(m.html).split("\n\n", 1)[1]
        assert text.replace("🧑‍💻中", "") == ""


def test_bold_cut_is_closed_and_reopened() -> None:
    msgs = check_digest(make("## S\n\n**" + "粗体文字。" * 1500 + "**"))[1]
    assert len(msgs) >= 3
    for m in msgs[1:]:
        assert m.html.rstrip().endswith("</b>")
    for m in msgs[2:]:
        assert m.html.startswith(continuation_marker("S") + "<b>")


def test_code_block_split_stays_pre_in_every_part() -> None:
    code = "\n".join(f"    line_{i} = value  # {'x' * 40}" for i in range(300))
    msgs = check_digest(make(f"## S\n\n```python\n{code}\n```"))[1]
    parts = msgs[1:]
    assert len(parts) >= 3
    for m in parts:
        p = validate_message(m.html)
        assert p.languages == ["python"]
        assert any(e.type == "pre" for e in p.entities)
    # Cut at line ends: every part after the marker starts with a whole, indented line.
    for m in parts[1:]:
        code_text = m.html.split('<code class="language-python">', 1)[1]
        assert code_text.startswith("    line_")


def test_table_split_stays_pre() -> None:
    rows = "\n".join(f"| 名称{i} | {i} |" for i in range(400))
    msgs = check_digest(make(f"## S\n\n| a | b |\n|---|---|\n{rows}"))[1]
    assert len(msgs) >= 3
    assert all("<pre>" in m.html for m in msgs[1:])


def test_entity_limit_cuts_a_block() -> None:
    para = " ".join(f"**b{i}**" for i in range(350))  # one paragraph, 350 entities
    msgs = check_digest(make(f"## S\n\n{para}"))[1]
    assert len(msgs) >= 5
    assert all(len(validate_message(m.html).entities) <= 100 for m in msgs)


def test_many_links_within_entity_limit_and_kept_in_order() -> None:
    items = "\n".join(f"- [l{i}](https://x.org/{i})" for i in range(500))
    _, msgs = check_digest(make(f"## S\n\n{items}"))
    urls = [u for m in msgs for u in validate_message(m.html).urls]
    assert urls == [f"https://x.org/{i}" for i in range(500)]


def test_digest_without_sections_split_by_paragraphs() -> None:
    body = "\n\n".join(f"Paragraph {i}. " + "text " * 150 for i in range(30))
    msgs = check_digest(make(body, title="Weekly"))[1]
    assert len(msgs) >= 4
    assert all(m.section is None for m in msgs)
    assert msgs[1].html.startswith(continuation_marker("Weekly"))


def test_empty_body_gives_only_the_header() -> None:
    msgs = check_digest(make(""))[1]
    assert len(msgs) == 1


def test_huge_section_title_does_not_break_limits() -> None:
    check_digest(make("## " + "标题" * 3000 + "\n\ntext"))


def test_section_title_with_many_links_stays_within_entity_limit() -> None:
    # A `##` line of 120 links is short in characters but over 100 entities on its own.
    title = " ".join(f"[l{i}](https://x.org/{i})" for i in range(120))
    _, msgs = check_digest(make(f"## {title}\n\ntext"))
    assert all(len(validate_message(m.html).entities) <= 100 for m in msgs)


# ---------------------------------------------------------------- issue 8: messages that read well


def _last_line(html: str) -> str:
    return html.rstrip().rsplit("\n", 1)[-1]


def test_summary_is_markdown() -> None:
    d = make("## S\n\nx", summary="- a\n- b\n- [link](https://e.com) *em*")
    msgs = check_digest(d)[1]
    assert msgs[0].html == (
        '<b>AI 日报</b>\n2026-01-25\n\n• a\n• b\n• <a href="https://e.com">link</a> <i>em</i>'
    )


def test_a_label_whose_block_does_not_fit_moves_with_it() -> None:
    filler = "填充文字。" * 700  # 3500 units: the label fits after it, its list does not
    body = f"## S\n\n{filler}\n\n**深度解读 & 洞察：**\n\n- " + "长的要点。" * 200
    msgs = check_digest(make(body))[1][1:]
    assert len(msgs) == 2
    assert _last_line(msgs[0].html) != "<b>深度解读 &amp; 洞察：</b>"
    assert msgs[1].html.startswith(continuation_marker("S") + "<b>深度解读 &amp; 洞察：</b>\n\n• ")


def test_headings_in_a_row_travel_together_with_the_first_block() -> None:
    filler = "x " * 1900
    body = f"## S\n\n{filler}\n\n### One\n\n**Label**\n\n" + "word " * 300
    msgs = check_digest(make(body))[1][1:]
    assert "<b>One</b>\n\n<b>Label</b>\n\nword" in msgs[1].html
    assert not msgs[0].html.rstrip().endswith("</b>")


def test_a_cut_inside_a_block_never_leaves_a_label_line_last() -> None:
    # one paragraph: text, then a bold label line, then its text (soft breaks keep lines)
    body = "## S\n\n" + "a " * 1990 + "\n**要点**\n" + "b " * 1500
    msgs = check_digest(make(body))[1][1:]
    assert len(msgs) >= 2
    for m in msgs:
        assert _last_line(m.html) != "<b>要点</b>"


def test_a_heading_ending_the_preamble_opens_the_first_section() -> None:
    msgs = check_digest(make("intro\n\n# Updates\n\n## Blog posts\n\n- a\n"))[1]
    assert msgs[0].html == "<b>AI 日报</b>\n2026-01-25\n\nintro"
    assert msgs[1].html == "<b>Updates</b>\n\n<b>Blog posts</b>\n\n• a"
    assert msgs[1].section == "Blog posts"


def test_entity_budget_counts_auto_detected_entities() -> None:
    # 60 bold runs + 60 mentions: 120 entities as Telegram counts them, so two messages
    body = "## S\n\n" + "\n".join(f"- **b{n}** @user{n:04d}" for n in range(60))
    msgs = check_digest(make(body))[1][1:]
    assert len(msgs) == 2
    from bot.digest.tghtml import measure

    assert all(measure(m.html).entities <= 100 for m in msgs)
    assert sum(measure(m.html).detected for m in msgs) == 60


def test_entity_budget_inside_one_block_counts_auto_detected_entities() -> None:
    body = "## S\n\n" + " ".join(f"**b{n}** #tag{n}" for n in range(70))  # one paragraph
    msgs = check_digest(make(body))[1][1:]
    from bot.digest.tghtml import measure

    assert len(msgs) == 2 and all(measure(m.html).entities <= 100 for m in msgs)


def test_header_hashtags_count_towards_the_budget() -> None:
    from bot.digest.split import header_blocks
    from bot.digest.tghtml import measure

    d = make("x", tags=("AI", "Rust", "机器学习"))
    assert measure("".join(header_blocks(d))).detected == 3
