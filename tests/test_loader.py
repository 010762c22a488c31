"""Loader: every front matter variation seen in real digests, the errors, ids, ordering, corpus."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import find, latest
from bot.digest.loader import (
    DraftError,
    iter_digest_files,
    load_all,
    load_digest,
    merge_tags,
    parse_date,
)
from bot.digest.model import Digest, DigestError
from bot.digest.tags import normalize_tag

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ID_RE = re.compile(r"^\d{8}-[0-9a-f]{8}$")

SEED = """---
title: 模型周报：小模型追平旗舰
date: 2026-01-25
category: AI 日报
tags: ["AI","AI 日报"]
seo: ["ai 日报","OpenAI","#AI"]
coverImage: "https://example.com/cover.png"
summary: "- 第一条\\n- 第二条"
---
# 模型周报：小模型追平旗舰

## 技术突破

### [小模型追平旗舰](https://example.com/a)
- 细节。

**深度解读 & 洞察：**
- 洞察。
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def front(body: str = "# T\n\nText.\n", **keys: str) -> str:
    lines = "".join(f"{key}: {value}\n" for key, value in keys.items())
    return f"---\n{lines}---\n{body}"


# ---------------------------------------------------------------------------- seed format


def test_seed_format(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-01-24-uuid.md", SEED)
    digest = load_digest(path, tmp_path)
    assert digest.title == "模型周报：小模型追平旗舰"
    assert digest.date == dt.date(2026, 1, 25)  # front matter wins over the file name
    assert digest.published_at is None
    assert digest.category == "AI 日报"
    # tags + category, deduplicated case-insensitively, '#' ignored, first display kept;
    # seo is search-only
    assert digest.tags == ("AI", "AI 日报")
    assert digest.keywords == ("ai 日报", "OpenAI", "AI")
    assert digest.summary == "- 第一条\n- 第二条"
    assert digest.cover_image == "https://example.com/cover.png"
    assert digest.body.startswith("# 模型周报：小模型追平旗舰\n\n## 技术突破")
    assert "---" not in digest.body.splitlines()[0]
    assert "title:" not in digest.body
    assert digest.extra == {}
    assert digest.path == path


def test_id_is_date_and_sha1_of_relative_posix_path(tmp_path: Path) -> None:
    path = write(tmp_path, "sub dir/2026-01-24 copy.md", SEED)
    digest = load_digest(path, tmp_path)
    expected = "20260125-" + hashlib.sha1(b"sub dir/2026-01-24 copy.md").hexdigest()[:8]
    assert digest.id == expected
    assert ID_RE.match(digest.id)
    # the same file reached through a differently spelled path or root: same id
    digest2 = load_digest(tmp_path / "sub dir" / ".." / "sub dir" / "2026-01-24 copy.md", tmp_path)
    assert digest2.id == expected
    assert load_digest(path, tmp_path / "sub dir" / "..").id == expected
    # a different relative path gives a different id
    other = write(tmp_path, "2026-01-24 copy.md", SEED)
    assert load_digest(other, tmp_path).id != expected


def test_id_without_root_uses_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a/2026-01-24.md", SEED)
    assert load_digest(path).id == "20260125-" + hashlib.sha1(b"2026-01-24.md").hexdigest()[:8]


def test_unknown_keys_kept_in_extra(tmp_path: Path) -> None:
    text = front(title="T", date="2026-01-02", weight="30", linkTitle="01-02", comments="true")
    digest = load_digest(write(tmp_path, "x.md", text))
    assert digest.extra == {"weight": 30, "linkTitle": "01-02", "comments": True}


def test_keys_are_case_insensitive_in_yaml(tmp_path: Path) -> None:
    text = front(Title="Upper", Date="2026-01-02", Tags="a, b", CoverImage="https://x/y.png")
    digest = load_digest(write(tmp_path, "x.md", text))
    assert (digest.title, digest.date, digest.tags) == ("Upper", dt.date(2026, 1, 2), ("a", "b"))
    assert digest.cover_image == "https://x/y.png"


# ---------------------------------------------------------------------------- encodings, newlines


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    digest = load_digest(write(tmp_path, "x.md", b"\xef\xbb\xbf" + SEED.encode()))
    assert digest.title == "模型周报：小模型追平旗舰"
    assert "\ufeff" not in digest.body


def test_crlf_is_normalised(tmp_path: Path) -> None:
    digest = load_digest(write(tmp_path, "x.md", SEED.replace("\n", "\r\n").encode()))
    assert "\r" not in digest.body
    assert digest.summary == "- 第一条\n- 第二条"
    assert digest.date == dt.date(2026, 1, 25)


def test_bom_crlf_and_no_front_matter(tmp_path: Path) -> None:
    raw = "\ufeff# 标题\r\n\r\n## 节\r\n正文\r\n".encode()
    digest = load_digest(write(tmp_path, "2025-06-01.md", raw))
    assert (digest.title, digest.date, digest.body) == (
        "标题",
        dt.date(2025, 6, 1),
        "# 标题\n\n## 节\n正文",
    )


# ---------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "day", "moment"),
    [
        ("2026-01-25", dt.date(2026, 1, 25), None),
        ('"2026-01-25"', dt.date(2026, 1, 25), None),
        ("2026-01-25 08:30", dt.date(2026, 1, 25), dt.datetime(2026, 1, 25, 8, 30)),
        ("2026-01-25T08:30:15", dt.date(2026, 1, 25), dt.datetime(2026, 1, 25, 8, 30, 15)),
        ("2020-12-2", dt.date(2020, 12, 2), None),
        (
            "2026-01-25T23:30:00+08:00",
            dt.date(2026, 1, 25),  # the day as written, not moved to UTC
            dt.datetime(2026, 1, 25, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        ),
        (
            '"2026-01-25 23:30 -05:00"',
            dt.date(2026, 1, 25),
            dt.datetime(2026, 1, 25, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
        ("2026-01-25T07:00:00Z", dt.date(2026, 1, 25), dt.datetime(2026, 1, 25, 7, tzinfo=dt.UTC)),
        ("20260125", dt.date(2026, 1, 25), None),
    ],
)
def test_date_forms(tmp_path: Path, value: str, day: dt.date, moment: dt.datetime | None) -> None:
    digest = load_digest(write(tmp_path, "x.md", front(title="T", date=value)))
    assert digest.date == day
    assert digest.published_at == moment
    if moment is not None:
        assert digest.published_at.utcoffset() == moment.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["2026-01-25.md", "2026-01-25-abc.md", "x-2026-1-25.md", "2026-01-25 copy.markdown"]
)
def test_date_from_file_name_when_front_matter_has_none(tmp_path: Path, name: str) -> None:
    digest = load_digest(write(tmp_path, name, front(title="Hugo page", weight="3")))
    assert digest.date == dt.date(2026, 1, 25)
    assert digest.title == "Hugo page"


def test_hugo_front_matter_without_date_in_nested_folder(tmp_path: Path) -> None:
    text = (
        "---\nlinkTitle: 06-02-日刊\ntitle: 06-02-日刊-AI日报\nweight: 29\n"
        "description: >-\n  折叠的\n  描述\n---\n\n## AI洞察日报 2025/6/2\n\n### 小节\n1. 条目\n"
    )
    path = write(tmp_path, "cn/2025-06/2025-06-02.md", text)
    digest = load_digest(path, tmp_path)
    assert (digest.title, digest.date) == ("06-02-日刊-AI日报", dt.date(2025, 6, 2))
    assert digest.extra["description"] == "折叠的 描述"
    assert digest.body.startswith("## AI洞察日报")


@pytest.mark.parametrize("value", ["2026-02-30", '"2026-13-01"', "yesterday", '"25/01/2026"'])
def test_unreadable_explicit_date_is_an_error(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "2026-01-25.md", front(title="T", date=value))
    with pytest.raises(DigestError) as info:
        load_digest(path)
    assert str(path) in str(info.value)


def test_no_date_anywhere_is_an_error(tmp_path: Path) -> None:
    # ruanyf-weekly shape: no front matter, no date in the name
    path = write(tmp_path, "issue-400.md", "# 科技爱好者周刊（第 400 期）\n\n## 封面图\n\n文字\n")
    with pytest.raises(DigestError) as info:
        load_digest(path)
    assert info.value.path == str(path)
    assert "no usable date" in info.value.reason


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)),
    st.sampled_from(["T", " "]),
    st.booleans(),
    st.one_of(st.none(), st.integers(min_value=-14 * 60, max_value=14 * 60)),
)
def test_parse_date_round_trip(
    moment: dt.datetime, sep: str, padded: bool, offset_minutes: int | None
) -> None:
    moment = moment.replace(microsecond=0)
    day = f"{moment:%Y-%m-%d}" if padded else f"{moment.year}-{moment.month}-{moment.day}"
    text = f"{day}{sep}{moment:%H:%M:%S}"
    tz = None
    if offset_minutes is not None:
        sign = "-" if offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(offset_minutes), 60)
        text += f"{sign}{hours:02d}:{minutes:02d}"
        tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    parsed_day, parsed = parse_date(text)
    assert parsed_day == moment.date()
    assert parsed == moment.replace(tzinfo=tz)
    assert parsed is not None and parsed.utcoffset() == (tz.utcoffset(None) if tz else None)
    assert parse_date(day) == (moment.date(), None)


