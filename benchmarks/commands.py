"""Reader-command benchmark: the real bot on the fake Bot API server under 50 concurrent users.

    .venv/bin/python benchmarks/commands.py [--count 10000] [--users 50] [--rounds 5]

1. Generates `--count` digests (benchmarks/index.py's generator: our own text, zh + en).
2. Starts the bot (bot.app, exactly as `digestbot run` wires it) against the fake server: times
   the start with an empty database (cold index) and a restart with nothing changed (warm).
3. `--users` simulated users in private chats each send /today, /tag, /search, /archive,
   `--rounds` times, concurrently; latency = from the update being queued on the server to the
   bot's reply arriving there (first message, and last one for multi-message replies).
4. The same load against a bare PTB bot that answers every command with "ok": the floor.

Flood limits (fake server and the bot's FloodLimiter) are scaled 1000x so that Telegram's
1 msg/s per chat does not dominate the figures; the server, the bot and the simulated users
share one process and one event loop, for the floor as for the bot. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.index import EN_WORDS, ZH_WORDS, generate
from bot.app import build_application, start_application, stop_application
from bot.delivery.ratelimit import FloodLimiter
from bot.standin import FakeTelegram, SentMessage
from tests.harness import settings_for

SPEED = 1000.0
COMMANDS = ["/today", "/tag AI", "/search 模型", "/archive"]
FIRST_USER = 10_000


def peak_rss() -> str:
    """Peak RSS of this process, and of the largest child (the store may index in workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"{own:.0f} MB" + (f" (largest worker process {kids:.0f} MB)" if kids else "")


def cpu_seconds() -> float:
    """CPU time of this process and its finished workers (independent of machine load)."""
    own, kids = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Inbox:
    """Arrival times of the bot's messages per chat (the fake server calls `on_sent`)."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.queues: dict[int, asyncio.Queue[float]] = defaultdict(asyncio.Queue)
        tg.on_sent.append(self._sent)

    def _sent(self, message: SentMessage) -> None:
        self.queues[message.chat_id].put_nowait(message.time)


async def idle(app: Application, tg: FakeTelegram) -> None:
    """Until every update is fetched and handled."""
    await tg.wait_updates_consumed(60)
    # PTB has no event for "idle": poll; handlers hand replies to the outbox, so wait for it too
    while not (app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    await app.bot_data.services.outbox.idle()


async def expected_replies(app: Application, tg: FakeTelegram, inbox: Inbox) -> dict[str, int]:
    """How many messages each command's reply has (one warm-up run per command)."""
    counts = {}
    chat = FIRST_USER - 1
    tg.add_private_chat(chat, "Warm-up")
    for command in COMMANDS:
        before = inbox.queues[chat].qsize()
        await tg.send_text(chat, chat, command)
        await idle(app, tg)
        counts[command] = inbox.queues[chat].qsize() - before
    return counts


def varied_query(chat: int, r: int) -> str:
    """A query of two generated words that differs per user and round (misses the cache)."""
    words = [*ZH_WORDS, *EN_WORDS]
    return f"{words[(chat * 7 + r) % len(words)]} {words[(chat * 13 + r * 3) % len(words)]}"


async def load(
    tg: FakeTelegram,
    inbox: Inbox,
    counts: dict[str, int],
    users: int,
    rounds: int,
    first_chat: int,
    *,
    varied: bool = False,
) -> dict[str, list[tuple[float, float]]]:
    """Every user sends each command `rounds` times, waiting for each reply; (first, last).

    varied: every /search asks something else (no two users share a query).
    """
    results: dict[str, list[tuple[float, float]]] = defaultdict(list)

    async def user(chat: int) -> None:
        queue = inbox.queues[chat]
        for r in range(rounds):
            for i in range(len(COMMANDS)):
                command = COMMANDS[(i + chat + r) % len(COMMANDS)]  # users out of step
                text = (
                    f"/search {varied_query(chat, r)}"
                    if varied and command.startswith("/search")
                    else command
                )
                started = time.monotonic()
                await tg.send_text(chat, chat, text)
                times = [await asyncio.wait_for(queue.get(), 60) for _ in range(counts[command])]
                results[command].append((times[0] - started, times[-1] - started))

    chats = [first_chat + n for n in range(users)]
    for chat in chats:
        tg.add_private_chat(chat, f"User{chat}")
    await asyncio.gather(*(user(chat) for chat in chats))
    return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


def report(
    name: str,
    results: dict[str, list[tuple[float, float]]],
    counts: dict[str, int],
    floor: dict[str, list[tuple[float, float]]] | None,
) -> None:
    for command in COMMANDS:
        firsts = [f for f, _ in results[command]]
        lasts = [last for _, last in results[command]]
        line = (
            f"  {name:5} {command:13} n={len(firsts):4d} msgs={counts[command]}  "
            f"first p50 {pct(firsts, 50):7.1f} ms  p99 {pct(firsts, 99):7.1f} ms"
        )
        if counts[command] > 1:
            line += f"   last p50 {pct(lasts, 50):7.1f} ms  p99 {pct(lasts, 99):7.1f} ms"
        if floor is not None:
            fl = [f for f, _ in floor[command]]
            line += f"   p99 / floor p99 = {pct(firsts, 99) / pct(fl, 99):.2f}x"
        print(line)


async def bare_bot(tg: FakeTelegram) -> Application:
    async def ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("ok")  # type: ignore[union-attr]

    app = (
        ApplicationBuilder().token(tg.token).base_url(tg.base_url).concurrent_updates(True).build()
    )
    app.add_handler(MessageHandler(filters.COMMAND, ok))
    # plain PTB (no digestbot ops, services or outbox): the floor the bot is compared with
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=10)
    return app


