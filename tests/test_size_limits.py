"""MAX_DIGEST_BYTES and MAX_DIGEST_MESSAGES: an oversized digest is refused by the loader with
the file's name and the limit, reported by `check` and /status; the rest keeps working."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.digest.limits import SizeLimits, limited_messages
from bot.digest.loader import load_digest
from bot.digest.model import DigestError
from tests.delivery_helpers import write_digest
from tests.harness import running_bot

ADMIN = 42


def test_a_file_over_max_digest_bytes_is_refused_by_name(tmp_path: Path) -> None:
    path = write_digest(tmp_path, dt.date(2026, 11, 25), sections=2, filler=40)
    size = path.stat().st_size
    load_digest(path, tmp_path, limits=SizeLimits(max_bytes=size))  # at the limit: fine
    with pytest.raises(DigestError) as caught:
        load_digest(path, tmp_path, limits=SizeLimits(max_bytes=size - 1))
    assert caught.value.path == str(path)
    assert "MAX_DIGEST_BYTES" in caught.value.reason and f"{size - 1:,}" in caught.value.reason


@settings(max_examples=15, deadline=None)
@given(sections=st.integers(1, 8), limit=st.integers(1, 10))
def test_parts_over_max_digest_messages_are_refused_whatever_the_size(
    tmp_path_factory: pytest.TempPathFactory, sections: int, limit: int
) -> None:
    root = tmp_path_factory.mktemp("limits")
    path = write_digest(root, dt.date(2026, 11, 25), sections=sections)
    parts = len(limited_messages(load_digest(path, root), SizeLimits(max_messages=10_000)))
    assert parts == sections + 1  # a header, one message per short section
    if parts <= limit:
        load_digest(path, root, limits=SizeLimits(max_messages=limit))
        return
    with pytest.raises(DigestError) as caught:
        load_digest(path, root, limits=SizeLimits(max_messages=limit))
    assert caught.value.path == str(path)
    assert f"renders to {parts} messages" in caught.value.reason
    assert f"MAX_DIGEST_MESSAGES ({limit})" in caught.value.reason


def test_a_big_file_is_counted_exactly_by_the_loader(tmp_path: Path) -> None:
    # one long section: few `##` lines, but well over 64 KB, so many continued parts
    path = write_digest(tmp_path, dt.date(2026, 11, 25), sections=1, items=60, filler=30)
    assert path.stat().st_size > 64 * 1024
    with pytest.raises(DigestError, match="MAX_DIGEST_MESSAGES"):
        load_digest(path, tmp_path, limits=SizeLimits(max_messages=5))


def test_check_reports_the_oversized_file(tmp_path: Path, monkeypatch, capsys) -> None:
    content = tmp_path / "content"
    write_digest(content, dt.date(2026, 11, 24), sections=1)
    big = write_digest(content, dt.date(2026, 11, 25), sections=6)  # 7 parts
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAX_DIGEST_MESSAGES", "5")
    assert main(["check", str(content)]) == 1
    out = capsys.readouterr().out
    assert f"{big}: renders to 7 messages, over the limit MAX_DIGEST_MESSAGES (5)" in out
    monkeypatch.setenv("MAX_DIGEST_BYTES", "0")
    assert main(["check", str(content)]) == 2
    assert "MAX_DIGEST_BYTES" in capsys.readouterr().err


async def test_status_lists_the_refused_file_and_the_bot_keeps_serving(fast_telegram, tmp_path):
    tg = fast_telegram
    tg.add_private_chat(ADMIN, "Admin")
    write_digest(tmp_path / "content", dt.date(2026, 11, 24), sections=1)
    write_digest(tmp_path / "content", dt.date(2026, 11, 25), sections=6, filler=3)
    async with running_bot(
        tg, tmp_path, admins=[ADMIN], env_overrides={"MAX_DIGEST_MESSAGES": "5"}
    ) as bot:
        (status,) = await bot.ask(ADMIN, ADMIN, "/status")
        assert "Bad files: 1" in status.parsed_text
        # grouped by reason (bot/admin_views.bad_files_lines)
        assert (
            "renders to 7 messages, over the limit MAX_DIGEST_MESSAGES (5) — 1 file: "
            "2026-11-25-test.md"
        ) in status.parsed_text
        assert "MAX_DIGEST_MESSAGES (5)" in status.parsed_text
        replies = await bot.ask(ADMIN, ADMIN, "/latest")  # the file within the limits
        assert replies[0].parsed_text.startswith("Digest of 2026-11-24")
