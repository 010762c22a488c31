"""A real crash of the bot itself: `digestbot run` in a subprocess, SIGKILLed 1/3 into an admin's
/post of an OLDER digest (no scheduled catch-up would ever push it), then started again. The
job row written before the first message makes the restart finish the push: every part in every
chat, in order, at most the one in-flight message repeated, and the admin gets the report."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import spawn_digestbot
from tests.test_crash_resume import CHATS, _env, assert_every_part_in_every_chat

ADMIN = 4343
OLD_DAY = dt.date(2026, 10, 20)


async def test_sigkill_mid_post_then_restart_resumes_the_manual_push(tmp_path: Path):
    write_digest(tmp_path / "content", OLD_DAY, sections=5)  # 6 parts
    digest = load_digest(tmp_path / "content" / f"{OLD_DAY}-test.md", tmp_path / "content")
    parts = [m.html for m in build_messages(digest)]
    total = len(parts) * len(CHATS)
    async with FakeTelegram() as tg:  # real limits: the push takes about 6 s
        tg.add_private_chat(ADMIN, "Admin")
        for chat in CHATS:
            tg.add_supergroup(chat, f"Group {chat}")
        env = {**_env(tg, tmp_path), "ADMIN_IDS": str(ADMIN)}
        first = await spawn_digestbot(env, tmp_path, "run", stdout=asyncio.subprocess.DEVNULL)
        try:
            await tg.wait_until(
                lambda: any(r.method == "getUpdates" for r in tg.requests), timeout=60
            )
            await tg.send_text(ADMIN, ADMIN, f"/post {OLD_DAY.isoformat()}")
            await tg.wait_until(
                lambda: len([m for m in tg.sent if m.chat_id != ADMIN]) >= total // 3, timeout=60
            )
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = len([m for m in tg.sent if m.chat_id != ADMIN])
        assert at_kill < total, "the push ended before the kill: nothing was tested"

        second = await spawn_digestbot(env, tmp_path, "run", stdout=asyncio.subprocess.DEVNULL)
        try:
            report = await tg.wait_for(
                lambda m: m.chat_id == ADMIN and "Resumed after a restart" in m.parsed_text,
                timeout=120,
            )
            assert f"{len(CHATS)} of {len(CHATS)} targets complete" in report.parsed_text
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert tg.token not in err.decode()
        duplicates = assert_every_part_in_every_chat(tg, parts)
        assert len([m for m in tg.sent if m.chat_id != ADMIN]) == total + duplicates
