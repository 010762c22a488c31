"""Broadcast benchmark: a ten-part digest to 200 chats through the fake Bot API server.

    .venv/bin/python benchmarks/broadcast.py [--chats 200] [--parts 10] [--scale 1]

The fake server enforces Telegram's flood limits (1 msg/s per chat, 20/min per group, 30/s
overall), all multiplied by --scale; the bot's FloodLimiter is scaled by the same factor. The
real DeliveryService pushes through a real Store journal with a real PTB bot over HTTP. Prints
the achieved messages/s as a share of the overall limit, 429s received, messages lost/repeated.
Aim: >= 90% of the limit, no 429, nothing lost, nothing repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import ChatTarget, Settings
from bot.delivery.push import DeliveryService
from bot.delivery.ratelimit import FloodLimiter
from bot.digest.loader import load_digest
from bot.standin import FakeTelegram
from bot.store import Store
from tests.delivery_helpers import write_digest


async def run(chats: int, parts: int, scale: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # header + (parts - 1) sections = `parts` messages
        path = write_digest(root / "content", dt.date(2026, 11, 25), sections=parts - 1)
        digest = load_digest(path, root / "content")
        ids = [-1000000000000 - n for n in range(chats)]
        settings = Settings(token=None, content_dir=root / "content",
                            digest_chats=tuple(ChatTarget(i) for i in ids))
        async with FakeTelegram(speed=scale, integer_retry_after=scale == 1) as tg:
            for n, chat in enumerate(ids):
                tg.add_supergroup(chat, f"Group {n}")
            store = await Store.open(root / "db.sqlite")
            limiter = FloodLimiter(scale=scale)
            bot = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter,
                         request=HTTPXRequest(connection_pool_size=256, read_timeout=30))
            await bot.initialize()
            try:
                service = DeliveryService(settings=settings, store=store, bot=bot)
                expected = [m.html for m in service.catalog.messages(digest)]
                assert len(expected) == parts, f"digest split into {len(expected)} parts"
                started = time.monotonic()
                report = await service.push(digest)
                wall = time.monotonic() - started
            finally:
                await bot.shutdown()
                await store.close()
            sent = [m for m in tg.sent if m.chat_id in set(ids)]
    per_chat: dict[int, list[str]] = {}
    for m in sent:
        per_chat.setdefault(m.chat_id, []).append(m.html)
    lost = repeated = out_of_order = 0
    for chat in ids:
        got = per_chat.get(chat, [])
        counts = Counter(got)
        lost += sum(1 for html in expected if counts[html] == 0)
        repeated += sum(c - 1 for c in counts.values() if c > 1)
        deduped = list(dict.fromkeys(got))
        out_of_order += deduped != [h for h in expected if h in counts]
    times = [m.time for m in sent]
    span = max(times) - min(times) if len(times) > 1 else float("nan")
    limit = 30 * scale
    # n messages spread over `span` seconds: n-1 intervals
    rate = (len(sent) - 1) / span if span == span and span > 0 else float("nan")
    print(f"chats={chats} parts={parts} scale={scale:g} overall limit={limit:g} msg/s")
    print(f"messages accepted: {len(sent)} of {chats * parts} in {span:.2f}s "
          f"(push wall time {wall:.2f}s)")
    print(f"achieved rate: {rate:.2f} msg/s = {100 * rate / limit:.1f}% of the limit")
    print(f"429 received: {tg.stats.sent_429}")
    print(f"lost: {lost}  repeated: {repeated}  chats out of order: {out_of_order}")
    print(f"push report: {report.summary()}")
    ok = rate >= 0.9 * limit and tg.stats.sent_429 == 0 and not lost and not repeated
    print("AIM MET" if ok else "AIM NOT MET")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="speed up every limit (server and bot alike) by this factor")
    args = parser.parse_args()
    return asyncio.run(run(args.chats, args.parts, args.scale))


if __name__ == "__main__":
    raise SystemExit(main())
