"""A real crash in the middle of a correction: `digestbot post` (which corrects a changed digest
before pushing) is SIGKILLed while correcting 30 chats, then run again. Every chat ends showing
the new text; no appended part is sent twice (beyond the one message per chat that may be in
flight when the process dies, the allowance pushes have too)."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections import Counter
from pathlib import Path

from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.standin import FakeTelegram
from bot.standin.telegram_html import validate_message
from bot.store import Store
from tests.delivery_helpers import write_digest
from tests.test_crash_resume import _env, _post

CHATS = [-1002000 - n for n in range(30)]
DAY = dt.date(2026, 11, 26)


async def _run(env: dict[str, str], cwd: Path) -> str:
    process = await _post(env, cwd)
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_sigkill_mid_correction_then_restart_corrects_every_chat_once(tmp_path: Path):
    content = tmp_path / "content"
    path = write_digest(content, DAY, sections=3)
    async with FakeTelegram() as tg:  # Telegram's real limits: 30 messages/s overall
        for chat in CHATS:
            tg.add_supergroup(chat, f"Group {chat}")
        env = {**_env(tg, tmp_path), "DIGEST_CHATS": ",".join(str(c) for c in CHATS)}
        await _run(env, tmp_path)  # the push
        pushed = len(tg.sent)
        # the fix: section 1's text corrected, three sections added at the end
        text = path.read_text(encoding="utf-8").replace("Item 1.1", "Item 1.1 (fixed)")
        extra = "".join(
            f"\n## Added {n}\n\n### Added item {n}\n- More words, {n}.\n" for n in range(3)
        )
        path.write_text(text + extra, encoding="utf-8")
        new = build_messages(load_digest(path, content))
        assert len(new) == 4 + 3
        appended = {m.html for m in new[4:]}

        first = await _post(env, tmp_path)
        await tg.wait_until(lambda: len(tg.sent) - pushed >= 30, timeout=90)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        at_kill = len(tg.sent) - pushed
        assert at_kill < 3 * len(CHATS), "the correction ended before the kill"

        out = await _run(env, tmp_path)
        assert "correction" in out
        store = await Store.open(tmp_path / "data" / "bot.sqlite3")
        try:
            digest_id = load_digest(path, content).id
            repeats = 0
            for chat in CHATS:
                added = Counter(m.html for m in tg.sent_to(chat)[4:])
                assert set(added) == appended  # each added part reached the chat
                assert all(m.disable_notification for m in tg.sent_to(chat)[4:])
                repeats += sum(n - 1 for n in added.values())
                assert sum(n - 1 for n in added.values()) <= 1  # at most the one in flight
                rows = await store.journal_rows(digest_id, chat, None)
                assert [r.part for r in rows] == list(range(len(new)))
                shown = [tg.chat(chat).messages[r.message_id]["text"] for r in rows]
                assert shown == [validate_message(m.html).text for m in new]
            assert len(tg.sent) - pushed == 3 * len(CHATS) + repeats
        finally:
            await store.close()

        # and one more run sends and edits nothing
        before = (len(tg.sent), len(tg.edits))
        await _run(env, tmp_path)
        assert (len(tg.sent), len(tg.edits)) == before
