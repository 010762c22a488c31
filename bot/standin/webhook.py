"""Webhooks in the fake server: setWebhook / deleteWebhook / getWebhookInfo and delivery.

As Telegram: setWebhook takes an HTTPS URL on port 443, 80, 88 or 8443 and an optional
secret_token (1-256 characters A-Z a-z 0-9 _ -); while a webhook is set, getUpdates answers
409 Conflict and every queued update is POSTed (JSON) to the URL, in order, with the secret in
``X-Telegram-Bot-Api-Secret-Token``. An update is dropped once the webhook answers 2xx; any
other answer or a connection error is kept, shown in getWebhookInfo (``last_error_date``,
``last_error_message``) and retried with a growing delay.

The fake never leaves the machine: a test maps the public URL to the bot's local listener with
``tg.route_webhook("https://bot.example.com", "http://127.0.0.1:8443")``, like the TLS proxy in
front of a real deployment (the path is kept). An unrouted host fails delivery with "Failed to
resolve host", as an unknown name would. ``await tg.post_webhook(update, secret_token=...)``
sends one request of the test's choice (a forged or secret-less update) and returns the status.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from bot.standin.params import Params, get_bool, get_int, get_json, get_str
from bot.standin.state import ApiError, bad_request

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use "
    "deleteWebhook to delete the webhook first"
)
_RETRY_FIRST, _RETRY_MAX = 0.05, 2.0  # seconds (Telegram's own are longer; tests are short)


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: list[dict[str, Any]] = field(default_factory=list)  # updates answered 2xx


class WebhookMethods:
    """Mixin of FakeTelegram (which owns `_updates`, `_notify`, `_changed`, `_allowed`)."""

    _updates: list[dict[str, Any]]
    _allowed_updates: list[str] | None
    webhook: Webhook | None
    webhook_attempts: list[tuple[int, int | str]]  # (update_id, HTTP status or "error")
    _webhook_routes: dict[str, str]  # public URL prefix -> local URL prefix
    _webhook_task: asyncio.Task[None] | None
    _webhook_session: aiohttp.ClientSession | None

    def _init_webhooks(self) -> None:
        self.webhook = None
        self.webhook_attempts = []
        self._webhook_routes = {}
        self._webhook_task = None
        self._webhook_session = None

    if TYPE_CHECKING:  # provided by FakeTelegram / BotApiMethods (stubs here would win the MRO)

        def _notify(self) -> None: ...
        def _changed(self) -> asyncio.Event: ...
        def _allowed(self, update: dict[str, Any]) -> bool: ...

    # -- Bot API --------------------------------------------------------------------------
    async def api_setwebhook(self, params: Params) -> Any:
        url = get_str(params, "url") or ""
        if not url:
            await self.api_deletewebhook(params)
            return True
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        try:
            port = parts.port or 443
        except ValueError:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from None
        if port not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = get_str(params, "secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request(
                "secret token contains unallowed characters"
                if secret
                else "secret token must not be empty"
            )
        connections = get_int(params, "max_connections", 40) or 40
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = get_json(params, "allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed)
        if get_bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook(url, secret, connections, self._allowed_updates)
        self._notify()  # ends running long polls (they answer 409) and wakes the delivery
        self._start_delivery()
        return True

    async def api_deletewebhook(self, params: Params) -> Any:
        if get_bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        self._notify()
        return True

    async def api_getwebhookinfo(self, params: Params) -> Any:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def refuse_polling_with_webhook(self) -> None:
        """getUpdates while a webhook is set: 409, like Telegram."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)

    # -- test-facing ------------------------------------------------------------------------
    def route_webhook(self, public_base: str, local_base: str) -> None:
        """Deliver webhook URLs starting with `public_base` to `local_base` (+ the rest)."""
        self._webhook_routes[public_base.rstrip("/")] = local_base.rstrip("/")
        self._notify()

    async def post_webhook(self, update: dict[str, Any], *, secret_token: str | None) -> int:
        """POST one update of the test's choice to the webhook; returns the HTTP status
        (0: no connection). It is not queued and not retried."""
        if self.webhook is None:
            raise ValueError("no webhook is set")
        status, _ = await self._post(self.webhook.url, update, secret_token)
        return status if isinstance(status, int) else 0

    # -- delivery ---------------------------------------------------------------------------
    def _local_url(self, url: str) -> str | None:
        for public, local in self._webhook_routes.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public) :]
        return None

    def _start_delivery(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(
                self._deliver_loop(), name="standin-webhook-delivery"
            )

    async def stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._webhook_session = self._webhook_session, None
        if session is not None:
            await session.close()

    async def _post(
        self, url: str, update: dict[str, Any], secret: str | None
    ) -> tuple[int | str, str]:
        """(HTTP status, or an error text; the error description Telegram would show)."""
        local = self._local_url(url)
        if local is None:
            return "error", "Failed to resolve host: Name or service not known"
        if self._webhook_session is None:
            self._webhook_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        try:
            async with self._webhook_session.post(local, json=update, headers=headers) as answer:
                await answer.read()
                return (
                    answer.status,
                    f"Wrong response from the webhook: {answer.status} {answer.reason}",
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            text = (
                "Connection refused"
                if isinstance(exc, aiohttp.ClientConnectorError)
                else f"Connection failed: {type(exc).__name__}"
            )
            return "error", text

    async def _deliver_loop(self) -> None:
        failures = 0
        while True:
            changed = self._changed()
            hook = self.webhook
            self._updates[:] = [u for u in self._updates if self._allowed(u)]
            if hook is None or not self._updates:
                await changed.wait()
                continue
            update = self._updates[0]
            status, error = await self._post(hook.url, update, hook.secret_token)
            self.webhook_attempts.append((update["update_id"], status))
            if isinstance(status, int) and 200 <= status <= 299:
                failures = 0
                hook.delivered.append(update)
                self._updates[:] = [
                    u for u in self._updates if u["update_id"] != update["update_id"]
                ]
                self._notify()
                continue
            failures += 1
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            self._notify()
            await asyncio.sleep(min(_RETRY_FIRST * 2 ** (failures - 1), _RETRY_MAX))
