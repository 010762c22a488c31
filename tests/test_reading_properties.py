"""Hypothesis properties of the issue-8 rules, for GENERATED input, with TDLib as the reference:
inline HTML, the link policy, headings never ending a message, the auto-detected entity budget
and the markdown summary."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digest.links import _PLAIN_WEB_URL, _web_link_checked, decide
from bot.digest.markdown import parser
from bot.digest.model import Digest
from bot.digest.render import render_blocks, render_digest, render_markdown
from bot.digest.split import build_messages, header_blocks, is_heading_block
from bot.digest.tghtml import html_to_plain, measure
from bot.standin.telegram_html import validate_html
from tests.split_checks import check_digest
from tests.tdlib import entities_as_sent, parse_html
from tests.test_split_properties import digests, inline_piece, word

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- inline HTML

TAGS = ["b", "strong", "i", "em", "u", "ins", "s", "del", "code", "small", "span", "sup", "font"]
# (markdown, the text it must show)
html_piece = st.one_of(
    st.sampled_from(TAGS).map(lambda t: (f"<{t}>", "")),
    st.sampled_from(TAGS).map(lambda t: (f"</{t}>", "")),
    st.sampled_from(
        [
            ('<a href="https://x.org/a">', ""),
            ('<a href="javascript:x()">', ""),
            ("</a>", ""),
            ('<a href="mailto:m@x.org">', ""),
            ("<br>", ""),
            ("<br/>", ""),
            ("<!-- note -->", ""),
            ('<span class="c">', ""),
            ('<img src="https://x.org/i.png" alt="pic">', "pic"),
            ('<video src="https://x.org/v.mp4">', "video"),
        ]
    ),
    st.from_regex(r"[a-zA-Z中文]{1,8}", fullmatch=True).map(lambda w: (w, w)),
    st.sampled_from(
        [
            ("**bold**", "bold"),
            ("*it*", "it"),
            ("`code`", "code"),
            ("[link](https://y.org)", "link"),
        ]
    ),
)


@SETTINGS
@given(st.lists(html_piece, min_size=1, max_size=25))
def test_inline_html_always_gives_valid_telegram_html_and_keeps_text(
    pieces: list[tuple[str, str]],
) -> None:
    html = "".join(render_markdown("x " + " ".join(md for md, _ in pieces)).all_blocks())
    validate_html(html)  # the stand-in: Telegram's rules
    shown = parse_html(html)["text"]  # TDLib accepts it too
    # no tag is ever shown as text, and every word of the source is still there, in order
    assert not re.search(rf"</?(?:{'|'.join(TAGS)})\b", shown)
    assert not re.search(r"<(?:a|img|video|br)\b", shown)
    position = 0
    for _, text in pieces:
        if text:
            found = shown.find(text, position)
            assert found >= 0, (text, shown)
            position = found + len(text)


# ---------------------------------------------------------------- the link policy

host = st.one_of(
    st.sampled_from(
        [
            "x.org",
            "sub.example.com",
            "пример.рф",
            "xn--p1ai.xn--p1ai",
            "1.2.3.4",
            "[::1]",
            "localhost",
            "https",
            "a..b",
            "-a.com",
            "a_b.com",
            "x.123",
            "exa mple.com",
            "a.com:99999",
            "a.com:8080",
            "user@a.com",
            "",
        ]
    ),
    st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True),
)
url = st.one_of(
    st.tuples(
        st.sampled_from(["https://", "http://", "HTTP://", "https://https://"]),
        host,
        st.sampled_from(["", "/", "/p?q=1&r=2", "/a b", "#f", "/中文"]),
    ).map("".join),
    st.sampled_from(
        [
            "mailto:a@b.org",
            "mailto:a@b.org?subject=hi",
            "mailto:",
            "javascript:x()",
            "data:text/html,x",
            "ftp://x.org/f",
            "tg://resolve?domain=abc",
            "tg:",
            "/relative",
            "#anchor",
            "page.html",
            "//x.org/p",
            "file:///etc",
        ]
    ),
)


@SETTINGS
@given(url, word.map(lambda w: re.sub(r"[\[\]<>&*_`\\!~]", "", w) or "t"))
def test_a_link_is_sent_only_when_telegram_keeps_it(href: str, text: str) -> None:
    md = f"[{text}](<{href}>)" if " " in href else f"[{text}]({href})"
    html = "".join(render_markdown(md).all_blocks()).strip()
    validate_html(html)
    entities = parse_html(html)["entities"]
    links = [e["type"]["url"] for e in entities if e["type"]["@type"] == "textEntityTypeTextUrl"]
    href = parser().normalizeLink(href)  # the renderer judges the URL markdown-it hands over
    decision = decide(href)
    if decision.kind == "link":  # what the policy lets through, Telegram keeps
        assert len(links) == 1 and not links[0].startswith("http://mailto:"), (href, links)
    else:
        assert links == [] and "<a " not in html
        assert text in html_to_plain(html)
    if decision.kind == "address":
        assert decision.address is not None and decision.address in html_to_plain(html)
    if decision.kind == "text_and_url":
        assert href in html_to_plain(html)


_label = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?", fullmatch=True)
# ordinary URLs, and near misses the shortcut must leave to the full check (user, port, a
# trailing dot, any character in the path)
shortcut_url = st.tuples(
    st.sampled_from(["http://", "https://", "HTTPS://"]),
    st.sampled_from(["", "", "user@", "a:b@"]),
    st.lists(_label, min_size=1, max_size=5).map(".".join),
    st.from_regex(r"[a-zA-Z]{2,63}", fullmatch=True),
    st.sampled_from(["", "", "", ":80", ":99999", ":0", "."]),
    st.one_of(
        st.just(""),
        st.from_regex(r"[/?#][!-~]{0,20}", fullmatch=True),
        st.tuples(st.sampled_from("/?#"), st.text(max_size=8)).map("".join),
    ),
).map(lambda t: f"{t[0]}{t[1]}{t[2]}.{t[3]}{t[4]}{t[5]}")


@given(shortcut_url)
def test_the_plain_web_url_shortcut_accepts_only_what_the_full_check_accepts(href: str) -> None:
    # _web_link_ok answers from one regex for ordinary URLs; it must never let through a URL the
    # full check (urlsplit, port, host rules: the rule TDLib is tested against above) refuses.
    if _PLAIN_WEB_URL.match(href):
        assert _web_link_checked(href), href


@SETTINGS
@given(shortcut_url)
def test_a_shortcut_url_is_kept_as_a_link_by_telegram(href: str) -> None:
    if not _PLAIN_WEB_URL.match(href):
        return  # over 253 host characters, or a character outside the shortcut: the long way
    html = "".join(render_markdown(f"[t](<{href}>)").all_blocks()).strip()
    entities = parse_html(html)["entities"]
    assert [e["type"]["@type"] for e in entities] == ["textEntityTypeTextUrl"], (href, html)


def test_the_shortcut_covers_ordinary_links_and_leaves_the_rest_to_the_full_check() -> None:
    assert _PLAIN_WEB_URL.match("https://example.com/a?b=1#c")
    for other in (
        "https://a.com:8080/",
        "https://user@a.com/",
        "https://1.2.3.4/",
        "https://中文.cn/",
    ):
        assert not _PLAIN_WEB_URL.match(other), other


# ---------------------------------------------------------------- headings never end a message

label = st.tuples(word, st.sampled_from(["：", ":", ""])).map(lambda t: f"**{t[0]}{t[1]}**")
heading = st.lists(inline_piece, min_size=1, max_size=4).map(lambda w: "### " + " ".join(w))
big_paragraph = st.integers(100, 900).map(lambda n: "长文本。" * n)


@st.composite
def heading_digests(draw: st.DrawFn) -> Digest:
    blocks = draw(
        st.lists(
            st.one_of(
                label, heading, big_paragraph, st.lists(word, min_size=1, max_size=30).map(" ".join)
            ),
            min_size=1,
            max_size=14,
        )
    )
    body = "## S\n\n" + "\n\n".join(blocks) + "\n\n## T\n\n" + "\n\n".join(reversed(blocks))
    return Digest(id="x", path=Path("x.md"), title="T", date=dt.date(2026, 1, 1), body=body)


@SETTINGS
@given(heading_digests())
def test_no_message_ends_on_a_heading_unless_its_section_does(digest: Digest) -> None:
    rendered, messages = check_digest(digest)
    ends_on_heading = {
        s.title_text for s in rendered.sections if not s.blocks or is_heading_block(s.blocks[-1])
    }
    for n, msg in enumerate(messages):
        last = msg is messages[-1] or messages[n + 1].section != msg.section
        if not (last and msg.section in ends_on_heading):
            assert not is_heading_block(msg.html.rstrip().rsplit("\n", 1)[-1]), msg.html[-200:]


# ---------------------------------------------------------------- the entity budget

auto_piece = st.one_of(
    st.integers(0, 10**6).map(lambda n: f"@user{n}"),
    st.integers(0, 10**6).map(lambda n: f"#tag{n}"),
    st.integers(0, 10**6).map(lambda n: f"https://e{n}.com/x"),
    st.integers(0, 10**6).map(lambda n: f"a{n}@mail.org"),
    st.sampled_from(["/start", "$USD", "file.py", "e.g.", "v1.2"]),
    st.integers(0, 10**6).map(lambda n: f"**b{n}**"),
    st.integers(0, 10**6).map(lambda n: f"[l{n}](https://l{n}.org)"),
    word,
)


@SETTINGS
@given(
    st.lists(st.lists(auto_piece, min_size=1, max_size=80).map(" ".join), min_size=1, max_size=8),
    st.lists(
        st.sampled_from(["AI", "Rust", "机器学习", "AI 日报", "2026"]), max_size=5, unique=True
    ),
)
def test_every_message_holds_at_most_100_entities_as_telegram_counts(
    paragraphs: list[str], tags: list[str]
) -> None:
    body = "## S\n\n" + "\n\n".join(paragraphs)
    digest = Digest(
        id="x", path=Path("x.md"), title="T", date=dt.date(2026, 1, 1), body=body, tags=tuple(tags)
    )
    _, messages = check_digest(digest)
    for msg in messages:
        sent = entities_as_sent(msg.html)
        assert len(sent) <= 100
        assert measure(msg.html).entities >= len(sent)


# ---------------------------------------------------------------- the summary is markdown

summary_md = st.lists(
    st.one_of(
        st.lists(inline_piece, min_size=1, max_size=6).map(lambda w: "- " + " ".join(w)),
        st.lists(inline_piece, min_size=1, max_size=10).map(" ".join),
    ),
    min_size=1,
    max_size=6,
).map("\n".join)


@SETTINGS
@given(digests(), summary_md)
def test_summary_renders_like_the_body(digest: Digest, summary: str) -> None:
    digest = Digest(**{**digest.__dict__, "summary": summary})
    header = "".join(header_blocks(digest))
    # the same blocks the body renderer makes of that markdown (bullets, links, emphasis)
    as_body = render_digest(Digest(**{**digest.__dict__, "body": summary, "title": "-"}))
    assert "".join(render_blocks(summary)).strip() in header
    if not as_body.sections:
        assert "".join(as_body.preamble).strip() == "".join(render_blocks(summary)).strip()
    check_digest(digest)
    assert build_messages(digest)
