"""Prometheus metrics of one running bot (prometheus-client), and the hooks that feed them.

Each application has its own CollectorRegistry (tests run many bots in one process, and the
default global registry would mix their counts). What feeds them:
- `ObservedRequest` (the HTTP layer of every Bot API call, getUpdates included): requests by
  method and outcome, 429s, and the Telegram pulse /healthz reads;
- `ObservedLimiter` (around the FloodLimiter): resends after a 429 count as retries;
- `count_retry(bot, reason)`: the sender's own retries after network errors / 5xx;
- `TimedUpdateProcessor`: handler latency per command;
- `bot.ops.ObservedDelivery`: push duration and outcome;
- /metrics (bot/health.py) sets the index gauges from the store just before each scrape.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update
from telegram.ext import Application, BaseRateLimiter, CommandHandler, SimpleUpdateProcessor
from telegram.request import HTTPXRequest, RequestData

# Handler latency: replies are expected in well under a second; a digest is several sends.
_COMMAND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# A push to many chats is paced by the flood limits: seconds to many minutes.
_PUSH_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600)


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "digestbot_telegram_requests",
            "Bot API requests (each HTTP attempt, sendMessage, "
            "sendPhoto, getUpdates, ...) by method and outcome",
            ["method", "outcome"],
            registry=r,
        )
        self.flood_waits = Counter(
            "digestbot_telegram_429",
            "429 Too Many Requests answers from the Bot API",
            ["method"],
            registry=r,
        )
        self.retries = Counter(
            "digestbot_retries",
            "Requests sent again: after a 429 (flood) or after a network error / 5xx (network)",
            ["reason"],
            registry=r,
        )
        self.push_seconds = Histogram(
            "digestbot_push_duration_seconds",
            "Time to push one digest to its targets",
            buckets=_PUSH_BUCKETS,
            registry=r,
        )
        self.pushes = Counter(
            "digestbot_pushes", "Pushes by outcome (ok, failed, error)", ["outcome"], registry=r
        )
        self.push_messages = Counter(
            "digestbot_push_messages", "Digest parts delivered by pushes", registry=r
        )
        self.command_seconds = Histogram(
            "digestbot_command_duration_seconds",
            "Time to handle one update, by command (button: inline buttons, other: anything else)",
            ["command"],
            buckets=_COMMAND_BUCKETS,
            registry=r,
        )
        self.webhook_updates = Counter(
            "digestbot_webhook_updates",
            "Webhook requests by outcome (accepted; forbidden: "
            "wrong or missing secret token; invalid: not an update)",
            ["outcome"],
            registry=r,
        )
        self.error_reports = Counter(
            "digestbot_error_reports",
            "Errors for ERROR_CHAT_ID by outcome (sent, "
            "suppressed: same error within 10 minutes, failed)",
            ["outcome"],
            registry=r,
        )
        self.digests = Gauge("digestbot_digests_indexed", "Digests in the index", registry=r)
        self.bad_files = Gauge("digestbot_bad_files", "Content files that fail to load", registry=r)
        self.last_ok = Gauge(
            "digestbot_telegram_last_success_timestamp_seconds",
            "When a Bot API call last succeeded (Unix time)",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


# -- the Telegram pulse: what /healthz needs to know about the Bot API ---------------------------
class Pulse:
    """When a Bot API call last succeeded / failed (monotonic clock), and why it failed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_ok: float | None = None
        self.last_failure: float | None = None
        self.last_error: str | None = None

    def ok(self) -> None:
        self.last_ok = self.clock()

    def failed(self, error: str) -> None:
        self.last_failure, self.last_error = self.clock(), error

    def silence(self) -> float | None:
        """Seconds since the last success (None: never)."""
        return None if self.last_ok is None else self.clock() - self.last_ok


def _outcome(status: int) -> str:
    if 200 <= status <= 299:
        return "ok"
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        429: "flood_wait",
    }.get(status, "server_error" if status >= 500 else f"http_{status}")


class ObservedRequest(HTTPXRequest):
    """PTB's HTTPX transport, counting each Bot API request by method and outcome.

    This is the one layer every call passes (getUpdates skips the rate limiter), so it is also
    where the health pulse is taken. The method is the URL's last segment (never the token).
    """

    def __init__(self, metrics: BotMetrics, pulse: Pulse, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics
        self.pulse = pulse

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        try:
            status, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        except Exception as exc:  # TimedOut, NetworkError: Telegram never answered
            self.metrics.requests.labels(endpoint, "network_error").inc()
            self.pulse.failed(f"{endpoint}: {type(exc).__name__}")
            raise
        self.metrics.requests.labels(endpoint, _outcome(status)).inc()
        if status == 429:
            self.metrics.flood_waits.labels(endpoint).inc()
        if 200 <= status <= 299:
            self.pulse.ok()
            self.metrics.last_ok.set_to_current_time()
        elif status >= 500 or status in (401, 409):  # Telegram (or its proxy) is not serving us
            self.pulse.failed(f"{endpoint}: HTTP {status}")
        return status, payload


class ObservedLimiter(BaseRateLimiter[int]):
    """Delegates to the real limiter; each extra call of a request's callback is a resend."""

    def __init__(self, inner: BaseRateLimiter[Any], metrics: BotMetrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        calls = 0

        async def counted(*a: Any, **kw: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls > 1:
                self.metrics.retries.labels("flood").inc()
            return await callback(*a, **kw)

        return await self.inner.process_request(
            counted, args, kwargs, endpoint, data, rate_limit_args
        )


def count_retry(bot: object, reason: str) -> None:
    """A request about to be sent again. The sender only holds the Bot: its metrics are found
    through the bot's request object (no-op for a bot without them, e.g. `digestbot post`)."""
    metrics = getattr(getattr(bot, "request", None), "metrics", None)
    if isinstance(metrics, BotMetrics):
        metrics.retries.labels(reason).inc()


# -- handler latency -------------------------------------------------------------------------------
def command_labeller(application: Application) -> Callable[[object], str]:
    """update -> 'today' | 'button' | 'other'. Only registered commands become labels, so a
    user typing /anything cannot grow the number of time series."""
    known: set[str] = set()

    def label(update: object) -> str:
        if not known:
            for group in application.handlers.values():
                for handler in group:
                    if isinstance(handler, CommandHandler):
                        known.update(handler.commands)
        if not isinstance(update, Update):
            return "other"
        if update.callback_query is not None:
            return "button"
        message = update.effective_message
        text = (message.text or message.caption or "") if message else ""
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text[1:] else ""
            if command in known:
                return command
        return "other"

    return label


class TimedUpdateProcessor(SimpleUpdateProcessor):
    """PTB's concurrent update processor, timing each update by the command it carries."""

    def __init__(self, max_concurrent_updates: int, metrics: BotMetrics) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics
        self.label: Callable[[object], str] = lambda _update: "other"

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            self.metrics.command_seconds.labels(self.label(update)).observe(
                time.perf_counter() - started
            )
