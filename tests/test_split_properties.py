"""Property tests: for GENERATED digests, every message is valid Telegram HTML within the limits,
and the messages together hold all the text and all the links of the digest, in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wcwidth import iter_graphemes

from bot.digest.model import Digest
from bot.digest.split import build_messages
from bot.standin.telegram_html import validate_message
from tests.split_checks import check_digest

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

EMOJI = ["👨‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳", "👍🏽", "😀", "𠀋", "❤️", "🧑‍💻"]
# Letters of several scripts, CJK punctuation, sentence ends, and the characters HTML must escape.
ALPHABET = st.sampled_from(list("abcxyzABC中文日报要点模型。，！？：.!?<&>\"'éß") + EMOJI)

word = st.lists(ALPHABET, min_size=1, max_size=12).map("".join)
# Long runs without any space (CJK prose, URLs-like tokens): the splitter must still cut safely.
long_run = st.tuples(
    st.lists(ALPHABET, min_size=1, max_size=6).map("".join), st.integers(200, 1500)
).map(lambda t: t[0] * t[1])
url = st.integers(0, 10_000).map(lambda n: f'https://example.com/{n}?a=1&b="x"')


def _wrap(fmt: str, text: str) -> str:
    return {
        "b": f"**{text}**",
        "i": f"*{text}*",
        "s": f"~~{text}~~",
        "c": f"`{text}`",
        "cjk": f"**{text}：**后文",
    }[fmt]


inline_piece = st.one_of(
    word,
    word,
    st.tuples(st.sampled_from(["b", "i", "s", "c", "cjk"]), word).map(lambda t: _wrap(*t)),
    st.tuples(word, url).map(lambda t: f"[{t[0]}]({t[1]})"),
    st.tuples(word, url).map(lambda t: f"![{t[0]}]({t[1]})"),
    st.sampled_from(EMOJI),
    st.sampled_from(["<span>", "a < b", "x & y", "&amp;", "&quot;q&quot;", "<br/>"]),
)
paragraph = st.one_of(
    st.lists(inline_piece, min_size=1, max_size=40).map(" ".join),
    long_run,
)


@st.composite
def bullet_list(draw: st.DrawFn, depth: int = 0) -> str:
    items = draw(
        st.lists(
            st.lists(inline_piece, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=12
        )
    )
    ordered = draw(st.booleans())
    lines = []
    for n, item in enumerate(items, 1):
        marker = f"{n}." if ordered else "-"
        lines.append("   " * depth + f"{marker} {item}")
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            lines.append(draw(bullet_list(depth + 1)))
    return "\n".join(lines)


code_fence = st.tuples(
    st.sampled_from(["", "python", "js"]),
    st.lists(st.lists(ALPHABET, max_size=60).map("".join), min_size=1, max_size=120),
).map(lambda t: f"```{t[0]}\n" + "\n".join(line.replace("`", "'") for line in t[1]) + "\n```")


@st.composite
def table(draw: st.DrawFn) -> str:
    cols = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(word, st.tuples(word, url).map(lambda t: f"[{t[0]}]({t[1]})")),
                min_size=cols,
                max_size=cols,
            ),
            min_size=1,
            max_size=80,
        )
    )
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * cols)  # the delimiter row after the header row
    if len(rows) == 1:
        lines.append("| " + " | ".join(["x"] * cols) + " |")
    return "\n".join(lines)


block = st.one_of(
    paragraph,
    paragraph,
    bullet_list(),
    code_fence,
    table(),
    paragraph.map(lambda p: "> " + p),
    st.just("---"),
    st.lists(inline_piece, min_size=1, max_size=5).map(lambda w: "### " + " ".join(w)),
    st.just("<div>raw html block</div>"),
)
section = st.tuples(
    st.lists(inline_piece, min_size=1, max_size=6).map(" ".join), st.lists(block, max_size=12)
)


@st.composite
def digests(draw: st.DrawFn) -> Digest:
    title = draw(st.lists(word, min_size=1, max_size=8).map(" ".join))
    parts = [f"# {title}"] if draw(st.booleans()) else []
    parts += draw(st.lists(block, max_size=3))
    for heading, blocks in draw(st.lists(section, max_size=5)):
        parts.append(f"## {heading}")
        parts += blocks
    summary = draw(st.none() | st.lists(word, max_size=300).map(" ".join))
    cover = draw(st.none() | st.just("https://example.com/cover.png") | st.just("ftp://x/y.png"))
    tags = tuple(
        draw(
            st.lists(
                st.sampled_from(["AI", "AI 日报", "Rust", "2026", "机器学习"]),
                max_size=4,
                unique=True,
            )
        )
    )
    return Digest(
        id="20260101-deadbeef",
        path=Path("generated.md"),
        title=title,
        date=dt.date(2026, 1, 1),
        body="\n\n".join(parts) + "\n",
        tags=tags,
        summary=summary,
        cover_image=cover,
    )


@SETTINGS
@given(digests())
def test_generated_digests_split_into_valid_complete_messages(digest: Digest) -> None:
    check_digest(digest)


@SETTINGS
@given(st.text(max_size=6000), st.text(min_size=1, max_size=80))
def test_arbitrary_text_bodies_never_break_the_limits(body: str, title: str) -> None:
    # Any text at all (markdown or not): valid messages, nothing lost.
    digest = Digest(id="x", path=Path("x.md"), title=title, date=dt.date(2026, 1, 1), body=body)
    check_digest(digest)


CLUSTERS = [*EMOJI, "中", "a", "<", "&", " ", "。"]


@SETTINGS
@given(
    st.tuples(
        st.lists(st.sampled_from(CLUSTERS), min_size=20, max_size=200), st.integers(60, 120)
    ).map(lambda t: "".join(t[0]) * t[1])
)
def test_emoji_and_astral_runs_are_never_cut_inside_a_cluster(text: str) -> None:
    digest = Digest(
        id="x", path=Path("x.md"), title="t", date=dt.date(2026, 1, 1), body="## S\n\n" + text
    )
    messages = build_messages(digest)
    assert len(messages) >= 2
    for m in messages[1:]:
        body = validate_message(m.html).text.removeprefix("S (continued)").removeprefix("S")
        # Any cut inside a cluster would leave a fragment ("👨\u200d", "🇨") that is not one.
        assert set(iter_graphemes(body.strip())) <= set(CLUSTERS)
    check_digest(digest)