# ---------------------------------------------------------------------------- tags, summary


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('tags: ["AI", "ai", "#Ai", "Rust"]', ("AI", "Rust")),
        ("tags: Rust", ("Rust",)),
        ("tags: rust, Python ,  AI 日报", ("rust", "Python", "AI 日报")),
        ('tags: "#rust,#Python"', ("rust", "Python")),  # unquoted " #" is a YAML comment
        ("tags: []", ()),
        ("tags:", ()),
        ("weight: 1", ()),
        ("tags:\n  - one\n  - two, three", ("one", "two, three")),  # list items taken whole
        ("tags: [2026, AI]", ("2026", "AI")),
    ],
)
def test_tag_shapes(tmp_path: Path, line: str, expected: tuple[str, ...]) -> None:
    text = f"---\ntitle: T\ndate: 2026-01-01\n{line}\n---\n# T\n\nText.\n"
    assert load_digest(write(tmp_path, "x.md", text)).tags == expected


def test_tags_are_tags_and_category_seo_keywords_feed_search_only(tmp_path: Path) -> None:
    text = front(
        title="T",
        date="2026-01-01",
        tags='["AI"]',
        category="AI 日报",
        seo='["ai 日报", "OpenAI"]',
        keywords="openai, Gemini",
    )
    digest = load_digest(write(tmp_path, "x.md", text))
    assert digest.tags == ("AI", "AI 日报")
    assert digest.keywords == ("ai 日报", "OpenAI", "Gemini")
    assert digest.category == "AI 日报"


