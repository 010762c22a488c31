"""Admin wording: bad files grouped with counts, code instead of backticks, names by title."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.admin_views import bad_files_lines, code_html, digest_name
from bot.i18n import ENGLISH, SIMPLIFIED, use_language
from bot.standin.telegram_html import validate_html

NO_DATE = "no usable date: no `date` in front matter and no YYYY-MM-DD in the file name"


def test_bad_files_are_grouped_by_reason_with_counts() -> None:
    bad = [(f"weekly/issue-{n}.md", NO_DATE) for n in range(50)]
    bad += [("a.md", "YAML error: line 3"), ("b.md", "YAML error: line 3"), ("c.md", "empty")]
    with use_language(ENGLISH):
        lines = bad_files_lines(bad)
    assert lines == [
        "Bad files: 53",
        "• no usable date: no <code>date</code> in front matter and no YYYY-MM-DD in the file "
        "name — 50 files: weekly/issue-0.md, weekly/issue-1.md, weekly/issue-10.md … and 47 "
        "more",
        "• YAML error: line 3 — 2 files: a.md, b.md",
        "• empty — 1 file: c.md",
    ]
    with use_language(SIMPLIFIED):
        zh = bad_files_lines(bad, groups=1)
    assert zh[0] == "有问题的文件：53 个"
    assert zh[-1] == "……另有 3 个文件，原因不同"


@given(st.text(max_size=60))
def test_code_html_is_valid_telegram_html_without_backticks(text: str) -> None:
    html = code_html(text)
    assert "`" not in html
    validate_html(html)  # raises on anything Telegram would refuse


def test_digests_are_named_by_title_and_date() -> None:
    with use_language(ENGLISH):
        assert digest_name("AI <日报>", dt.date(2026, 1, 25)) == (
            "<b>AI &lt;日报&gt;</b> (January 25, 2026)"
        )
    with use_language(SIMPLIFIED):
        assert digest_name("AI 日报", dt.date(2026, 1, 25)) == "<b>AI 日报</b>（2026年1月25日）"
    assert not re.search(r"\d{8}-[0-9a-f]{8}", digest_name("x", dt.date(2026, 1, 25)))
