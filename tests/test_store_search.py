"""Store.search: trigram FTS for 3+ characters, LIKE below; all words must match; no injection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest import sync_content
from bot.store import Store
from bot.store.search import fts_phrase, like_pattern, make_snippet, split_terms

ZH = """## 模型发布

### 阿里发布通义千问 Qwen3 语音模型

阿里巴巴通义千问团队发布了 Qwen3-TTS 语音合成模型，支持多种方言。

### 谷歌更新 Gemini

谷歌推出新的多模态模型，100% 免费试用。

## 行业动态

- **英伟达**：财报超预期，数据中心收入创新高
- 苹果计划在 Siri 中接入大模型
"""

EN = """## Updates from the Community

### Official

- [Announcing Rust 1.90](https://blog.example/rust-1-90)
- Async closures are stable now

### Research

A paper about borrow_checker speed, with 50% fewer false positives.
"""


def write(root: Path, name: str, title: str, date: str, body: str, summary: str = "") -> None:
    extra = f"summary: {summary}\n" if summary else ""
    (root / name).write_text(
        f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}", encoding="utf-8"
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    content = tmp_path / "content"
    content.mkdir()
    write(
        content,
        "2026-01-10-zh.md",
        "AI 日报：语音模型爆发",
        "2026-01-10",
        ZH,
        summary="今日重点是语音合成",
    )
    write(content, "2026-01-11-en.md", "This Week in Rust 600", "2026-01-11", EN)
    write(
        content,
        "2026-01-09-zh.md",
        "AI 日报：旧闻",
        "2026-01-09",
        "## 旧闻\n\n### 英伟达发布新显卡\n\n显卡性能提升。\n",
    )
    s = await Store.open(tmp_path / "db.sqlite3")
    await sync_content(s, content)
    yield s
    await s.close()


async def test_chinese_trigram_search(store: Store) -> None:
    page = await store.search("语音合成", 0, 10)
    titles = [(h.digest.date.day, h.item_title) for h in page.items]
    # the summary pseudo-item (position 0) and the item, newest digest first
    assert titles == [(10, "AI 日报：语音模型爆发"), (10, "阿里发布通义千问 Qwen3 语音模型")]
    assert page.total == 2
    assert "语音合成" in page.items[1].snippet
    assert page.items[1].section == "模型发布"


async def test_chinese_two_character_fallback(store: Store) -> None:
    page = await store.search("英伟", 0, 10)  # shorter than a trigram: LIKE fallback
    assert sorted((h.digest.date.day, h.item_title) for h in page.items) == [
        (9, "英伟达发布新显卡"),
        (10, "英伟达"),
    ]
    one = await store.search("苹", 0, 10)
    assert [h.item_title for h in one.items] == ["苹果计划在 Siri 中接入大模型"]


async def test_english_case_insensitive_and_all_words(store: Store) -> None:
    page = await store.search("ASYNC closures", 0, 10)
    assert [h.item_title for h in page.items] == ["Official"]
    assert page.items[0].snippet.lower().count("async closures") == 1
    assert (await store.search("async nonexistentword", 0, 10)).total == 0
    # a word found in a different item only: no hit (all words must match in one item)
    assert (await store.search("closures borrow_checker", 0, 10)).total == 0
    # a mix of a short and a long word
    mixed = await store.search("Qwen3 方言", 0, 10)
    assert [h.item_title for h in mixed.items] == ["阿里发布通义千问 Qwen3 语音模型"]


async def test_section_title_is_searched_and_url_returned(store: Store) -> None:
    page = await store.search("行业动态", 0, 10)
    assert {h.section for h in page.items} == {"行业动态"} and page.total == 2
    rust = await store.search("Announcing", 0, 10)
    assert rust.items[0].url == "https://blog.example/rust-1-90"


async def test_paging(store: Store) -> None:
    everything = await store.search("模型", 0, 100)
    assert everything.total == len(everything.items) >= 4
    first, second = await store.search("模型", 0, 2), await store.search("模型", 2, 2)
    assert first.items + second.items == everything.items[:4]
    dates = [h.digest.date for h in everything.items]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"unbalanced',
        "*",
        "a*",
        "OR",
        "rust OR",
        "NEAR(",
        "NEAR(a b)",
        "AND NOT",
        "title:rust",
        "^rust",
        "(",
        ")",
        "{a b}",
        "%",
        "_",
        "\\",
        "\x00",
        "-",
        "+",
        ":",
        "'",
        "\ud800",
        "   ",
        "",
    ],
)
async def test_fts_syntax_never_raises(store: Store, query: str) -> None:
    page = await store.search(query, 0, 5)
    assert page.total >= len(page.items)


async def test_wildcards_are_literal(store: Store) -> None:
    assert (await store.search("50%", 0, 10)).total == 1  # only the text with "50%"
    assert (await store.search("%", 0, 10)).total == 2  # "100%" and "50%" items
    assert (await store.search("_", 0, 10)).total == 1  # borrow_checker
    # OR is a word to find ("borrow"), not an operator: "Rust OR zzzz" needs "zzzz" too
    assert (await store.search("OR", 0, 10)).total == 1
    assert (await store.search("Rust", 0, 10)).total > 0
    assert (await store.search("Rust OR zzzz", 0, 10)).total == 0
    assert (await store.search("Rus*", 0, 10)).total == 0  # no prefix queries either


def test_helpers() -> None:
    assert fts_phrase('a"b') == '"a""b"'
    assert like_pattern("5%_\\") == "%5\\%\\_\\\\%"
    assert split_terms(" a  b a \x00c ") == ["a", "b", "c"]
    snippet = make_snippet("x" * 300 + " needle " + "y" * 300, ["NEEDLE"], width=40)
    assert "needle" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert make_snippet("short\ntext", ["zzz"]) == "short text"


words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # the store is read-only in these tests


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(query=words)
async def test_any_query_never_raises(store: Store, query: str) -> None:
    page = await store.search(query, 0, 3)
    assert page.total >= len(page.items)


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURE_OK)
@given(query=st.text(alphabet="asyncrRUSTloe 模型语音英伟达%_", min_size=1, max_size=6))
async def test_hits_contain_every_word(store: Store, query: str) -> None:
    page = await store.search(query, 0, 50)
    for hit in page.items:
        row = await store._one(  # the full text of the hit item
            "SELECT title || ' ' || text || ' ' || ifnull(section, '') FROM items"
            " WHERE digest_id = ? AND position = ?",
            (hit.digest.id, hit.position),
        )
        assert row is not None
        for word in query.split():
            assert word.lower() in row[0].lower()


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
async def test_real_corpus_sync_and_search(tmp_path: Path) -> None:
    """The real Chinese digests (read in place, never copied) index and search cleanly."""
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        report = await sync_content(store, CORPUS / "aicode-ai-daily")
        assert report.added > 100 and report.errors == []
        for query in ("阿里", "多模态", "OpenAI 发布"):
            page = await store.search(query, 0, 20)
            assert page.total > 0, query
            for hit in page.items:
                row = await store._one(
                    "SELECT title || ' ' || text || ' ' || ifnull(section, '') FROM items"
                    " WHERE digest_id = ? AND position = ?",
                    (hit.digest.id, hit.position),
                )
                assert row is not None
                assert all(w.lower() in row[0].lower() for w in query.split())
    finally:
        await store.close()


async def test_search_total_is_capped_and_paging_stays_exact(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past COUNT_CAP matches the total is a lower bound; pages are the same either way."""
    import bot.store.search as search_module

    content = tmp_path / "capped"
    content.mkdir()
    for n in range(12):
        (content / f"2026-02-{n + 1:02d}.md").write_text(
            f"---\ntitle: Day {n}\ndate: 2026-02-{n + 1:02d}\n---\n\n## S\n\n"
            f"### Alpha {n}\n\ncommonword 机 text\n\n### Beta {n}\n\ncommonword 机 more\n",
            encoding="utf-8",
        )
    await sync_content(store, content)
    full = await store.search("commonword 机", 0, 100)
    assert full.total == 24 and not full.capped
    monkeypatch.setattr(search_module, "COUNT_CAP", 5)
    for query in ("commonword", "机", "commonword 机"):
        monkeypatch.setattr(search_module, "COUNT_CAP", 1000)
        full = await store.search(query, 0, 100)  # this query's ranking, uncapped
        monkeypatch.setattr(search_module, "COUNT_CAP", 5)
        first = await store.search(query, 0, 3)
        assert first.capped and first.total == 5, query
        pages = [h for off in range(0, 24, 3) for h in (await store.search(query, off, 3)).items]
        assert [(h.digest.id, h.position) for h in pages] == [
            (h.digest.id, h.position) for h in full.items
        ], query
        last = await store.search(query, 21, 3)
        assert not last.capped and last.total == 24, query


async def test_ranking_title_over_text_over_section_title(tmp_path: Path) -> None:
    """bm25: the word in an item's title ranks first, in its text next, only in the `##`
    section heading last, even when that digest is the newest."""
    content = tmp_path / "ranked"
    content.mkdir()
    write(
        content,
        "a.md",
        "Issue A",
        "2026-03-03",
        "## Kubernetes corner\n\n### Helm charts\n\nCharts for the cluster.\n",
    )
    write(
        content,
        "b.md",
        "Issue B",
        "2026-03-02",
        "## News\n\n### Release notes\n\nThe new Kubernetes scheduler is out today.\n",
    )
    write(
        content,
        "c.md",
        "Issue C",
        "2026-03-01",
        "## News\n\n### Kubernetes 1.40 released\n\nMore of everything.\n",
    )
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        await sync_content(store, content)
        page = await store.search("kubernetes", 0, 10)
        assert [h.item_title for h in page.items] == [
            "Kubernetes 1.40 released",
            "Release notes",
            "Helm charts",
        ]
        assert page.total == 3
    finally:
        await store.close()


async def test_equal_scores_newest_first_and_summary_matches(tmp_path: Path) -> None:
    content = tmp_path / "ties"
    content.mkdir()
    for day in (5, 7, 6):
        write(
            content,
            f"{day}.md",
            f"Day {day}",
            f"2026-03-0{day}",
            "## S\n\n### Same item\n\nIdentical words about quantum chips.\n",
            summary="summaryonlyword here",
        )
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        await sync_content(store, content)
        page = await store.search("quantum", 0, 10)
        assert [h.digest.date.day for h in page.items] == [7, 6, 5]
        summary = await store.search("summaryonlyword", 0, 10)
        assert summary.total == 3 and all(h.position == 0 for h in summary.items)
    finally:
        await store.close()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.lists(st.text(min_size=1, max_size=4), max_size=3))
def test_highlight_keeps_the_text_and_bolds_every_match(text: str, terms: list[str]) -> None:
    import html
    import re

    from bot.highlight import highlight_html

    out = highlight_html(text, terms)
    # the visible text is the original text, character for character
    assert html.unescape(re.sub(r"</?b>", "", out)) == text
    # re.S: a term may hold a newline, and so may its <b>
    bolded = [html.unescape(b) for b in re.findall(r"<b>(.*?)</b>", out, re.S)]
    for piece in bolded:
        assert any(piece.lower() == t.lower() for t in terms)
    # nothing left unbolded that a term matches
    for segment in re.split(r"<b>.*?</b>", out, flags=re.S):
        plain = html.unescape(segment)
        assert not any(re.search(re.escape(t), plain, re.IGNORECASE) for t in terms)


def test_highlight_examples() -> None:
    from bot.highlight import highlight_html

    assert highlight_html("Rust 1.90 & rustc", ["rust"]) == "<b>Rust</b> 1.90 &amp; <b>rust</b>c"
    assert highlight_html("阿里发布通义千问", ["发布", "千问"]) == "阿里<b>发布</b>通义<b>千问</b>"
    assert highlight_html("<b>x</b>", []) == "&lt;b&gt;x&lt;/b&gt;"
