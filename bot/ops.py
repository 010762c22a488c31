"""Operations: what a deployed bot adds around the application (bot/app.py wires it).

Metrics, the Telegram pulse, /healthz, the webhook receiver, the HTTP listeners and the
ERROR_CHAT_ID reporter live in `application.bot_data.ops` (bot.services.BotData). They exist from
`build_application` on (the request layer feeds them from the first call), unlike Services,
which post_init builds once the store is open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot.config import Settings
from bot.delivery.push import DeliveryService, PushReport, TargetLike
from bot.digest.model import Digest
from bot.error_report import ErrorReporter
from bot.health import Health, probe_for
from bot.listeners import Listeners
from bot.logging_setup import RedactingFilter
from bot.metrics import BotMetrics, Pulse
from bot.services import BotData
from bot.tasks import cancel_and_wait
from bot.webhook import WebhookReceiver

_LOG = logging.getLogger(__name__)


@dataclass
class Operations:
    settings: Settings
    metrics: BotMetrics
    pulse: Pulse
    health: Health
    errors: ErrorReporter
    listeners: Listeners
    webhook: WebhookReceiver | None
    _probe: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, application: Application, settings: Settings, metrics: BotMetrics, pulse: Pulse
    ) -> Operations:
        redactor = RedactingFilter([settings.token or "", settings.webhook_secret or ""])
        health = Health(metrics, pulse, max_silence=settings.health_max_silence)
        webhook = WebhookReceiver(application, settings, metrics) if settings.webhook_url else None
        listeners = Listeners()
        if webhook is not None:
            listeners.add(settings.webhook_listen, webhook.routes(), "WEBHOOK_LISTEN")
        if settings.health_listen is not None:
            listeners.add(settings.health_listen, health.routes(), "HEALTH_LISTEN")
        return cls(
            settings=settings,
            metrics=metrics,
            pulse=pulse,
            health=health,
            errors=ErrorReporter(application.bot, settings.error_chat, redactor, metrics),
            listeners=listeners,
            webhook=webhook,
        )

    def start_probe(self, application: Application) -> None:
        """Keep the pulse fresh when nothing else calls Telegram (webhook mode, quiet hours)."""
        if self._probe is None and self.settings.health_listen is not None:
            probe = probe_for(application.bot, webhook=self.webhook is not None)
            self._probe = asyncio.create_task(
                self.health.keep_pulse(probe), name="digestbot-health-probe"
            )

    async def stop_probe(self) -> None:
        probe, self._probe = self._probe, None
        await cancel_and_wait(probe)


def get_ops(bot_data: BotData) -> Operations:
    """The Operations of an application built by bot.app (a wiring bug otherwise)."""
    if bot_data.ops is None:
        raise RuntimeError("bot_data.ops is not set: build the application with bot.app")
    return bot_data.ops


class ObservedDelivery(DeliveryService):
    """The delivery service, timing each push and reporting the ones that fail."""

    def __init__(self, *args: Any, ops: Operations, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ops = ops

    async def push(
        self, digest: Digest, targets: Sequence[TargetLike] | None = None, **options: Any
    ) -> PushReport:
        """DeliveryService.push (its keyword options passed on as they are)."""
        metrics = self.ops.metrics
        started = time.perf_counter()
        try:
            report = await super().push(digest, targets, **options)
        except Exception as exc:
            metrics.pushes.labels("error").inc()
            await self.ops.errors.report_exception(exc, f"push of {digest.id}")
            raise
        finally:
            metrics.push_seconds.observe(time.perf_counter() - started)
        metrics.pushes.labels("ok" if report.ok else "failed").inc()
        metrics.push_messages.inc(report.sent)
        if not report.ok:
            await self.ops.errors.report_push(report)
        return report
