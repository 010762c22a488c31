"""What the operator sees when polling fails: one warning, then a reminder a minute at most.

PTB's polling loop already retries with backoff (1 s growing to 30 s between attempts) and hands
every failure to `error_callback`; without this each retry would log a traceback. A 409
Conflict means another process polls with the same token (a second `digestbot run`, or a
webhook): Telegram gives updates to only one, so the operator must stop the other one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram.error import Conflict, NetworkError, TelegramError

log = logging.getLogger("digestbot.polling")

REMINDER_SECONDS = 60.0
POLLING_ERRORS_KEY = "polling_errors"  # the application's PollingErrors, in bot_data


class PollingErrors:
    """Called by the error handler for every polling failure (update None)."""

    def __init__(
        self,
        api_base_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        reminder_seconds: float = REMINDER_SECONDS,
    ) -> None:
        self.api_base_url = api_base_url  # the token is not in it: bot<token> comes after
        self._clock = clock
        self._reminder = reminder_seconds
        self._last: dict[str, float] = {}  # kind -> when it was last logged
        self._since: dict[str, int] = {}  # kind -> failures since then

    def __call__(self, exc: TelegramError) -> None:
        reason = _short(exc.message)
        if isinstance(exc, Conflict):
            kind = "conflict"
            first = (
                "another instance is polling with this bot token (409 Conflict); "
                "stop it — retrying with backoff"
            )
            again = "still 409 Conflict: another instance polls with this token ({n} retries)"
        elif isinstance(exc, NetworkError):
            kind = "network"
            first = (
                f"Telegram not reachable at {self.api_base_url} ({reason}); retrying with backoff"
            )
            again = f"Telegram still not reachable at {self.api_base_url} ({reason}; {{n}} retries)"
        else:
            kind = "other"
            first = f"polling failed: {exc.__class__.__name__}: {reason}; retrying"
            again = f"polling still failing: {reason} ({{n}} retries)"
        now = self._clock()
        last = self._last.get(kind)
        self._since[kind] = self._since.get(kind, 0) + 1
        if last is None:
            log.warning(first)
        elif now - last >= self._reminder:
            log.warning(again.format(n=self._since[kind]))
        else:
            return
        self._last[kind] = now
        self._since[kind] = 0


def _short(message: str, limit: int = 120) -> str:
    """PTB puts a whole HTML error page (a proxy's 502) into the message: one short line."""
    text = " ".join(message.split("Parsing the server response", 1)[0].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
