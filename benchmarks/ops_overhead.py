"""What the deployment instrumentation costs per Bot API call and per update.

    .venv/bin/python benchmarks/ops_overhead.py [--calls 2000] [--rounds 5]

1. Bot API calls: `--calls` sendMessage requests to the fake server (flood limits off), through
   PTB's plain HTTPXRequest and through bot.metrics.ObservedRequest (counters + pulse), in
   alternating rounds in the same process, so both meet the same machine load.
2. Update processing: the same number of no-op updates through PTB's SimpleUpdateProcessor and
   through bot.metrics.TimedUpdateProcessor (histogram per command label).
Prints the figures and the ratio instrumented / plain (1.00 = free). Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot, Update
from telegram.ext import SimpleUpdateProcessor
from telegram.request import HTTPXRequest

from bot.metrics import BotMetrics, ObservedRequest, Pulse, TimedUpdateProcessor
from bot.standin import FakeTelegram

CHAT = 1001


async def _calls(tg: FakeTelegram, request: HTTPXRequest, calls: int) -> float:
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        started = time.perf_counter()
        for n in range(calls):
            await bot.send_message(CHAT, f"message {n}")
        return time.perf_counter() - started


async def _updates(processor: SimpleUpdateProcessor, count: int) -> float:
    async def nothing() -> None:
        return None

    update = Update(1)
    started = time.perf_counter()
    for _ in range(count):
        await processor.do_process_update(update, nothing())
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plain_calls, observed_calls, plain_updates, timed_updates = [], [], [], []
    async with FakeTelegram(flood_limits=False) as tg:
        tg.add_private_chat(CHAT, "Bench")
        for _ in range(args.rounds):
            plain_calls.append(await _calls(tg, HTTPXRequest(), args.calls))
            observed_calls.append(
                await _calls(tg, ObservedRequest(BotMetrics(), Pulse()), args.calls)
            )
            tg.reset_records()
            plain_updates.append(await _updates(SimpleUpdateProcessor(256), args.calls * 50))
            timed_updates.append(
                await _updates(TimedUpdateProcessor(256, BotMetrics()), args.calls * 50)
            )

    def show(what: str, count: int, plain: list[float], instrumented: list[float]) -> None:
        p, i = statistics.median(plain), statistics.median(instrumented)
        print(
            f"{what}: plain {p / count * 1e6:8.1f} us, instrumented {i / count * 1e6:8.1f} us"
            f"  (ratio {i / p:.2f}, median of {len(plain)} rounds of {count})"
        )

    show("Bot API call (sendMessage over HTTP)", args.calls, plain_calls, observed_calls)
    show("update processing (no-op handler)  ", args.calls * 50, plain_updates, timed_updates)


if __name__ == "__main__":
    asyncio.run(main())
