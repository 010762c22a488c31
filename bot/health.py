"""HEALTH_LISTEN: /healthz for orchestrators (Docker HEALTHCHECK, k8s probes) and /metrics.

/healthz is 200 once the digest index is loaded AND a Bot API call succeeded within the last
minute; otherwise 503. Both carry a JSON body whose `reason` says what is wrong. In webhook
mode the bot may not call Telegram for a long time on its own, so a probe (getMe, or
getWebhookInfo with a webhook) runs whenever no call succeeded for a third of that minute:
silence then means Telegram cannot be reached, never just a quiet night.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from telegram import Bot
from telegram.error import TelegramError

from bot.metrics import BotMetrics, Pulse
from bot.store import Store

_LOG = logging.getLogger(__name__)

MAX_SILENCE_SECONDS = 60.0


class Health:
    def __init__(
        self, metrics: BotMetrics, pulse: Pulse, *, max_silence: float = MAX_SILENCE_SECONDS
    ) -> None:
        self.metrics = metrics
        self.pulse = pulse
        self.max_silence = max_silence
        # the store, once post_init has loaded the index (None: still starting)
        self.store: Store | None = None

    def status(self) -> tuple[int, dict[str, Any]]:
        silence = self.pulse.silence()
        body: dict[str, Any] = {
            "index_loaded": self.store is not None,
            "telegram_ok_seconds_ago": None if silence is None else round(silence, 1),
            "last_telegram_error": self.pulse.last_error,
        }
        if self.store is None:
            reason = "starting: the digest index is not loaded yet"
        elif silence is None:
            reason = "no Bot API call has succeeded yet"
        elif silence > self.max_silence:
            reason = f"no Bot API call succeeded for {silence:.0f} s (limit {self.max_silence:g} s)"
        else:
            return 200, {"status": "ok", **body}
        return 503, {"status": "unavailable", "reason": reason, **body}

    # -- HTTP ----------------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/healthz", self._healthz), web.get("/metrics", self._metrics)]

    async def _healthz(self, request: web.Request) -> web.Response:
        code, body = self.status()
        return web.json_response(body, status=code)

    async def _metrics(self, request: web.Request) -> web.Response:
        if self.store is not None:  # gauges read at scrape time: always what the index holds
            try:
                self.metrics.digests.set(await self.store.digest_count())
                self.metrics.bad_files.set(len(await self.store.bad_files()))
            except Exception as exc:  # a closing store must not turn a scrape into a 500
                _LOG.warning("metrics: could not read the index (%s)", exc)
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    # -- keeping the pulse -----------------------------------------------------------------------
    async def keep_pulse(self, probe: Callable[[], Awaitable[object]]) -> None:
        """Until cancelled: call `probe` whenever no Bot API call succeeded for a while."""
        while True:
            quiet_for = self.max_silence / 3
            silence = self.pulse.silence()
            if silence is None or silence >= quiet_for:
                with contextlib.suppress(TelegramError):  # ObservedRequest noted the failure
                    await probe()
                silence = self.pulse.silence()
            wait = (
                quiet_for - silence
                if silence is not None and silence < quiet_for
                else min(quiet_for, 5.0)
            )  # failing: try again soon, not hammering
            await asyncio.sleep(max(wait, 0.05))


def probe_for(bot: Bot, webhook: bool) -> Callable[[], Awaitable[object]]:
    """getWebhookInfo with a webhook (it also shows Telegram's delivery errors), else getMe."""
    if not webhook:
        return bot.get_me

    async def webhook_info() -> object:
        info = await bot.get_webhook_info()
        if info.last_error_message:
            _LOG.warning(
                "Telegram reports webhook delivery errors: %s (%d pending)",
                info.last_error_message,
                info.pending_update_count,
            )
        return info

    return webhook_info
