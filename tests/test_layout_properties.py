"""Property tests of the rich and compact layouts over GENERATED digests (tests/layout_checks.py
says what is checked), reusing the digest generator of the classic splitter's property tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digest.model import Digest
from tests.layout_checks import check_compact, check_rich
from tests.test_split_properties import digests

# fewer examples than the classic splitter's properties: each one renders in two layouts and
# runs the strict validators (the corpus test covers 259 real digests besides)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(digests())
def test_generated_digests_give_valid_complete_rich_messages(digest: Digest) -> None:
    check_rich(digest)


@SETTINGS
@given(digests())
def test_generated_digests_give_valid_complete_compact_messages(digest: Digest) -> None:
    check_compact(digest)


@SETTINGS
@given(st.text(max_size=4000), st.text(min_size=1, max_size=80).filter(str.strip))
def test_arbitrary_text_bodies_give_valid_rich_messages(body: str, title: str) -> None:
    digest = Digest(id="x", path=Path("x.md"), title=title, date=dt.date(2026, 1, 1), body=body)
    check_rich(digest)


# Digests beyond one rich message: long lists (blocks), long code and text runs (characters),
# many sections; the splitter must cut them into several valid messages and lose nothing.
_big_list = st.tuples(st.booleans(), st.integers(150, 700), st.integers(1, 40)).map(
    lambda t: "\n".join(
        f"{n + t[2]}{'.' if t[0] else ''} item{n} [l{n}](https://e.com/{n})".replace(
            f"{n + t[2]} ", "- " if not t[0] else f"{n + t[2]} "
        )
        for n in range(t[1])
    )
)
_big_code = st.integers(1000, 4000).map(
    lambda n: "```py\n" + "\n".join(f"line {i} <&> x" for i in range(n)) + "\n```"
)
_big_text = st.tuples(st.sampled_from(["中文", "ab", "&<", "😀"]), st.integers(5000, 20000)).map(
    lambda t: t[0] * t[1]
)
_big_table = st.integers(100, 600).map(
    lambda n: (
        "| a | b |\n|---|---|\n" + "\n".join(f"| r{i} | [x](https://t.com/{i}) |" for i in range(n))
    )
)


@st.composite
def big_digests(draw: st.DrawFn) -> Digest:
    parts = []
    for s in range(draw(st.integers(1, 6))):
        parts.append(f"## Section {s}")
        parts += draw(
            st.lists(
                st.one_of(_big_list, _big_code, _big_text, _big_table, st.just("Short paragraph.")),
                min_size=1,
                max_size=3,
            )
        )
    return Digest(
        id="big",
        path=Path("big.md"),
        title="Big",
        date=dt.date(2026, 1, 1),
        body="\n\n".join(parts) + "\n",
        tags=("Rust",),
        summary="- one\n- two",
        cover_image="https://example.com/c.png",
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(big_digests())
def test_big_digests_are_cut_into_several_valid_complete_rich_messages(digest: Digest) -> None:
    parsed = check_rich(digest)
    total = sum(p.counts.text for p in parsed)
    if total > 32768:
        assert len(parsed) >= 2
