"""The compact layout: whole sections packed into as few messages as Telegram's limits allow,
cut inside a section only when it alone is too long; the entity budget counts what Telegram
detects by itself (TDLib's count, tests/tdlib.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.digest.compact import build_compact_messages, fits
from bot.digest.loader import load_all
from bot.digest.model import Digest
from bot.digest.split import build_messages
from bot.standin.telegram_html import validate_message

PROJECT = Path(__file__).resolve().parents[1]


def _digest(body: str) -> Digest:
    return Digest(
        id="20260101-00000000",
        path=Path("d.md"),
        title="Daily",
        date=dt.date(2026, 1, 1),
        body=body,
    )


def test_shipped_digests_need_fewer_messages() -> None:
    digests, _ = load_all(PROJECT / "content")
    for digest in digests:
        sections, compact = build_messages(digest), build_compact_messages(digest)
        assert len(compact) < len(sections)
        assert compact[0] == sections[0]  # the header (photo + caption) is unchanged


def test_small_sections_share_one_message_in_order() -> None:
    body = "".join(f"## S{i}\n\ntext {i}\n\n" for i in range(5))
    _header, packed = build_compact_messages(_digest(body))
    text = validate_message(packed.html).text
    assert [text.index(f"S{i}") for i in range(5)] == sorted(text.index(f"S{i}") for i in range(5))
    assert packed.section == "S0"


def test_a_section_is_never_cut_when_it_fits_a_message_alone() -> None:
    big = "word " * 700  # ~3500 characters: two of them cannot share a message
    body = f"## A\n\n{big}\n\n## B\n\n{big}\n\n## C\n\nsmall\n"
    messages = build_compact_messages(_digest(body))[1:]
    assert [m.section for m in messages] == ["A", "B"]  # C joins B
    assert "small" in messages[1].html and messages[0].html.count("word") == 700


def test_a_section_too_long_alone_is_cut_as_sections_cuts_it() -> None:
    long = "word " * 2000
    body = f"## Long\n\n{long}\n\n## Next\n\nafter\n"
    digest = _digest(body)
    sections = [m for m in build_messages(digest) if m.section == "Long"]
    compact = build_compact_messages(digest)[1:]
    assert len(sections) >= 3
    assert [m.html for m in compact[: len(sections) - 1]] == [m.html for m in sections[:-1]]
    assert compact[len(sections) - 1].html.startswith(sections[-1].html)  # "Next" joins it


def test_detected_entities_count_against_the_100_entity_limit() -> None:
    from tests.tdlib import entities_as_sent

    # 60 bare domains per section: Telegram links each one, two sections would be 120 entities
    links = " ".join(f"site{i}.com" for i in range(60))
    body = f"## A\n\n{links}\n\n## B\n\n{links}\n"
    messages = build_compact_messages(_digest(body))
    assert len(messages) == 3
    joined = messages[1].html + "\n\n" + messages[2].html
    assert not fits(joined) and len(entities_as_sent(joined)) > 100  # as TDLib counts them
