"""The services every handler reaches through `context.bot_data["services"]`.

Built once in `bot.app` (post_init) after the store is open; handlers never construct these.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.library import DigestLibrary
from bot.store import Store

if TYPE_CHECKING:
    from bot.delivery.corrections import Corrector
    from bot.delivery.jobs import PushJobs
    from bot.delivery.outbox import ReplyOutbox
    from bot.delivery.push import DeliveryService
    from bot.delivery.userlimit import UserRateLimit
    from bot.schedule import PushScheduler

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    store: Store
    library: DigestLibrary
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
    # short keys for long callback arguments (search queries): key -> text
    callback_keys: dict[str, str] = field(default_factory=dict)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids


def get_services(bot_data: dict[str, Any]) -> Services:
    """The Services of a running application (KeyError before post_init has run)."""
    return bot_data[SERVICES_KEY]
