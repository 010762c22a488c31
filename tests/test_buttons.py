"""Callback data: every button packs to <= 64 bytes and unpacks to itself; anything else a
client may send unpacks to None (or to a clamped offset), never to an exception."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from handlers.buttons import (
    BUTTON_KINDS,
    MAX_OFFSET,
    ArchivePage,
    Button,
    OpenDay,
    OpenDigest,
    PageCounter,
    SearchPage,
    TagPage,
    TagsPage,
)

WORDS = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
OFFSETS = st.integers(0, MAX_OFFSET)
BUTTONS = st.one_of(
    st.builds(OpenDigest, WORDS),
    st.builds(OpenDay, st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
    st.builds(ArchivePage, OFFSETS),
    st.builds(TagsPage, OFFSETS),
    st.builds(TagPage, OFFSETS, WORDS),
    st.builds(SearchPage, OFFSETS, WORDS),
    st.just(PageCounter()),
)


@given(BUTTONS)
def test_every_button_round_trips_within_64_bytes(button: Button) -> None:
    data = button.pack()
    assert len(data.encode("utf-8")) <= 64
    assert type(button).unpack(data) == button
    # exactly one kind reads it
    assert [kind for kind in BUTTON_KINDS if kind.unpack(data) is not None] == [type(button)]


@given(st.text(max_size=80))
def test_any_data_unpacks_to_a_valid_button_or_none(data: str) -> None:
    for kind in BUTTON_KINDS:
        button = kind.unpack(data)
        if button is not None:
            assert kind.unpack(button.pack()) == button


def test_forged_values_are_rejected_or_clamped() -> None:
    assert ArchivePage.unpack("a:" + "9" * 40) == ArchivePage(MAX_OFFSET)  # no SQLite overflow
    assert SearchPage.unpack("s:-1:abc") is None
    assert OpenDay.unpack("d:20260230") is None
    assert TagPage.unpack("t:1:a:b") is None
    assert OpenDigest.unpack("o:<script>") is None
    assert ArchivePage.unpack("zz:1") is None and ArchivePage.unpack(None) is None


def test_the_wire_format_is_the_one_older_buttons_carry() -> None:
    assert OpenDigest("20260125-1a2b3c4d").pack() == "o:20260125-1a2b3c4d"
    assert OpenDay(dt.date(2026, 1, 20)).pack() == "d:20260120"
    assert TagPage(10, "abcdef0123").pack() == "t:10:abcdef0123"
    assert PageCounter().pack() == "n"
