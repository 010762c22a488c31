"""Pure views of the reader commands: for ANY titles, tags, summaries and snippets the cards and
paged lists are messages Telegram accepts (checked by the independent validator)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.i18n import ENGLISH, SIMPLIFIED, format_date, use_language
from bot.reader.keys import short_key, tag_key
from bot.reader.service import parse_date_arg
from bot.reader.views import (
    ARCHIVE_PAGE,
    SEARCH_PAGE,
    TAGS_PAGE,
    card_html,
    message_link,
    records_page_html,
    search_page_html,
    tags_page_html,
)
from bot.standin.telegram_html import validate_message
from bot.store import DigestRecord, Page, SearchHit
from bot.textcut import shorten
from handlers.buttons import ArchivePage, SearchPage, TagPage
from handlers.common import echo, pager_row

# Text that stresses escaping and length: markup characters, CJK, astral emoji, ZWJ sequences.
nasty_text = st.lists(
    st.one_of(
        st.sampled_from([*"<>&\"';#*_[]()`\\ \n", "&amp;", "&lt;", "<b>", "</a>"]),
        st.sampled_from(["日报", "人工智能", "👩‍💻", "🇨🇳", "👍🏽", "é", "\u0301", "\u200d"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=120,
).map("".join)
long_text = st.one_of(nasty_text, nasty_text.map(lambda s: s * 20))


@st.composite
def records(draw: st.DrawFn) -> DigestRecord:
    day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
    return DigestRecord(
        id=f"{day:%Y%m%d}-{draw(st.text('0123456789abcdef', min_size=8, max_size=8))}",
        path="x.md",
        date=day,
        title=draw(long_text) or "t",
        tags=tuple(draw(st.lists(nasty_text, max_size=30))),
        summary=draw(st.none() | long_text),
        content_hash="0" * 64,
        sections=tuple(draw(st.lists(long_text, max_size=80))),
    )


def _record(title: str) -> DigestRecord:
    """The record of a digest of 2026-01-25 called `title`, for search hits to point into."""
    return DigestRecord(
        id="20260125-00000000",
        path="a.md",
        date=dt.date(2026, 1, 25),
        title=title,
        tags=(),
        summary=None,
        content_hash="h",
        sections=(),
    )


def _ok(html: str) -> None:
    validate_message(html)  # raises like Telegram's 400 on bad HTML, length or entity count


@settings(max_examples=150, deadline=None)
@given(
    records(),
    st.lists(st.tuples(long_text, st.none() | st.just("https://t.me/c/123/45")), max_size=30),
    st.booleans(),
    st.sampled_from([ENGLISH, SIMPLIFIED]),
)
def test_card_is_always_a_valid_message(
    record: DigestRecord, posted: list[tuple[str, str | None]], with_note: bool, language: str
) -> None:
    note = "No digest for today yet. The newest is from <b>2026-01-25</b>:" if with_note else None
    with use_language(language):
        html = card_html(record, note=note, posted=posted)
        _ok(html)
        assert format_date(record.date) in html


@settings(max_examples=100, deadline=None)
@given(st.lists(records(), max_size=ARCHIVE_PAGE), st.integers(0, 10**6))
def test_records_page_is_always_valid(items: list[DigestRecord], offset: int) -> None:
    page = Page(items, offset + len(items) + 3)
    _ok(records_page_html("<b>Archive</b>", page, offset))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(long_text, st.integers(1, 10**6)), max_size=TAGS_PAGE), st.integers(0, 10**5)
)
def test_tags_page_is_always_valid(tags: list[tuple[str, int]], offset: int) -> None:
    _ok(tags_page_html(tags, offset, offset + len(tags)))


@settings(max_examples=100, deadline=None)
@given(
    long_text.filter(str.strip),
    st.lists(
        st.tuples(
            records(),
            st.none() | long_text,
            long_text,
            long_text,
            st.none() | st.sampled_from(["https://e.com/a?b=1&c=<2>", "javascript:x"]),
        ),
        max_size=SEARCH_PAGE,
    ),
    st.integers(0, 10**5),
)
def test_search_page_is_always_valid(query: str, raw: list, offset: int) -> None:
    hits = [SearchHit(r, section, title, snippet, url) for r, section, title, snippet, url in raw]
    _ok(search_page_html(query, Page(hits, offset + len(hits)), offset))


@settings(max_examples=200, deadline=None)
@example("<\u200d<<", 3)  # a ZWJ waiting for its partner at the cut (found by hypothesis)
@given(nasty_text, st.integers(1, 300))
def test_shorten_never_splits_a_grapheme(text: str, limit: int) -> None:
    out = shorten(text, limit)
    assert len(out) <= max(limit, 1)
    if out.endswith("…") and out != " ".join(text.split()):
        kept = out[:-1]
        assert " ".join(text.split()).startswith(kept)
        if kept:
            # the character after the cut does not glue onto the one before it
            rest = " ".join(text.split())[len(kept.rstrip()) :]
            if rest and kept:
                assert rest[0] != "\u200d" and kept[-1] != "\u200d"
                assert not unicodedata.combining(rest[0])
    else:
        assert out == " ".join(text.split())


def test_shorten_keeps_emoji_sequences_whole() -> None:
    family = "👩‍👩‍👧‍👦"
    for limit in range(1, 12):
        out = shorten("ab" + family + "cd" * 10, limit)
        assert "\u200d" not in out or family in out
    assert shorten("🇨🇳🇯🇵🇺🇸", 4) == "🇨🇳…"


@given(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)))
def test_dates_parse_in_both_spellings(day: dt.date) -> None:
    assert parse_date_arg(f"{day:%Y-%m-%d}") == day
    assert parse_date_arg(f"{day:%Y%m%d}") == day


def test_not_dates() -> None:
    for text in ["", "yesterday", "2026-02-30", "2026-13-01", "2026/01/25", "<b>"]:
        assert parse_date_arg(text) is None


def test_message_links() -> None:
    assert message_link(-1001234567890, None, None, 5) == "https://t.me/c/1234567890/5"
    assert message_link(-1001234567890, None, 42, 5) == "https://t.me/c/1234567890/42/5"
    assert message_link(-1001234567890, "news", None, 5) == "https://t.me/news/5"
    assert message_link(-4567, None, None, 5) is None  # basic group: Telegram has no link


@settings(max_examples=200, deadline=None)
@given(nasty_text, st.integers(0, 10**9))
def test_callback_data_fits_64_bytes(text: str, offset: int) -> None:
    for kind, key in ((TagPage, tag_key(text)), (SearchPage, short_key(text))):
        row = pager_row(lambda at, kind=kind, key=key: kind(at, key), offset, offset + 100, 10)
        for button in row:
            assert len(button.callback_data.encode()) <= 64
    assert len(ArchivePage(offset).pack().encode()) <= 64


def test_tag_key_merges_spellings_the_store_merges() -> None:
    assert tag_key("#AI 日报") == tag_key("ai 日报") != tag_key("ai")


@given(nasty_text)
def test_echo_is_escaped(text: str) -> None:
    out = echo(text)
    assert "<" not in out and ">" not in out
    validate_message(out or ".")


def test_pager_buttons() -> None:
    assert pager_row(ArchivePage, 0, 5, 10) == []  # one page: no pager
    labels = [b.callback_data for b in pager_row(ArchivePage, 10, 35, 10)]
    assert labels == ["a:0", "n", "a:20"]
    assert [b.text for b in pager_row(ArchivePage, 30, 35, 10)][-1] == "4/4"


def test_a_search_hit_does_not_repeat_its_title_in_the_snippet() -> None:
    record = _record("Issue")
    hit = SearchHit(
        record,
        "Robots",
        "Grasping hits 99%",
        "Grasping hits 99% A new method adds touch.",
        "https://e.com/r",
    )
    html = search_page_html("new touch", Page([hit], 1), 0)
    assert html.count("Grasping hits 99%") == 1
    assert "A <b>new</b> method adds <b>touch</b>." in html


def test_a_search_hit_is_its_item_title_linked_plus_where_it_appeared() -> None:
    record = _record("AI 日报")
    hit = SearchHit(record, "模型", "通义千问发布", "通义千问发布 新的语音模型", "https://e.com/q")
    with use_language(ENGLISH):
        lines = search_page_html("语音", Page([hit], 1), 0).splitlines()
    assert lines == [
        "<b>Search</b> “语音” — 1–1 of 1",
        "",
        '1. <a href="https://e.com/q">通义千问发布</a>',
        "<i>AI 日报 · January 25, 2026 · 模型</i>",
        "新的<b>语音</b>模型",
    ]
    with use_language(SIMPLIFIED):
        lines = search_page_html("语音", Page([hit], 1), 0).splitlines()
    assert lines[0] == "<b>搜索</b>“语音” — 第 1–1 条，共 1 条"
    assert lines[3] == "<i>AI 日报 · 2026年1月25日 · 模型</i>"


def test_a_capped_search_total_reads_as_a_lower_bound() -> None:
    record = _record("Issue")
    hit = SearchHit(record, None, "Item", "Item text")
    with use_language(ENGLISH):
        assert "1–1 of 1000+" in search_page_html("item", Page([hit], 1000, capped=True), 0)
        assert "1–1 of 7" in search_page_html("item", Page([hit], 7), 0)
