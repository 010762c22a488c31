"""Search ranking benchmark: bm25-ranked /search against the newest-first order it replaced.

    .venv/bin/python benchmarks/search_rank.py [--corpus ../shared/corpus] [--repeat 20]

Indexes the real corpus (read in place, never copied) into a temporary database, then times
`Store.search` (first page, 10 hits, as /search asks) for common and rare, English and Chinese,
one- and two-character queries: ranked (the bot's order) and with ranking switched off (every
score equal: recency only, the old order) in the same run. Prints figures and ratios only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.store.search as search_module
from bot.ingest import sync_content
from bot.store import Store

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
QUERIES = [
    "AI",
    "模型",
    "发布",
    "OpenAI 发布",
    "Rust",
    "async",
    "多模态",
    "阿",
    "机器学习",
    "kubernetes",
    "Claude Code",
    "的",
]


async def timed(store: Store, query: str, repeat: int) -> tuple[float, int]:
    samples = []
    total = 0
    for _ in range(repeat):
        started = time.perf_counter()
        page = await store.search(query, 0, 10)
        samples.append(time.perf_counter() - started)
        total = page.total
    return statistics.median(samples) * 1000, total


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    return args


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)  # the corpus has files without dates: not our figures
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "db.sqlite3")
        report = await sync_content(store, args.corpus)
        items = (await store._one("SELECT count(*) FROM items"))[0]
        print(f"indexed {report.added} digests, {items} items in {report.seconds:.1f} s")
        print(f"{'query':<14} {'hits':>6} {'ranked ms':>10} {'recency ms':>11} {'ratio':>6}")
        ratios = []
        ranked_sql = search_module.RANKED
        for query in QUERIES:
            search_module.RANKED = ranked_sql
            ranked, hits = await timed(store, query, args.repeat)
            search_module.RANKED = "0"  # every score equal: newest first, as before
            plain, _ = await timed(store, query, args.repeat)
            search_module.RANKED = ranked_sql
            ratios.append(ranked / plain)
            print(f"{query:<14} {hits:>6} {ranked:>10.2f} {plain:>11.2f} {ranked / plain:>6.2f}")
        print(
            f"median ratio ranked/recency: {statistics.median(ratios):.2f}, max {max(ratios):.2f}"
        )
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
