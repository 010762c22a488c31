"""Broadcast benchmark: one digest to 200 chats through the fake Bot API server, per layout.

    .venv/bin/python benchmarks/broadcast.py [--layout sections,compact,rich] [--chats 200]
                                             [--digest FILE | --parts N] [--scale 1]

The digest is the seed-format sample (content/2026-11-20-ai-daily.md: cover photo, summary,
`##` sections of `###` items) unless --digest or --parts (a synthetic digest of N classic
parts) is given. Each layout runs in the same process, one after the other, each with a fresh
fake server and journal. The fake server enforces Telegram's flood limits (1 msg/s per chat,
20/min per group, 30/s overall), all multiplied by --scale; the bot's FloodLimiter is scaled by
the same factor. The real DeliveryService pushes through a real Store journal with a real PTB
bot over HTTP. Per layout: messages per digest, time to the last chat, achieved rate as a share
of the 30/s limit, 429s received, messages lost and repeated, and the time to the last chat as
a ratio to the first layout's (the baseline of the run). Aim per layout: >= 90% of the limit,
no 429, nothing lost, nothing repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from benchmarks.fleet import add_scale_option, fleet_bot, group_ids, groups_server
from bot.config import ChatTarget, Settings
from bot.delivery.push import DeliveryService
from bot.delivery.ratelimit import FloodLimiter
from bot.digest.calls import LAYOUTS
from bot.digest.loader import load_digest
from bot.store import Store
from tests.delivery_helpers import write_digest

REPO = Path(__file__).resolve().parents[1]
SEED_SAMPLE = REPO / "content" / "2026-11-20-ai-daily.md"


@dataclass
class Result:
    layout: str
    per_digest: int  # messages one chat gets
    accepted: int
    to_last_chat: float  # push start -> the last chat's last message, seconds
    rate: float
    limit: float
    got_429: int
    lost: int
    repeated: int
    out_of_order: int
    summary: str

    @property
    def ok(self) -> bool:
        return (
            self.rate >= 0.9 * self.limit
            and not self.got_429
            and not self.lost
            and not self.repeated
        )


def _digest_file(root: Path, digest: Path | None, parts: int | None) -> Path:
    if parts is not None:  # header + (parts - 1) sections = `parts` classic messages
        return write_digest(root / "content", dt.date(2026, 11, 25), sections=parts - 1)
    source = digest or SEED_SAMPLE
    target = root / "content" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


async def run_layout(
    layout: str, chats: int, scale: float, digest_path: Path | None, parts: int | None
) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        digest = load_digest(_digest_file(root, digest_path, parts), root / "content")
        ids = group_ids(chats)
        settings = Settings(
            token=None,
            content_dir=root / "content",
            digest_layout=layout,
            digest_chats=tuple(ChatTarget(i) for i in ids),
        )
        async with groups_server(ids, scale) as tg:
            store = await Store.open(root / "db.sqlite")
            limiter = FloodLimiter(scale=scale)
            bot = fleet_bot(tg, limiter)
            await bot.initialize()
            try:
                service = DeliveryService(settings=settings, store=store, bot=bot)
                expected = [c.html for c in service.catalog.calls(digest, layout=layout)]
                started = time.monotonic()
                report = await service.push(digest)
            finally:
                await service.close()
                await bot.shutdown()
                await store.close()
            wanted = set(ids)
            sent = [m for m in tg.sent if m.chat_id in wanted]
            got_429 = tg.stats.sent_429
    per_chat: dict[int, list[str]] = {}
    for m in sent:
        per_chat.setdefault(m.chat_id, []).append(m.html)
    lost = repeated = out_of_order = 0
    for chat in ids:
        got = per_chat.get(chat, [])
        counts = Counter(got)
        lost += sum(1 for html in expected if counts[html] == 0)
        repeated += sum(c - 1 for c in counts.values() if c > 1)
        out_of_order += list(dict.fromkeys(got)) != [h for h in expected if h in counts]
    times = [m.time for m in sent]
    span = max(times) - min(times) if len(times) > 1 else float("nan")
    # n messages spread over `span` seconds: n-1 intervals
    rate = (len(sent) - 1) / span if span == span and span > 0 else float("nan")
    return Result(
        layout,
        len(expected),
        len(sent),
        max(times) - started if times else 0.0,
        rate,
        30 * scale,
        got_429,
        lost,
        repeated,
        out_of_order,
        report.summary(),
    )


async def run(
    layouts: list[str], chats: int, scale: float, digest: Path | None, parts: int | None
) -> int:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    source = (
        f"--parts {parts}"
        if parts
        else (digest or SEED_SAMPLE).relative_to(REPO)
        if (digest or SEED_SAMPLE).is_relative_to(REPO)
        else digest
    )
    print(f"chats={chats} scale={scale:g} overall limit={30 * scale:g} msg/s digest={source}")
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    results = [await run_layout(layout, chats, scale, digest, parts) for layout in layouts]
    base = results[0].to_last_chat
    print()
    print(
        f"{'layout':<9} {'msgs/digest':>11} {'accepted':>9} {'to last chat':>13} "
        f"{'vs ' + results[0].layout:>12} {'% of 30/s':>10} {'429s':>5} {'lost':>5} "
        f"{'repeated':>9} {'aim':>4}"
    )
    for r in results:
        print(
            f"{r.layout:<9} {r.per_digest:>11} {r.accepted:>9} {r.to_last_chat:>12.2f}s "
            f"{r.to_last_chat / base if base else float('nan'):>11.2f}x "
            f"{100 * r.rate / r.limit:>9.1f}% {r.got_429:>5} {r.lost:>5} {r.repeated:>9} "
            f"{'met' if r.ok else 'NOT':>4}"
        )
    for r in results:
        print(f"  {r.layout}: {r.summary}; chats out of order: {r.out_of_order}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ok = all(r.ok for r in results)
    print("AIM MET" if ok else "AIM NOT MET")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--layout",
        default=",".join(LAYOUTS),
        help=f"comma-separated layouts, run in this order ({', '.join(LAYOUTS)})",
    )
    parser.add_argument("--chats", type=int, default=200)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--digest", type=Path, help="a digest file (default: the seed sample)")
    source.add_argument("--parts", type=int, help="a synthetic digest of N classic parts")
    add_scale_option(parser, default=1.0)
    args = parser.parse_args()
    layouts = [name.strip().lower() for name in args.layout.split(",") if name.strip()]
    unknown = [name for name in layouts if name not in LAYOUTS]
    if unknown or not layouts:
        parser.error(
            f"argument --layout: unknown layout(s) {', '.join(unknown) or '(none)'} "
            f"(use {', '.join(LAYOUTS)})"
        )
    if args.digest is not None and not args.digest.is_file():
        parser.error(f"argument --digest: {args.digest} is not a file")
    if args.parts is not None and args.parts < 1:
        parser.error("argument --parts: must be at least 1")
    return asyncio.run(
        run(
            layouts,
            args.chats,
            args.scale,
            args.digest.resolve() if args.digest else None,
            args.parts,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