def test_draft_is_skipped_by_the_bot_but_loadable(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-01-01.md", front(title="T", draft="true"))
    write(tmp_path, "2026-01-02.md", front(title="U", draft="false"))
    with pytest.raises(DraftError, match="draft"):
        load_digest(path)
    assert load_digest(path, drafts=True).draft
    digests, errors = load_all(tmp_path)
    assert [d.title for d in digests] == ["U"] and errors == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=4))
def test_merge_tags_properties(groups: list[list[str]]) -> None:
    merged = merge_tags(groups)
    keys = [normalize_tag(tag) for tag in merged]
    assert len(keys) == len(set(keys))  # no duplicates under normalisation
    assert all(keys)  # no empty tag
    wanted = {normalize_tag(tag) for group in groups for tag in group} - {""}
    assert set(keys) == wanted  # nothing lost
    assert all(not tag.startswith("#") and tag == tag.strip() for tag in merged)


def test_summary_missing_and_multi_line(tmp_path: Path) -> None:
    plain = load_digest(write(tmp_path, "a.md", front(title="T", date="2026-01-01")))
    assert plain.summary is None
    text = "---\ntitle: T\ndate: 2026-01-01\nsummary: |\n  line one\n  line two\n---\n# T\n\nx\n"
    assert load_digest(write(tmp_path, "b.md", text)).summary == "line one\nline two"


# ---------------------------------------------------------------------------- no front matter


def test_no_front_matter_title_from_first_h1_outside_code(tmp_path: Path) -> None:
    text = "Intro line.\n\n```md\n# not the title\n```\n\n# Real Title #\n\n## Section\n"
    digest = load_digest(write(tmp_path, "2026-03-04-notes.md", text))
    assert digest.title == "Real Title"
    assert digest.date == dt.date(2026, 3, 4)
    assert digest.tags == ()
    assert digest.body == text.strip("\n")


def test_front_matter_without_title_uses_h1(tmp_path: Path) -> None:
    text = front(body="# From Heading\n\nx\n", date="2026-01-01")
    digest = load_digest(write(tmp_path, "x.md", text))
    assert digest.title == "From Heading"


def test_pelican_header(tmp_path: Path) -> None:
    text = (
        "Title: This Week in Example 367\nNumber: 367\nDate: 2020-12-2\n"
        "Category: This Week in Example\nTags: weekly, Rust, rust\n\n"
        "Hello and welcome.\n\n# Quote of the Week\n\nQuote.\n"
    )
    digest = load_digest(write(tmp_path, "2020-12-2-this-week.md", text))
    assert digest.title == "This Week in Example 367"
    assert digest.date == dt.date(2020, 12, 2)
    assert digest.category == "This Week in Example"
    assert digest.tags == ("weekly", "Rust", "This Week in Example")
    assert digest.extra == {"Number": "367"}
    assert digest.body.startswith("Hello and welcome.")
    assert "Title:" not in digest.body


