"""Reader texts: summary bullets kept, links labelled by part, examples from the content."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import ENGLISH, SIMPLIFIED, use_language
from bot.reader_text import help_examples, part_label, posted_line, summary_lines
from bot.standin.telegram_html import validate_html


def test_summary_keeps_lines_and_bullets() -> None:
    summary = "今日要点：\n- 通义千问发布 Qwen3\n* 谷歌更新 Gemini\n\n1. 英伟达 <财报>"
    assert summary_lines(summary) == [
        "今日要点：",
        "• 通义千问发布 Qwen3",
        "• 谷歌更新 Gemini",
        "• 英伟达 &lt;财报&gt;",
    ]
    assert " - " not in "\n".join(summary_lines(summary))


@given(st.text(max_size=300))
def test_summary_lines_are_valid_html_lines(summary: str) -> None:
    lines = summary_lines(summary)
    for line in lines:
        assert "\n" not in line
        validate_html(line)


def test_links_are_labelled_by_part() -> None:
    with use_language(ENGLISH):
        parts = [
            (part_label(0, None), "https://t.me/c/1/10"),
            (part_label(1, "模型"), "https://t.me/c/1/11"),
            (part_label(2, "模型"), "https://t.me/c/1/12"),  # a long section's 2nd part
            (part_label(3, "Tools"), None),
        ]
        line = posted_line(parts)
    assert line == (
        'Already posted here: <a href="https://t.me/c/1/10">header</a>, '
        '<a href="https://t.me/c/1/11">模型</a>, Tools'
    )
    with use_language(SIMPLIFIED):
        assert posted_line([(part_label(0, None), None)]) == "已在本群发布：开头"


def test_examples_come_from_the_newest_digest() -> None:
    with use_language(ENGLISH):
        lines = help_examples(dt.date(2026, 1, 25), "AI 日报：语音模型", ["AI 日报", "rust"])
    assert lines == ["", "<b>Try</b>", "/digest 2026-01-25", "/tag AI 日报", "/search AI"]
    assert help_examples(None, None, []) == []
