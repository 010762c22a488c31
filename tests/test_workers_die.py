"""SIGKILL the bot while its worker processes parse a cold index: no process of its process
group may be left (issue 7: they used to parse on, ~40 MB each)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.standin import FakeTelegram
from tests.harness import digest_text, process_env

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _live_members(pgid: int) -> list[int]:
    """Processes of that process group that are not zombies (a zombie is dead already: reaping
    it is up to whoever adopted it)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


async def test_sigkill_during_a_cold_index_leaves_no_worker(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    body = {f"Section {s}": [f"Item {s}.{i} with some words" for i in range(8)] for s in range(6)}
    for n in range(900):  # >= 400 files: the store parses in worker processes
        day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        (content / f"{day}-{n}.md").write_text(
            digest_text(day, f"Digest {n}", body), encoding="utf-8"
        )
    async with FakeTelegram() as tg:
        env = process_env(
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_BASE_URL=tg.base_url,
            CONTENT_DIR=str(content),
            DATABASE_PATH=str(tmp_path / "db.sqlite3"),
            LOG_LEVEL="WARNING",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=tmp_path,
            start_new_session=True,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        pgid = proc.pid  # a new session: its own process group
        try:
            deadline = time.monotonic() + 60
            while len(_live_members(pgid)) < 2:  # the bot and at least one worker
                assert proc.returncode is None, "the bot exited before indexing"
                assert time.monotonic() < deadline, "no worker process was started"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # the workers are parsing
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        deadline = time.monotonic() + 15
        while _live_members(pgid):
            if time.monotonic() > deadline:
                left = _live_members(pgid)
                for pid in left:  # do not leave them to the next test either
                    os.kill(pid, signal.SIGKILL)
                pytest.fail(f"processes outlived the bot: {left}")
            await asyncio.sleep(0.1)
