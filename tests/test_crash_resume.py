"""A real crash: `digestbot post` in a subprocess, SIGKILLed in the middle of a push to 30 chats,
then run again. Every part reaches every chat, in order; the only repeat allowed is the one
message per chat that was in flight when the process died. Once per layout, and the second run
has another DIGEST_LAYOUT: the interrupted push still finishes in the layout it started with."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections import Counter
from pathlib import Path

import pytest

from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import bot_env, process_env, spawn_digestbot

CHATS = [-1001000 - n for n in range(30)]
DAY = dt.date(2026, 11, 25)


def _env(tg: FakeTelegram, tmp_path: Path, layout: str = "sections") -> dict[str, str]:
    return process_env(
        **bot_env(tg, tmp_path, "data/bot.sqlite3"),
        DIGEST_CHATS=",".join(str(c) for c in CHATS),
        LOG_LEVEL="WARNING",
        DIGEST_LAYOUT=layout,
    )


def assert_every_part_in_every_chat(tg: FakeTelegram, parts: list[str]) -> int:
    """Every chat of CHATS holds every part, in order, with at most one message repeated (the
    one in flight at the kill); returns how many repeats there are in all."""
    duplicates = 0
    for chat in CHATS:
        got = [m.html for m in tg.sent_to(chat)]
        assert list(dict.fromkeys(got)) == parts  # everything, in order
        repeats = sum(c - 1 for c in Counter(got).values())
        assert repeats <= 1  # at most the one in flight
        duplicates += repeats
    return duplicates


async def _post(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await spawn_digestbot(env, cwd, "post")


NEXT_LAYOUT = {"sections": "rich", "compact": "sections", "rich": "compact"}


@pytest.mark.parametrize("layout", ["sections", "compact", "rich"])
async def test_sigkill_mid_push_then_restart_delivers_everything_once(tmp_path: Path, layout: str):
    # sections: 6 parts; compact: fewer, packed; rich: long items so it takes several messages
    write_digest(
        tmp_path / "content",
        DAY,
        sections=5,
        filler={"sections": 1, "compact": 8, "rich": 120}[layout],
    )
    from bot.digest.calls import build_calls
    from bot.digest.loader import load_digest

    digest = load_digest(tmp_path / "content" / f"{DAY}-test.md", tmp_path / "content")
    parts = [c.html for c in build_calls(digest, layout)]
    others = [c.html for c in build_calls(digest, NEXT_LAYOUT[layout])]
    assert len(parts) >= 2 and others != parts  # a resume in the other layout would show
    total = len(parts) * len(CHATS)
    # Telegram's real limits: 30 msg/s overall, so the push takes about 6 s
    async with FakeTelegram() as tg:
        for chat in CHATS:
            tg.add_supergroup(chat, f"Group {chat}")
        env = _env(tg, tmp_path, layout)
        first = await _post(env, tmp_path)
        # a third of the chats have a first part: the rest have only the job row's layout
        await tg.wait_until(lambda: len(tg.sent) >= len(CHATS) // 3, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len(tg.sent)
        assert first.returncode == -signal.SIGKILL
        assert at_kill < total, "the push ended before the kill: nothing was tested"

        # the layout changes while the push is interrupted: it resumes in the one it began with
        second = await _post({**env, "DIGEST_LAYOUT": NEXT_LAYOUT[layout]}, tmp_path)
        out, err = await asyncio.wait_for(second.communicate(), timeout=120)
        assert second.returncode == 0, err.decode()
        assert "30/30 targets complete" in out.decode()

        duplicates = assert_every_part_in_every_chat(tg, parts)
        assert len(tg.sent) == total + duplicates

        # and a third run sends nothing at all
        before = len(tg.sent)
        third = await _post(env, tmp_path)
        out, err = await asyncio.wait_for(third.communicate(), timeout=60)
        assert third.returncode == 0, err.decode()
        assert len(tg.sent) == before
