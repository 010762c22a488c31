"""What the push benchmarks (broadcast.py, corrections.py) share: many groups on a fake server
with Telegram's flood limits, a bot wide enough to keep them all busy, the --scale option.
Not a benchmark itself."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.delivery.ratelimit import FloodLimiter
from bot.standin import FakeTelegram


def group_ids(count: int) -> list[int]:
    return [-1000000000000 - n for n in range(count)]


@asynccontextmanager
async def groups_server(ids: list[int], scale: float) -> AsyncIterator[FakeTelegram]:
    """The fake server with a supergroup per id, every flood limit `scale` times faster; whole
    retry_after seconds as Telegram sends them unless scaled (a fraction keeps waits in scale)."""
    async with FakeTelegram(speed=scale, integer_retry_after=scale == 1) as tg:
        for n, chat in enumerate(ids):
            tg.add_supergroup(chat, f"Group {n}")
        yield tg


def fleet_bot(tg: FakeTelegram, limiter: FloodLimiter) -> ExtBot:
    """A real PTB bot on `tg`; 256 connections so the pool never paces a push to many chats."""
    return ExtBot(
        tg.token,
        base_url=tg.base_url,
        rate_limiter=limiter,
        request=HTTPXRequest(connection_pool_size=256, read_timeout=30),
    )


def add_scale_option(parser: argparse.ArgumentParser, default: float) -> None:
    parser.add_argument(
        "--scale",
        type=float,
        default=default,
        help="speed up every limit (server and bot alike) by this factor",
    )
