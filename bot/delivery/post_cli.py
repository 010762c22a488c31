"""`digestbot post [DATE] [--chat ID]`: push now from a shell, through the same journal as the bot.

A progress bar (tqdm, on stderr) while it runs, a summary at the end; exit status 1 when a target
failed (the journal keeps what was delivered: running it again resumes), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from bot.config import MISSING_TOKEN, ChatTarget, ConfigError, Settings
from bot.delivery.corrections import CorrectionEvent, CorrectionReport, Corrector
from bot.delivery.push import DeliveryService, PushEvent, PushReport
from bot.delivery.ratelimit import FloodLimiter
from bot.ingest import sync_content
from bot.logging_setup import setup_logging
from bot.store import Store


def post_command(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", MISSING_TOKEN)
    setup_logging(settings.log_level, [settings.token], log_payloads=settings.log_payloads)
    try:
        targets = [ChatTarget.parse(args.chat, "--chat")] if args.chat else None
    except ConfigError as exc:
        print(f"digestbot post: error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_post(settings, args.date, targets))


def _bot(settings: Settings) -> ExtBot:
    # many chats are served side by side: the default pool of 1 connection would serialise them
    request = HTTPXRequest(connection_pool_size=128, read_timeout=15.0)
    return ExtBot(
        settings.token or "",
        base_url=settings.api_base_url,
        request=request,
        rate_limiter=FloodLimiter(),
    )


async def _post(settings: Settings, spec: str | None, targets: list[ChatTarget] | None) -> int:
    store = await Store.open(settings.database_path)
    bot = _bot(settings)
    try:
        if settings.content_dir.is_dir():
            await sync_content(store, settings.content_dir)
        await bot.initialize()
        delivery = DeliveryService(settings=settings, store=store, bot=bot)
        try:
            digests = await delivery.catalog.find_digests(spec)
        except ValueError:
            print(f"digestbot post: error: {spec!r} is not a date (2026-01-25)", file=sys.stderr)
            return 2
        if not digests:
            print(
                f"digestbot post: no digest for {spec or 'latest'} in {settings.content_dir}",
                file=sys.stderr,
            )
            return 1
        chosen = targets if targets is not None else await delivery.active_targets()
        if not chosen:
            print("digestbot post: no targets (set DIGEST_CHATS or use --chat)", file=sys.stderr)
            return 1
        failed = False
        try:
            # a digest changed since its push is corrected first (edits, added and removed
            # parts), so the push below finds every part delivered and sends nothing again
            corrector = Corrector(settings=settings, store=store, delivery=delivery, bot=bot)
            for correction in await _correct_with_bar(corrector, [d.id for d in digests]):
                print(f"correction {correction.summary()}")
                failed = failed or bool(correction.failed)
            for digest in digests:
                report = await _push_with_bar(delivery, digest, chosen)
                _print_summary(report)
                failed = failed or not report.ok
        finally:
            await delivery.close()
        return 1 if failed else 0
    finally:
        await bot.shutdown()
        await store.close()


async def _correct_with_bar(corrector: Corrector, digest_ids: list[str]) -> list[CorrectionReport]:
    with tqdm(total=0, desc="correction", unit="edit", file=sys.stderr, dynamic_ncols=True) as bar:

        def progress(event: CorrectionEvent) -> None:
            if event.kind == "planned":
                bar.total = (bar.total or 0) + event.steps
                bar.refresh()
            else:
                bar.update(1)

        return [
            r
            for r in await corrector.reconcile(only=digest_ids, progress=progress)
            if r.state == "done" or r.results
        ]


async def _push_with_bar(delivery: DeliveryService, digest, targets) -> PushReport:
    total = 0
    for target in targets:  # each in its layout, rendered once: the push reuses them
        layout = await delivery.layout_for(digest, target.chat_id, target.thread_id)
        total += len(delivery.catalog.calls(digest, layout=layout))
    counted: dict[tuple[object, object], int] = {}
    # log lines (a chat's failure, a 429 wait) go through tqdm.write above the bar instead of
    # breaking it; tqdm copies our handler's formatter and redacting filter
    with (
        logging_redirect_tqdm(),
        tqdm(
            total=total, desc=digest.title[:30], unit="msg", file=sys.stderr, dynamic_ncols=True
        ) as bar,
    ):

        def progress(event: PushEvent) -> None:
            key = (event.chat_id, event.thread_id)
            if event.kind in ("sent", "skipped"):
                counted[key] = counted.get(key, 0) + 1
                bar.update(1)
            elif event.kind == "failed":  # the rest of that target's parts will not come
                bar.update(max(0, event.total - counted.get(key, 0)))
                bar.set_postfix_str(f"failed: {event.chat_id}")

        return await delivery.push(digest, targets, progress=progress, kind="cli")


def _print_summary(report: PushReport) -> None:
    print(report.summary())
    for result in report.results:
        state = "ok" if result.complete else "deactivated" if result.deactivated else "FAILED"
        line = f"  {result.label}: {state}, {result.sent} sent, {result.already} already there"
        if result.error:
            line += f" ({result.error})"
        print(line)
