"""`digestbot post` from a shell: progress and summary, exit status 1 when a target failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import spawn_digestbot
from tests.test_crash_resume import _env


async def _run(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await spawn_digestbot(env, cwd, "post", *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_post_cli_exit_codes_and_summary(tmp_path: Path):
    write_digest(tmp_path / "content", dt.date(2026, 11, 24), sections=1)
    write_digest(tmp_path / "content", dt.date(2026, 11, 25), sections=1)
    async with FakeTelegram(speed=10) as tg:
        tg.add_supergroup(-1001000, "Fine")
        tg.add_supergroup(-1001001, "Kicked")
        tg.kick_bot(-1001001, notify=False)
        env = _env(tg, tmp_path)
        env["DIGEST_CHATS"] = "-1001000,-1001001"
        code, out, err = await _run(env, tmp_path, "2026-11-24")
        assert code == 1
        assert "1/2 targets complete" in out and "-1001001: deactivated" in out
        assert "Digest of 2026-11-24" in err  # the progress bar names the digest
        # log lines (the kicked chat's) start a line of their own (tqdm's logging redirect),
        # never glued to the end of a half-drawn progress bar
        stamps = list(re.finditer(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ", err))
        assert any("to -1001001: failed" in err[m.end() : m.end() + 200] for m in stamps)
        assert all(m.start() == 0 or err[m.start() - 1] in "\r\n" for m in stamps), err
        assert tg.token not in out + err
        # only the 24th went out (2 parts), to the one chat that works
        assert len(tg.sent_to(-1001000)) == 2
        assert tg.sent_to(-1001000)[0].parsed_text.startswith("Digest of 2026-11-24")
        code, out, _ = await _run(env, tmp_path, "--chat", "-1001000")  # latest: the 25th
        assert code == 0 and "1/1 targets complete" in out
        firsts = [m.parsed_text.splitlines()[0] for m in tg.sent_to(-1001000)]
        assert len(firsts) == 4 and firsts[2].startswith("Digest of 2026-11-25")
        code, _, err = await _run(env, tmp_path, "2026-02-30")
        assert code == 2 and "not a date" in err
        code, _, err = await _run(env, tmp_path, "--chat", "nonsense")
        assert code == 2
