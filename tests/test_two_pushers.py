"""Two pusher processes on one database: the running bot's /post and `digestbot post` from a
shell, for the same digest and chats - started together, and staggered. Every part reaches every
chat exactly once, in order, and both sides report the push complete (issue 7, point 1)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from pathlib import Path

from bot.delivery.ratelimit import FloodLimiter
from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import running_bot
from tests.test_crash_resume import _env

ADMIN = 4242
CHATS = [-1002000 - n for n in range(20)]
TOGETHER, STAGGERED = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


async def _cli_post(env: dict[str, str], cwd: Path, day: dt.date) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "post",
        day.isoformat(),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _parts(root: Path, day: dt.date) -> list[str]:
    digest = load_digest(root / f"{day}-test.md", root)
    return [m.html for m in build_messages(digest)]


async def test_bot_and_cli_pushing_at_once_send_every_part_exactly_once(tmp_path: Path):
    content = tmp_path / "content"
    for day in (TOGETHER, STAGGERED):
        write_digest(content, day, sections=6)  # 7 parts
    expected = {day: _parts(content, day) for day in (TOGETHER, STAGGERED)}
    assert all(len(p) == 7 for p in expected.values())
    # Telegram's real limits (both processes pace at 1 msg/s per chat, 30/s overall)
    async with FakeTelegram() as tg:
        tg.add_private_chat(ADMIN, "Admin")
        for chat in CHATS:
            tg.add_supergroup(chat, f"Group {chat}")
        env = _env(tg, tmp_path)
        env["DIGEST_CHATS"] = ",".join(str(c) for c in CHATS)
        async with running_bot(
            tg,
            tmp_path,
            admins=[ADMIN],
            limiter=FloodLimiter(),
            env_overrides={
                "DIGEST_CHATS": env["DIGEST_CHATS"],
                "DATABASE_PATH": env["DATABASE_PATH"],
            },
        ) as bot:
            for day, stagger in ((TOGETHER, False), (STAGGERED, True)):
                texts = expected[day]
                first_of_day = len(tg.sent)
                cli = await _cli_post(env, tmp_path, day)
                if stagger:  # the shell push is well under way when the admin posts
                    await tg.wait_until(
                        lambda start=first_of_day: len(tg.sent) - start >= 40, timeout=60
                    )
                await tg.send_text(ADMIN, ADMIN, f"/post {day.isoformat()}")
                out, err = await asyncio.wait_for(cli.communicate(), timeout=120)
                assert cli.returncode == 0, err.decode()
                cli_summary = out.decode()
                assert "20/20 targets complete" in cli_summary
                report = await tg.wait_for(
                    lambda m: (
                        m.chat_id == ADMIN
                        and (
                            "targets complete" in m.parsed_text or "already pushed" in m.parsed_text
                        )
                    ),
                    timeout=120,
                )
                await bot.services.jobs.wait()
                assert (
                    "20 of 20 targets complete" in report.parsed_text
                    or "already pushed to all 20 targets" in report.parsed_text
                ), report.parsed_text
                for chat in CHATS:
                    got = [m.html for m in tg.sent_to(chat) if m.html in texts]
                    assert got == texts, f"chat {chat}: {len(got)} messages, not each part once"
                # what each side says it sent adds up to every message exactly once
                cli_sent = int(re.search(r"(\d+) messages sent", cli_summary)[1])
                sent_by_bot = re.search(r"(\d+) messages? sent", report.parsed_text)
                bot_sent = int(sent_by_bot[1]) if sent_by_bot else 0  # "already pushed": none
                assert cli_sent + bot_sent == len(texts) * len(CHATS)
                tg.reset_records()
