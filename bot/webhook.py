"""Webhook mode (WEBHOOK_URL): Telegram POSTs each update to us instead of us long-polling.

PTB's custom-webhook pattern: our own aiohttp route (the same server may also carry /healthz
and /metrics, which `run_webhook`'s built-in server cannot) puts each update on
`application.update_queue`; everything after that is the same as in polling mode.

Telegram sends the secret given to setWebhook in `X-Telegram-Bot-Api-Secret-Token` with every
update; a request without it, or with another one, is refused with 403 and counted: the URL
is public, and anyone who finds it could otherwise forge updates (fake admin commands).
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.metrics import BotMetrics

_LOG = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    def __init__(self, application: Application, settings: Settings, metrics: BotMetrics) -> None:
        assert settings.webhook_url and settings.webhook_secret
        self.application = application
        self.settings = settings
        self.metrics = metrics
        self._secret = settings.webhook_secret.encode()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.settings.webhook_path, self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):  # constant time: no guessing by timing
            self.metrics.webhook_updates.labels("forbidden").inc()
            _LOG.warning(
                "webhook request from %s refused: %s secret token",
                request.remote,
                "wrong" if given else "no",
            )
            return web.json_response({"ok": False, "description": "Forbidden"}, status=403)
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            # 400, not 5xx: Telegram would resend a 5xx for ever; a bad body never gets better
            self.metrics.webhook_updates.labels("invalid").inc()
            _LOG.warning("webhook request is not an update: %s", exc)
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        self.metrics.webhook_updates.labels("accepted").inc()
        await self.application.update_queue.put(update)
        return web.json_response({"ok": True})

    async def activate(self) -> None:
        """setWebhook: Telegram starts delivering (pending updates are kept)."""
        await self.application.bot.set_webhook(
            url=self.settings.webhook_url or "",
            secret_token=self.settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        _LOG.info(
            "webhook set: Telegram delivers updates to %s (listening on %s:%d)",
            self.settings.webhook_url,
            *self.settings.webhook_listen,
        )
