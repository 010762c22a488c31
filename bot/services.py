"""The services every handler reaches through its typed context: `context.services`.

Built once in `bot.app` (post_init) after the store is open; handlers never construct these.
The application is built with `CONTEXT_TYPES`, so `context.bot_data` is a `BotData` (typed
attributes, not string keys) and every callback gets a `BotContext`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.error import TelegramError
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.catalog import Catalog
from bot.config import Settings
from bot.reader.service import ReaderService
from bot.store import Store

if TYPE_CHECKING:
    from bot.delivery.corrections import Corrector
    from bot.delivery.jobs import PushJobs
    from bot.delivery.outbox import ReplyOutbox
    from bot.delivery.push import DeliveryService
    from bot.delivery.userlimit import UserRateLimit
    from bot.ops import Operations
    from bot.schedule import Clock, PushScheduler


@dataclass
class Services:
    settings: Settings
    store: Store
    catalog: Catalog  # find, load and render digests (shared by readers and the push)
    reader: ReaderService  # the reader commands' queries
    delivery: DeliveryService
    scheduler: PushScheduler
    jobs: PushJobs
    outbox: ReplyOutbox  # every reply to a reader leaves through it (bounded per chat)
    user_limit: UserRateLimit
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # background task that keeps the index in step with the content folder
    watcher: asyncio.Task[None] | None = None
    # corrects chats when a pushed digest changes (None only in tests that build Services)
    corrector: Corrector | None = None

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids


class BotData:
    """`application.bot_data`: the settings and ops from the start, the services once post_init
    ran."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.services: Services | None = None
        # the schedule's clock; None: the system clock. `digestbot sandbox` sets one that its
        # page can move forward to the next push
        self.clock: Clock | None = None
        # polling failures (409 Conflict, network) go here from the error handler: bot.polling
        self.polling_errors: Callable[[TelegramError], None] | None = None
        # metrics, health, webhook, error reports (bot/ops.py): from build_application on
        self.ops: Operations | None = None


class BotContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """The context every handler gets: `context.services` instead of digging in bot_data."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:  # PTB runs no handler before post_init: a wiring bug
            raise RuntimeError("services are not ready (post_init has not run)")
        return services


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
