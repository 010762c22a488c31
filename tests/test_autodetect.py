"""The auto-detected entity counter against TDLib's own detector (getTextEntities)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.digest.autodetect import auto_entity_starts, count_auto_entities
from tests.tdlib import text_entities

# Pieces that make or break Telegram's matchers: sigils, ASCII/CJK/accented letters, digits,
# non-decimal numbers, combining marks, hashtag extras (ZWNJ, middle dot, Sinhala) and edges.
_SIGIL_PIECES = [
    "a",
    "Z",
    "中",
    "1",
    "_",
    "@",
    "#",
    "$",
    "/",
    "USD",
    "1INCH",
    " ",
    "\n",
    ",",
    "-",
    ":",
    "é",
    "\u0301",
    "²",
    "<",
    ">",
    "·",
    "\u200c",
    "ab",
    "abc",
    "abcd",
    "bot",
    "gif",
    "(",
    ")",
    "'",
    "!",
    "?",
    "&",
    "=",
    "ක",
    "٣",
    "ǅ",
    "ʰ",
    "😀",
]
_URL_PIECES = [
    *_SIGIL_PIECES,
    ".",
    "com",
    ".org",
    ".py",
    "http",
    "https://",
    "//",
    "x@y",
    "1.2.3.4",
    "t.me/x",
    "e.g.",
    "%",
    "~",
    "+",
    "[",
    "]",
    "пример.рф",
    "xn--p1ai",
    "www.",
    "/path",
    "?q=1",
    "#frag",
    "3.14",
    "a.b.c",
    "mailto:",
]


def _texts(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=30).map("".join)


@settings(max_examples=800, deadline=None)
@given(_texts(_SIGIL_PIECES))
def test_mentions_hashtags_commands_cashtags_counted_exactly(text: str) -> None:
    assert count_auto_entities(text) == len(text_entities(text)), (text, text_entities(text))


@settings(max_examples=800, deadline=None)
@example("пример.рф:пример.рф")  # two URLs split at a colon (found by hypothesis)
@example("https://a3.14")  # a numeric top-level domain after a scheme (found by hypothesis)
@given(st.one_of(_texts(_URL_PIECES), st.text(max_size=60)))
def test_never_fewer_than_telegram_detects(text: str) -> None:
    assert count_auto_entities(text) >= len(text_entities(text)), (text, text_entities(text))


def test_each_kind_is_counted() -> None:
    text = "see https://x.org, mail a@b.com, ask @someone #tag /start@my_bot $USD"
    assert [k for _, _, k in text_entities(text)] == [
        "textEntityTypeUrl",
        "textEntityTypeEmailAddress",
        "textEntityTypeMention",
        "textEntityTypeHashtag",
        "textEntityTypeBotCommand",
        "textEntityTypeCashtag",
    ]
    assert count_auto_entities(text) == 6
    assert auto_entity_starts(text) == [4, 24, 37, 46, 51, 65]


def test_plain_prose_has_none() -> None:
    for text in ["3.14 and v0.3.0", "a # b, 50 $ and 1/2", "中文，没有链接。", "me@ home"]:
        assert count_auto_entities(text) == 0 == len(text_entities(text)), text
