"""normalize_tag / hashtag: examples and properties that hold for every string."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest.tags import display_tag, hashtag, normalize_tag

PROPS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AI", "ai"),
        ("#AI 日报", "ai日报"),
        ("this-week-in-rust", "thisweekinrust"),
        ("snake_case", "snakecase"),
        ("  ##Rust  ", "rust"),
        ("＃ＡＩ", "ai"),  # full-width hash and letters
        ("Straße", "strasse"),
        ("", ""),
        ("#", ""),
    ],
)
def test_normalize_tag_examples(raw: str, expected: str) -> None:
    assert normalize_tag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AI 日报", "#AI日报"),
        ("#AI 日报", "#AI日报"),
        ("Anthropic Claude", "#AnthropicClaude"),
        ("C++", "#C"),
        ("this-week-in-rust", "#thisweekinrust"),
        ("snake_case", "#snake_case"),
        ("GPT-5.2", "#GPT52"),
        ("हिन्दी समाचार", "#हिन्दीसमाचार"),  # combining vowel signs are kept
        ("2026", ""),  # Telegram does not link a hashtag without a letter
        ("🚀", ""),
        ("   ", ""),
        ("", ""),
    ],
)
def test_hashtag_examples(raw: str, expected: str) -> None:
    assert hashtag(raw) == expected


@PROPS
@given(st.text())
def test_normalize_tag_is_idempotent(raw: str) -> None:
    once = normalize_tag(raw)
    assert normalize_tag(once) == once


@pytest.mark.parametrize(
    "spelling", ["#AI日报", "AI日报", "ai 日报", "AI 日报", "ai-日报", "AI_日报", "＃ＡＩ日报"]
)
def test_spellings_of_one_tag_have_one_key(spelling: str) -> None:
    assert normalize_tag(spelling) == normalize_tag("AI 日报")


def test_title_case_and_kebab_case_are_one_tag() -> None:
    assert normalize_tag("This Week in Rust") == normalize_tag("this-week-in-rust")
    assert normalize_tag("Rust") != normalize_tag("Rust Lang")


@PROPS
@given(st.text())
def test_the_hashtag_the_bot_shows_finds_the_tag(raw: str) -> None:
    # /tag #AI日报 (copied from a digest) must find the digests tagged "AI 日报"
    tag = hashtag(raw)
    if tag:
        assert normalize_tag(tag) == normalize_tag(raw)


@PROPS
@given(
    st.lists(
        st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1), min_size=1, max_size=4
    ),
    st.lists(st.sampled_from([" ", "-", "_", "  ", " - "]), min_size=3, max_size=3),
)
def test_separators_between_words_are_ignored(words: list[str], seps: list[str]) -> None:
    joined = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=False))
    assert normalize_tag(joined) == normalize_tag("".join(words))


@PROPS
@given(st.text())
def test_normalize_tag_ignores_case_hash_and_outer_space(raw: str) -> None:
    base = normalize_tag(raw)
    assert normalize_tag("#" + raw) == base
    assert normalize_tag(f"  {raw}\t") == base
    assert normalize_tag(raw.casefold()) == base
    assert not base.startswith("#")
    assert base == base.strip()


@PROPS
@given(st.text(alphabet=st.characters(codec="ascii", categories=["Lu", "Ll", "Nd", "Zs"])))
def test_normalize_tag_case_insensitive_for_ascii(word: str) -> None:
    # (upper() is not invertible for every script, e.g. dotless 'ı' -> 'I' -> 'i'.)
    assert normalize_tag(word.upper()) == normalize_tag(word.lower()) == normalize_tag(word)


def _hashtag_char(ch: str) -> bool:
    # The rule written out independently: letters, decimal digits, marks, '_', ZWNJ, middle dot.
    cat = unicodedata.category(ch)
    return cat in ("Mn", "Mc", "Nd") or cat[0] == "L" or ch in "_\u200c\u00b7"


@PROPS
@given(st.text())
def test_hashtag_holds_only_hashtag_characters(raw: str) -> None:
    tag = hashtag(raw)
    if tag:
        assert tag[0] == "#"
        body = tag[1:]
        assert body
        assert all(_hashtag_char(ch) for ch in body)
        assert any(unicodedata.category(ch).startswith("L") for ch in body)
        assert " " not in body


@PROPS
@given(st.text())
def test_hashtag_keeps_every_letter_and_digit_in_order(raw: str) -> None:
    kept = [ch for ch in display_tag(raw) if unicodedata.category(ch)[0] == "L" or ch.isdecimal()]
    tag = hashtag(raw)
    if any(unicodedata.category(ch)[0] == "L" for ch in kept):
        assert [ch for ch in tag[1:] if ch in kept or ch.isdecimal()] == kept
    else:
        assert tag == ""


@PROPS
@given(st.text())
def test_hashtag_is_stable(raw: str) -> None:
    tag = hashtag(raw)
    assert hashtag(tag) == tag  # a hashtag maps to itself
    assert hashtag("#" + raw) == tag
