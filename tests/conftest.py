"""Shared pytest fixtures. Each helper keeps its fixtures in its own clearly marked block."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.delivery.push import DeliveryService
from bot.delivery.sender import RetryPolicy
from bot.digest.loader import load_digest
from bot.digest.model import Digest
from bot.standin import FakeTelegram
from bot.store import Store
from tests.delivery_helpers import DAY, delivery_telegram, make_bot, make_settings, write_digest

# ----------------------------------------------------------------- fake_telegram (helper C) ---


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server on 127.0.0.1 (free port), stopped after the test.

    Use ``Bot(fake_telegram.token, base_url=fake_telegram.base_url)``; see
    ``bot/standin/__init__.py`` for the whole API.
    """
    async with FakeTelegram() as tg:
        yield tg


# ------------------------------------------------------------- end fake_telegram (helper C) ---


# ------------------------------------------------------------- running bot (helper F) ---
@pytest.fixture
async def fast_telegram() -> AsyncIterator[FakeTelegram]:
    """The fake server with every flood limit 50x faster (the bot's limiter is scaled the same
    by tests.harness.running_bot), so end-to-end tests of the bot stay quick."""
    async with FakeTelegram(speed=50) as tg:
        yield tg


# --------------------------------------------------------- end running bot (helper F) ---


# ------------------------------------------------------------------ size limits (issue 7) ---
@pytest.fixture(autouse=True)
def default_size_limits():
    """`digestbot` commands and the bot set the process-wide MAX_DIGEST_* limits from the
    environment: put the defaults back so no test leaks its limits into the next."""
    from bot.digest.limits import SizeLimits, set_limits

    yield
    set_limits(SizeLimits())


# -------------------------------------------------------------- end size limits (issue 7) ---


# --------------------------------------------- delivery world (tests/delivery_helpers.py) ---
@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake server holding the delivery world's chats (admin, group, channel, forum topic);
    a module that wants other chats defines its own `tg`."""
    async with delivery_telegram() as server:
        yield server


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh Store in tmp_path/db.sqlite, closed after the test."""
    store = await Store.open(tmp_path / "db.sqlite")
    yield store
    await store.close()


@pytest.fixture
async def delivery_env(
    tg: FakeTelegram, store: Store, tmp_path: Path
) -> AsyncIterator[tuple[Callable[..., Awaitable[DeliveryService]], Digest]]:
    """(service factory, digest): a digest of four sections in tmp_path/content; the factory
    builds a DeliveryService for a list of DIGEST_CHATS entries on `store`, its bot on `tg`."""
    bots: list[ExtBot] = []

    async def service(chats: list[str], *, read_timeout: float = 5.0, **kw) -> DeliveryService:
        bot = make_bot(tg, read_timeout)
        await bot.initialize()
        bots.append(bot)
        return DeliveryService(
            settings=make_settings(tmp_path, chats, **kw),
            store=store,
            bot=bot,
            retry=RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.5),
        )

    path = write_digest(tmp_path / "content", DAY, sections=4)
    yield service, load_digest(path, tmp_path / "content")
    for bot in bots:
        await bot.shutdown()


# ----------------------------------------- end delivery world (tests/delivery_helpers.py) ---
