"""Shared pytest fixtures. Each helper keeps its fixtures in its own clearly marked block."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

# ----------------------------------------------------------------- fake_telegram (helper C) ---
from bot.standin import FakeTelegram


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
