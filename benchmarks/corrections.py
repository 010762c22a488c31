"""Correction benchmark: a ten-part digest pushed to 200 chats, then fixed, then corrected.

    .venv/bin/python benchmarks/corrections.py [--chats 200] [--parts 10] [--scale 10]

The fake server enforces Telegram's flood limits (edits count like sends) scaled by --scale,
the bot's FloodLimiter likewise. Two fixes are measured in the same run, each against the push
as the baseline: a typo in ONE section (the usual correction) and an item added to every
section plus a new section at the end (the worst case: every part edited, one sent). Prints per
case the Bot API calls, wall time and their ratio to the push, 429s, and whether every chat
shows exactly the new parts afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from benchmarks.fleet import add_scale_option, fleet_bot, group_ids, groups_server
from bot.config import ChatTarget, Settings
from bot.delivery.corrections import Corrector
from bot.delivery.push import DeliveryService
from bot.delivery.ratelimit import FloodLimiter
from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.ingest import sync_content
from bot.standin.telegram_html import validate_message
from bot.store import Store
from tests.delivery_helpers import write_digest

DAY = dt.date(2026, 11, 25)


async def run(chats: int, parts: int, scale: float) -> int:
    ok = True
    for case in ("one typo", "every section"):
        with tempfile.TemporaryDirectory() as tmp:
            ok = await _case(Path(tmp), case, chats, parts, scale) and ok
    return 0 if ok else 1


def _fix(text: str, case: str, parts: int) -> str:
    if case == "one typo":
        return text.replace("Item 1.1 <&> news", "Item 1.1 <&> news (fixed)")
    for s in range(1, parts):
        text = text.replace(f"## Section {s}\n", f"## Section {s}\n\n### Added {s}\n- New.\n")
    return text + "\n## Late section\n\n### Late item\n- Words.\n"


async def _case(root: Path, case: str, chats: int, parts: int, scale: float) -> bool:
    content = root / "content"
    path = write_digest(content, DAY, sections=parts - 1)
    ids = group_ids(chats)
    settings = Settings(
        token=None, content_dir=content, digest_chats=tuple(ChatTarget(i) for i in ids)
    )
    async with groups_server(ids, scale) as tg:
        store = await Store.open(root / "db.sqlite")
        bot = fleet_bot(tg, FloodLimiter(scale=scale))
        await bot.initialize()
        delivery = DeliveryService(settings=settings, store=store, bot=bot)
        corrector = Corrector(settings=settings, store=store, delivery=delivery, bot=bot)
        try:
            await sync_content(store, content)
            digest = load_digest(path, content)
            started = time.monotonic()
            await delivery.push(digest)
            push_wall, push_calls = time.monotonic() - started, len(tg.requests)
            path.write_text(_fix(path.read_text(encoding="utf-8"), case, parts), encoding="utf-8")
            await sync_content(store, content)
            tg.reset_records()
            started = time.monotonic()
            [report] = await corrector.reconcile()
            fix_wall, fix_calls = time.monotonic() - started, len(tg.requests)
            new = load_digest(path, content)
            expected = [validate_message(m.html).text for m in build_messages(new)]
            wrong = 0
            for chat in ids:
                rows = await store.journal_rows(new.id, chat, None)
                shown = [tg.chat(chat).messages[r.message_id].get("text") for r in rows]
                wrong += shown != expected
        finally:
            await delivery.close()
            await bot.shutdown()
            await store.close()
    methods = ", ".join(f"{m} {n}" for m, n in sorted(tg.stats.requests.items()))
    print(f"[{case}] chats={chats} parts={parts} scale={scale:g}")
    print(f"  push:       {push_calls} calls in {push_wall:.2f}s")
    print(f"  correction: {fix_calls} calls ({methods}) in {fix_wall:.2f}s")
    print(
        f"  ratio correction/push: calls {fix_calls / push_calls:.2f}, "
        f"time {fix_wall / push_wall:.2f}"
    )
    print(
        f"  429 received during the correction: {tg.stats.sent_429}; chats not showing the "
        f"new parts: {wrong}; report: {report.summary()}"
    )
    return wrong == 0 and tg.stats.sent_429 == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--parts", type=int, default=10)
    add_scale_option(parser, default=10.0)
    args = parser.parse_args()
    return asyncio.run(run(args.chats, args.parts, args.scale))


if __name__ == "__main__":
    raise SystemExit(main())