async def stop_bare_bot(app: Application) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def run(count: int, users: int, rounds: int, work: Path, varied: bool) -> None:
    content = work / "content"
    reuse = content.is_dir()  # --keep DIR of an earlier run: skip generating and cold indexing
    if not reuse:
        content.mkdir(parents=True)
        started = time.perf_counter()
        size = generate(content, count)
        print(
            f"generated {count} digests ({size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f}s"
        )
    today = dt.date.today()
    print(f"today ({today}) {'has' if any(content.rglob(f'{today}-*.md')) else 'has no'} digest")

    async with FakeTelegram(speed=SPEED) as tg:
        settings = settings_for(tg, work)  # defaults: rescan (and query cache) every 30 s
        times = []
        labels = ["cold (empty database)", "warm restart (nothing changed)"]
        for label in labels[1:] if reuse else labels:
            app = build_application(settings, rate_limiter=FloodLimiter(scale=SPEED))
            started, cpu = time.perf_counter(), cpu_seconds()
            await start_application(app)
            took, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            store = app.bot_data.services.store  # the start's sync is logged; the index counts
            indexed, bad = await store.digest_count(), len(await store.bad_files())
            times.append(took)
            print(
                f"bot start, {label}: {took:.2f}s wall, {cpu:.2f}s CPU "
                f"({indexed} digests indexed, {bad} bad files)"
            )
            if label.startswith("warm"):
                break
            await stop_application(app)

        inbox = Inbox(tg)
        counts = await expected_replies(app, tg, inbox)
        started = time.perf_counter()
        bot_results = await load(tg, inbox, counts, users, rounds, FIRST_USER, varied=varied)
        bot_wall = time.perf_counter() - started
        await stop_application(app)
        print(
            f"peak RSS after the bot's run: {peak_rss()} "
            "(one process: fake server + bot + simulated users)"
        )

        floor_app = await bare_bot(tg)
        floor_counts = {c: 1 for c in COMMANDS}
        tg.reset_records()
        inbox2 = Inbox(tg)
        started = time.perf_counter()
        # other chats than the bot's run: their per-chat flood buckets start fresh
        floor_results = await load(
            tg, inbox2, floor_counts, users, rounds, FIRST_USER + users + 1000, varied=varied
        )
        floor_wall = time.perf_counter() - started
        await stop_bare_bot(floor_app)

    total = users * rounds * len(COMMANDS)
    print(
        f"\n{users} users x {rounds} rounds x {len(COMMANDS)} commands = {total} requests"
        f"{' (/search: different words each time)' if varied else ''}"
    )
    print(f"digestbot: {bot_wall:.1f}s wall, {total / bot_wall:.0f} commands/s")
    report("bot", bot_results, counts, floor_results)
    print(
        f"floor (bare PTB bot answering 'ok'): {floor_wall:.1f}s wall, "
        f"{total / floor_wall:.0f} commands/s"
    )
    report("floor", floor_results, floor_counts, None)
    print(f"peak RSS: {peak_rss()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this folder and keep it; a second "
        "run reuses its digests and index (no cold figure)",
    )
    parser.add_argument(
        "--varied-search",
        action="store_true",
        help="each /search asks different words (the uncached cost)",
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args.count, args.users, args.rounds, args.keep, args.varied_search))
        return
    with tempfile.TemporaryDirectory(prefix="digestbot-commands-") as work:
        asyncio.run(run(args.count, args.users, args.rounds, Path(work), args.varied_search))


if __name__ == "__main__":
    main()