def test_pelican_header_keys_case_insensitive_with_time(tmp_path: Path) -> None:
    text = "TITLE: Loud\ndate: 2013-06-07 18:46\n  \nBody.\n"
    digest = load_digest(write(tmp_path, "post.markdown", text))
    assert (digest.title, digest.published_at) == ("Loud", dt.datetime(2013, 6, 7, 18, 46))
    assert digest.body == "Body."


def test_body_starting_with_key_value_line_is_not_a_header(tmp_path: Path) -> None:
    text = "Note: this is prose.\n\n# Heading\n"
    digest = load_digest(write(tmp_path, "2026-01-01.md", text))
    assert digest.title == "Heading"
    assert digest.body.startswith("Note: this is prose.")


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.md", b"  \n\n\t\n", "empty"),
        ("latin1.md", "# Caf\u00e9\n".encode("latin-1"), "UTF-8"),
        ("broken.md", b"---\ntitle: [unclosed\ndate: 2026-01-01\n---\n# x\n", "YAML"),
        ("tabs.md", b"---\ntitle: a\n\tdate: b: c\n---\nx\n", "YAML"),
        ("list.md", b"---\n- a\n- b\n---\n# T\n", "not key: value"),
        ("open.md", b"---\ntitle: T\ndate: 2026-01-01\n# no closing fence\n", "never closed"),
        ("2026-01-01-notitle.md", b"Just text, no heading.\n", "no title"),
        ("2026-01-01-onlyfm.md", b"---\ntitle: T\ndate: 2026-01-01\n---\n\n", "no content"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(DigestError) as info:
        load_digest(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert reason.lower() in info.value.reason.lower()


def test_missing_file_is_a_digest_error(tmp_path: Path) -> None:
    with pytest.raises(DigestError, match="cannot read"):
        load_digest(tmp_path / "nope.md")


# ---------------------------------------------------------------------------- folders


def test_iter_digest_files(tmp_path: Path) -> None:
    for name in [
        "b.md",
        "a.markdown",
        "sub/c.md",
        "sub/deeper/d.MD",
        "notes.txt",
        ".hidden.md",
        ".git/e.md",
        "sub/.drafts/f.md",
        "README.rst",
        "README.md",
        "sub/SOURCES.md",
        "LICENSE.md",
        "licence-x.md",
        "_index.md",
        "sub/readme-first.markdown",
    ]:
        write(tmp_path, name, "x")
    write(tmp_path, "digest.txt", "\ufeff\n---\ntitle: T\n---\nx")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_digest_files(tmp_path)]
    assert found == [
        "a.markdown",
        "b.md",
        "digest.txt",
        "licence-x.md",
        "sub/c.md",
        "sub/deeper/d.MD",
    ]
    assert iter_digest_files(tmp_path / "missing") == []


def test_hidden_root_itself_is_allowed(tmp_path: Path) -> None:
    write(tmp_path, ".content/2026-01-01.md", "# T\n")
    assert len(iter_digest_files(tmp_path / ".content")) == 1


def test_load_all_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    write(tmp_path, "2026-01-01-a.md", SEED)
    write(tmp_path, "2026-01-02-bad.md", b"\xff\xfe broken")
    write(tmp_path, "z/2026-01-03.md", "# Third\n\nbody\n")
    write(tmp_path, "issue-9.md", "# No date\n")
    digests, errors = load_all(tmp_path)
    assert sorted(d.title for d in digests) == ["Third", "模型周报：小模型追平旗舰"]
    assert sorted(Path(e.path).name for e in errors) == ["2026-01-02-bad.md", "issue-9.md"]
    assert len({d.id for d in digests}) == 2


# ---------------------------------------------------------------------------- latest / find


def _digest(name: str, day: dt.date, at: dt.datetime | None = None) -> Digest:
    return Digest(
        id=f"{day:%Y%m%d}-{name}", path=Path(name), title=name, date=day, body="x", published_at=at
    )


def test_latest_orders_by_date_then_time_then_path() -> None:
    d1 = dt.date(2026, 11, 24)
    d2 = dt.date(2026, 11, 25)
    morning = _digest("m.md", d2, dt.datetime(2026, 11, 25, 8))
    evening = _digest("e.md", d2, dt.datetime(2026, 11, 25, 19, 30, tzinfo=dt.UTC))
    untimed = _digest("z.md", d2)
    older = _digest("zz.md", d1, dt.datetime(2026, 11, 24, 23))
    assert latest([]) is None
    assert latest([older, morning, untimed, evening]) is evening
    assert latest([older, untimed]) is untimed
    assert latest([_digest("a.md", d2), _digest("b.md", d2)]).title == "b.md"  # type: ignore[union-attr]


def test_find_specs() -> None:
    day = dt.date(2026, 11, 25)
    morning = _digest("m.md", day, dt.datetime(2026, 11, 25, 8))
    evening = _digest("e.md", day, dt.datetime(2026, 11, 25, 19))
    other = _digest("o.md", dt.date(2026, 11, 20))
    digests = [evening, other, morning]
    assert find(digests, "2026-11-25") == [morning, evening]  # send order
    assert find(digests, "20261125") == [morning, evening]
    assert find(digests, "latest") == [evening]
    assert find(digests, "2026-11-21") == []
    assert find(digests, "o.md") == [other]
    assert find([], "latest") == []
    with pytest.raises(ValueError):
        find(digests, "2026-02-30")


# ---------------------------------------------------------------------------- real corpus


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@needs_corpus
def test_every_corpus_file_loads_or_names_itself() -> None:
    files = iter_digest_files(CORPUS)
    assert len(files) > 250
    loaded = 0
    for path in files:
        try:
            digest = load_digest(path, CORPUS)
        except DigestError as exc:
            assert exc.path == str(path)
            assert str(path) in str(exc) and exc.reason
            continue
        loaded += 1
        assert digest.title and digest.body and ID_RE.match(digest.id)
        assert "\r" not in digest.body and "\ufeff" not in digest.body
    assert loaded >= 250  # all but the undated ruanyf-weekly issues


@needs_corpus
def test_seed_format_corpus_files_all_load_completely() -> None:
    folder = CORPUS / "aicode-ai-daily"
    files = iter_digest_files(folder)
    assert len(files) >= 100
    for path in files:
        digest = load_digest(path, CORPUS)
        assert digest.title, path
        assert digest.date.year >= 2023, path
        assert digest.tags, path
        assert normalize_tag("AI 日报") in {normalize_tag(t) for t in digest.tags}, path
        assert not digest.body.startswith("---"), path


@needs_corpus
def test_corpus_seed_example() -> None:
    path = CORPUS / "aicode-ai-daily" / "2026-01-24-1d5d715c-5fd3-4aa8-9f60-4d3b817e5820.md"
    digest = load_digest(path, CORPUS)
    assert digest.date == dt.date(2026, 1, 25)
    assert digest.category == "AI 日报"
    assert digest.summary is not None and digest.summary.count("\n") >= 4
    assert digest.body.startswith("# ")


@needs_corpus
def test_corpus_other_shapes() -> None:
    rust = load_digest(CORPUS / "this-week-in-rust" / "2020-12-2-this-week-in-rust.md")
    assert (rust.date, rust.category) == (dt.date(2020, 12, 2), "This Week in Rust")
    assert rust.title.startswith("This Week in Rust")
    hugo = sorted((CORPUS / "hextra-ai-insight-daily" / "cn").glob("*.md"))
    assert hugo and all(load_digest(p).title for p in hugo)
    for path in sorted((CORPUS / "ruanyf-weekly").glob("issue-*.md")):
        with pytest.raises(DigestError, match="no usable date"):
            load_digest(path)


_TAG_WORD = st.text(alphabet="abcAB中文 #", min_size=1, max_size=6).filter(lambda t: t.strip(" #"))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_TAG_WORD, max_size=4),
    st.lists(_TAG_WORD, max_size=4),
    st.lists(_TAG_WORD, max_size=4),
)
def test_seo_and_keywords_never_become_tags(
    tags: list[str], seo: list[str], keywords: list[str]
) -> None:
    import json
    import tempfile

    text = front(
        title="T",
        date="2026-01-01",
        tags=json.dumps(tags, ensure_ascii=False),
        seo=json.dumps(seo, ensure_ascii=False),
        keywords=json.dumps(keywords, ensure_ascii=False),
    )
    with tempfile.TemporaryDirectory() as folder:
        digest = load_digest(write(Path(folder), "x.md", text))
    assert digest.tags == merge_tags([tags])
    assert digest.keywords == merge_tags([seo, keywords])
