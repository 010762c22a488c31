"""Entities Telegram adds by itself: URLs, e-mail addresses, @mentions, #hashtags, /commands and
$cashtags found in the plain text of a message. Each is an entity, and entities past 100 in one
message are silently dropped, so the splitter counts them with its own.

The rules follow TDLib's matchers (td/telegram/MessageEntity.cpp, `match_mentions` and friends);
no Python library exposes them, hence by hand. Mentions, commands, hashtags and cashtags are
matched as TDLib matches them. URL and e-mail detection in TDLib checks top-level domains and
much more; here every run of URL characters holding a `.` + letter (or an IPv4 address) counts
as one, which never counts fewer than Telegram finds (tests compare with TDLib's
getTextEntities): an over-count only splits a message a little earlier.
"""

from __future__ import annotations

import re
import unicodedata

_SIGILS = re.compile(r"[@#/$]")
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo"})
_SHORT_BOTS = frozenset({"gif", "vid", "pic"})
_COMMAND_EDGE = frozenset("/<>")
# A URL or address candidate: a run of the characters a host, path or address is made of, with
# a dot followed by a letter (a top-level domain) or a dotted IPv4 address in it.
_URL_RUN = re.compile(r"[\w.:/?#@\-]+")
# after a `//` TDLib also takes a numeric top-level domain (`https://a3.14`)
_DOT_LETTER = re.compile(r"\.[^\W\d_]|\d\.\d+\.\d+\.\d|//[\w.\-]*\.\w")


def _is_word(ch: str) -> bool:  # TDLib is_word_character: letters, numbers, '_'
    return ch == "_" or ch.isalnum()


def _is_hashtag_letter(ch: str) -> bool:  # TDLib is_hashtag_letter
    if ch in "_\u200c\u00b7" or "\u0d80" <= ch <= "\u0dff":
        return True
    return unicodedata.category(ch) in _LETTER_CATEGORIES or unicodedata.category(ch) == "Nd"


def _ascii_run(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _ASCII_WORD:
        i += 1
    return i


def _mention(text: str, i: int) -> bool:
    if i and _is_word(text[i - 1]):
        return False
    end = _ascii_run(text, i + 1)
    size = end - i - 1
    if not 2 <= size <= 32 or (size < 4 and text[i + 1 : end].lower() not in _SHORT_BOTS):
        return False  # TDLib drops usernames shorter than 4, except three inline bots
    return end == len(text) or not _is_word(text[end])


def _command(text: str, i: int) -> bool:
    if i and (_is_word(text[i - 1]) or text[i - 1] in _COMMAND_EDGE):
        return False
    end = _ascii_run(text, i + 1)
    if not 1 <= end - i - 1 <= 64:
        return False
    if end < len(text) and text[end] == "@":
        bot_end = _ascii_run(text, end + 1)
        if not 3 <= bot_end - end - 1 <= 32:
            return False
        end = bot_end
    return end == len(text) or not (_is_word(text[end]) or text[end] in _COMMAND_EDGE)


def _hashtag(text: str, i: int) -> bool:
    if i and _is_hashtag_letter(text[i - 1]):
        return False
    end, letter = i + 1, False
    while end < len(text) and _is_hashtag_letter(text[end]):
        if end - i <= 256:  # TDLib looks for a letter in the first 256 characters only
            letter = letter or unicodedata.category(text[end]) in _LETTER_CATEGORIES
        end += 1
    if end == i + 1 or (end < len(text) and text[end] == "#"):
        return False
    return letter


def _cashtag(text: str, i: int) -> bool:
    if i and (_is_hashtag_letter(text[i - 1]) or text[i - 1] == "$"):
        return False
    if text.startswith("1INCH", i + 1):
        end = i + 6
    else:
        end = i + 1
        while end < len(text) and text[end] in _UPPER:
            end += 1
    if not 1 <= end - i - 1 <= 8:
        return False
    return end == len(text) or not (_is_hashtag_letter(text[end]) or text[end] == "$")


def _url_starts(run: str, offset: int) -> list[int]:
    """One start per URL candidate of a run; TDLib ends a host at a non-decimal number (`²`)."""
    pieces = [(0, run)]
    if not run.isascii():
        pieces, start = [], 0
        for i, ch in enumerate(run):
            if ch.isnumeric() and not ch.isdecimal():
                pieces.append((start, run[start:i]))
                start = i + 1
        pieces.append((start, run[start:]))
    # TDLib may also end a URL at a `:` that starts no port (`пример.рф:пример.рф` is two URLs):
    # every `:`-separated piece with a domain counts, an over-count being the safe side
    colon_pieces: list[tuple[int, str]] = []
    for at, piece in pieces:
        for part in piece.split(":"):
            if part.startswith("//") and colon_pieces and colon_pieces[-1][1].isalpha():
                colon_pieces[-1] = (colon_pieces[-1][0], colon_pieces[-1][1] + ":" + part)
            else:  # `https` + `//host` is one URL starting at its scheme
                colon_pieces.append((at, part))
            at += len(part) + 1
    return [offset + at for at, piece in colon_pieces if "." in piece and _DOT_LETTER.search(piece)]


_MATCHERS = {"@": _mention, "/": _command, "#": _hashtag, "$": _cashtag}


def auto_entity_starts(text: str) -> list[int]:
    """Indices in `text` where an entity Telegram detects by itself begins, in order.

    A URL that also holds a mention (`https://x.com/@a`) counts twice: Telegram keeps one, and
    counting more than Telegram is the safe side.
    """
    starts: list[int] = []
    if _DOT_LETTER.search(text):
        for run in _URL_RUN.finditer(text):
            starts.extend(_url_starts(run.group(), run.start()))
    for sigil in _SIGILS.finditer(text):
        i = sigil.start()
        if _MATCHERS[text[i]](text, i):
            starts.append(i)
    starts.sort()
    return starts


def count_auto_entities(text: str) -> int:
    """How many entities Telegram adds to `text` by itself (never fewer than it does)."""
    if not _DOT_LETTER.search(text) and not _SIGILS.search(text):
        return 0
    return len(auto_entity_starts(text))
