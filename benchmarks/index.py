"""Index benchmark: cold sync of N generated digests, warm sync after reopening, searches.

    .venv/bin/python benchmarks/index.py [--count 10000] [--keep DIR]

Digests are generated here (our own text, Chinese and English mixed), ~3 KB each: front matter
with tags and summary, 3 `##` sections of 2-3 `###` items with links. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.ingest import sync_content
from bot.store import Store, SyncReport

_ZH = (
    "模型 发布 开源 智能体 语音 多模态 芯片 算力 数据 中心 推理 训练 机器人 自动驾驶 融资 监管 "
    "安全 隐私 搜索 编程 助手 视频 生成 图像 教育 医疗 金融 手机 眼镜"
)
_EN = (
    "model release open source agent speech multimodal chip compute data center inference "
    "training robot driving funding policy safety privacy search coding assistant video image "
    "education health finance phone glasses rust async"
)
ZH_WORDS, EN_WORDS = _ZH.split(" "), _EN.split(" ")
TAGS = ["AI", "AI 日报", "Rust", "OpenAI", "开源", "Robotics", "芯片", "Policy", "Agents", "LLM"]


def sentence(rng: random.Random, zh: bool, words: int) -> str:
    if zh:
        return "".join(rng.choice(ZH_WORDS) for _ in range(words)) + "。"
    return " ".join(rng.choice(EN_WORDS) for _ in range(words)).capitalize() + "."


def make_digest(n: int, rng: random.Random) -> tuple[str, str]:
    day = dt.date(2000, 1, 1) + dt.timedelta(days=n)
    zh = n % 2 == 0
    tags = rng.sample(TAGS, 3)
    lines = [
        "---",
        f"title: {'每日简报' if zh else 'Daily brief'} {n} {sentence(rng, zh, 4)}",
        f"date: {day.isoformat()}",
        "tags: [" + ", ".join(f'"{t}"' for t in tags) + "]",
        f"summary: {sentence(rng, zh, 12)}",
        "---",
        "",
    ]
    for s in range(3):
        lines += [f"## {sentence(rng, zh, 3).rstrip('。.')} {s}", ""]
        for i in range(rng.randint(2, 3)):
            lines += [
                f"### [{sentence(rng, zh, 5).rstrip('。.')}](https://example.com/{n}/{s}/{i})",
                "",
                sentence(rng, zh, 25) + " " + sentence(rng, zh, 20),
                "",
                f"- **{sentence(rng, zh, 2).rstrip('。.')}**: {sentence(rng, zh, 10)}",
                f"- {sentence(rng, zh, 12)}",
                "",
            ]
    return f"{day.isoformat()}-{n}.md", "\n".join(lines)


def generate(root: Path, count: int) -> int:
    rng = random.Random(20260125)
    total = 0
    for n in range(count):
        name, text = make_digest(n, rng)
        folder = root / str(n // 1000)  # a few sub-folders, like a real archive by year
        folder.mkdir(exist_ok=True)
        total += (folder / name).write_text(text, encoding="utf-8")
    return total


def peak_rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of the largest worker process, MB (ru_maxrss is KiB)."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def cpu_seconds() -> float:
    """CPU time of this process and its finished worker processes: unlike wall time, this
    does not depend on what else the (shared, 2-core) machine is doing."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


async def timed_sync(store: Store, content: Path) -> tuple[SyncReport, float, float]:
    """sync_content's report, its wall time and the CPU seconds it took (workers included)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    report = await sync_content(store, content)
    return report, time.perf_counter() - started, cpu_seconds() - cpu


async def run(count: int, work: Path) -> None:
    content, db = work / "content", work / "index.sqlite3"
    content.mkdir(exist_ok=True)
    started = time.perf_counter()
    size = generate(content, count)
    took = time.perf_counter() - started
    print(f"generated {count} digests ({size / 1e6:.1f} MB) in {took:.1f}s")

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    store = await Store.open(db)
    report, cold, cpu = await timed_sync(store, content)
    print(
        f"cold sync: {cold:.2f}s wall, {cpu:.2f}s CPU ({report.added} added,"
        f" {len(report.errors)} bad) = {count / cold:.0f} digests/s"
    )
    await store.close()

    store = await Store.open(db)
    report, warm, cpu = await timed_sync(store, content)
    print(
        f"warm sync after reopen: {warm:.3f}s wall, {cpu:.3f}s CPU ({report.unchanged} unchanged)"
    )

    items = await store._one("SELECT count(*) FROM items")
    print(f"items indexed: {items[0] if items else 0}; database {db.stat().st_size / 1e6:.1f} MB")
    for query in ("智能体", "模型 开源", "芯片", "机", "multimodal agent", "rust", "AI", "zzzz"):
        started = time.perf_counter()
        page = await store.search(query, 0, 10)
        took = (time.perf_counter() - started) * 1000
        total = f"{page.total}+" if page.capped else str(page.total)
        print(f"search {query!r:20} {total:>7} hits, first page in {took:7.1f} ms")
    for name, call in (
        ("tag_counts()", store.tag_counts),
        ("page(middle)", lambda: store.page(count // 2, 10)),
        ("by_tag('AI')", lambda: store.by_tag("AI", 0, 10)),
        ("latest()", store.latest),
    ):
        started = time.perf_counter()
        await call()
        print(f"{name:14} {(time.perf_counter() - started) * 1000:7.1f} ms")
    await store.close()
    own, worker = peak_rss_mb()
    print(f"peak RSS: {own:.0f} MB (largest parse worker: {worker:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args.count, args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as work:
            asyncio.run(run(args.count, Path(work)))


if __name__ == "__main__":
    main()
