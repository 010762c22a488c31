"""Flood benchmark: reply latency of well-behaved users while one user floods the bot.

    .venv/bin/python benchmarks/flood.py [--users 20] [--requests 5] [--flood 300] [--groups 20]

The real bot (bot.app, as `digestbot run` wires it) against the fake Bot API server with
Telegram's real flood limits (1 msg/s per chat, 20/min per group, 30/s overall): pacing is what a
flood abuses, so nothing is scaled. Two phases in one run, same bot, same content:

1. quiet: `--users` users each send `--requests` commands (/help, /archive, /tags in turn) one
   after another; meanwhile an admin pushes a digest to `--groups` groups.
2. flood: the same, while one more user sends `--flood` /today as fast as the server takes
   them (and keeps sending one every 50 ms until the phase ends).

Latency = from a user's update being queued on the server to the bot's reply arriving there.
Prints p50/p99 per phase, the ratio flood/quiet, the push's duration per phase, and what the
flooder received. Figures only, no pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.delivery.ratelimit import FloodLimiter
from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import RunningBot, running_bot

ADMIN, FLOODER, FIRST_USER = 1, 2, 10_000
DAY = dt.date(2026, 11, 25)
COMMANDS = ["/help", "/archive", "/tags"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def user_session(tg: FakeTelegram, user: int, requests: int) -> list[float]:
    latencies = []
    for n in range(requests):
        before = len(tg.sent_to(user))
        start = time.monotonic()
        await tg.send_text(user, user, COMMANDS[n % len(COMMANDS)])
        await tg.wait_until(lambda u=user, b=before: len(tg.sent_to(u)) > b, timeout=600)
        latencies.append(time.monotonic() - start)
    return latencies


async def timed_push(bot: RunningBot, tg: FakeTelegram, groups: list[int], parts: int) -> float:
    start = time.monotonic()
    await tg.send_text(ADMIN, ADMIN, f"/post {DAY.isoformat()}")
    await tg.wait_until(lambda: all(len(tg.sent_to(g)) >= parts for g in groups), timeout=900)
    return time.monotonic() - start


async def flooder(tg: FakeTelegram, count: int, stop: asyncio.Event) -> int:
    sent = 0
    for _ in range(count):
        await tg.send_text(FLOODER, FLOODER, "/today")
        sent += 1
    while not stop.is_set():  # keep it up for the whole phase
        await tg.send_text(FLOODER, FLOODER, "/today")
        sent += 1
        await asyncio.sleep(0.05)
    return sent


async def phase(
    bot: RunningBot,
    tg: FakeTelegram,
    args: argparse.Namespace,
    groups: list[int],
    parts: int,
    flood: bool,
) -> tuple[list[float], float, int]:
    await bot.services.store._db.execute("DELETE FROM deliveries")  # the same push again
    tg.reset_records()
    stop = asyncio.Event()
    flood_task = asyncio.create_task(flooder(tg, args.flood, stop)) if flood else None
    if flood:
        await asyncio.sleep(0.2)  # the flood is under way when the others arrive
    users = [FIRST_USER + n for n in range(args.users)]
    push = asyncio.create_task(timed_push(bot, tg, groups, parts))
    sessions = await asyncio.gather(*(user_session(tg, u, args.requests) for u in users))
    push_seconds = await push
    stop.set()
    flood_sent = await flood_task if flood_task else 0
    await bot.services.jobs.wait()
    await bot.settle(timeout=600)
    return [lat for s in sessions for lat in s], push_seconds, flood_sent


async def run(args: argparse.Namespace) -> None:
    groups = [-1005000 - n for n in range(args.groups)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_digest(root / "content", DAY, sections=4)
        async with FakeTelegram() as tg:
            for user in (ADMIN, FLOODER, *(FIRST_USER + n for n in range(args.users))):
                tg.add_private_chat(user, f"User {user}")
            for group in groups:
                tg.add_supergroup(group, f"Group {group}")
            env = {"DIGEST_CHATS": ",".join(map(str, groups)), "LOG_LEVEL": "WARNING"}
            async with running_bot(
                tg, root, admins=[ADMIN], env_overrides=env, limiter=FloodLimiter()
            ) as bot:
                digest = (await bot.services.catalog.find_digests(None))[0]
                parts = len(bot.services.catalog.messages(digest))
                quiet, quiet_push, _ = await phase(bot, tg, args, groups, parts, flood=False)
                flooded, flood_push, flood_sent = await phase(
                    bot, tg, args, groups, parts, flood=True
                )
                to_flooder = len(tg.sent_to(FLOODER))
    print(
        f"{args.users} users x {args.requests} commands; push of {parts} parts to "
        f"{args.groups} groups; real Telegram limits"
    )
    for name, values, push in (("quiet", quiet, quiet_push), ("flood", flooded, flood_push)):
        print(
            f"  {name:6} reply latency p50 {pct(values, 0.5):6.2f}s  p99 "
            f"{pct(values, 0.99):6.2f}s  mean {statistics.mean(values):6.2f}s   "
            f"push {push:6.2f}s"
        )
    print(
        f"  ratio flood/quiet: p50 x{pct(flooded, 0.5) / pct(quiet, 0.5):.2f}, p99 "
        f"x{pct(flooded, 0.99) / pct(quiet, 0.99):.2f}, push x{flood_push / quiet_push:.2f}"
    )
    print(f"  the flooder sent {flood_sent} /today and received {to_flooder} messages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--flood", type=int, default=300)
    parser.add_argument("--groups", type=int, default=20)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
