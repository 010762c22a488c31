"""FloodLimiter: the one place that keeps every Bot API request within Telegram's flood limits.

Why not PTB's AIORateLimiter: it is a pair of leaky buckets (aiolimiter) that let a burst through
at start, counts groups and the overall rate in independent buckets, and on a 429 stops *every*
request and gives up after `max_retries`. Pushing one digest to 60 groups it met 132 429s and at
higher rates dropped messages. Here every request books an exact send time that satisfies all
three limits at once (per chat, per group per sliding minute, overall), and a causal guard makes
sure network jitter cannot push more arrivals than allowed into any window at the server (see
_Window), so a normal run meets no 429; when one comes anyway, that chat waits
`retry_after` and the request is sent again - for ever by default, because a digest part must
never be dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

_LOG = logging.getLogger("digestbot.ratelimit")

# Small tolerance for float comparisons of booked times.
_EPS = 1e-9


class LimiterClock(Protocol):
    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class Paced:
    """`rate_limit_args` that make any request to a chat count against the flood limits, as a
    send does: a correction's edits and deletes are a burst of traffic into chats that readers
    see (Telegram counts edits), unlike a reader's page edit, which is left unpaced."""

    max_retries: int | None = None


PACED = Paced()


class MonotonicClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Held:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done: float | None = None  # when the answer came back (None: still in flight)


class _Window:
    """At most `size` requests whose span [dispatch, answer + hold] overlap.

    A request reaches the server after we dispatch it and before we get its answer. So if the
    31st request is only dispatched `hold` seconds after the answer to the 1st came back, the
    server can never count more than `size` arrivals in any `hold`-second window, however the
    network delays each request. Booked times alone (below) cannot promise that: a first
    request held up by a new connection may reach the server late, next to a later one.
    """

    def __init__(self, size: int, hold: float) -> None:
        self.size = size
        self.hold = hold
        self._held: list[_Held] = []
        self._changed = asyncio.Event()

    def idle(self, now: float) -> bool:
        return all(h.done is not None and h.done + self.hold <= now for h in self._held)

    async def enter(self, clock: LimiterClock) -> _Held:
        while True:
            now = clock.monotonic()
            self._held = [h for h in self._held if h.done is None or h.done + self.hold > now]
            if len(self._held) < self.size:
                held = _Held()
                self._held.append(held)
                return held
            finished = [h.done + self.hold for h in self._held if h.done is not None]
            if finished:
                await clock.sleep(min(finished) - now)
            else:
                await self._changed.wait()

    def leave(self, held: _Held, clock: LimiterClock) -> None:
        held.done = clock.monotonic()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


@dataclass
class LimiterStats:
    """Counters for benchmarks and /status."""

    requests: int = 0  # requests passed to the Bot API (each resend counts)
    retry_after: int = 0  # 429 answers received
    waited: float = 0.0  # total seconds requests spent waiting for their slot


def retry_after_seconds(exc: RetryAfter) -> float:
    """`exc.retry_after` in seconds; PTB 22 returns int or timedelta (and warns about the int)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def is_group_chat(chat_id: int | str) -> bool:
    """Groups, supergroups and channels have negative ids; `@name` is a channel or supergroup."""
    return isinstance(chat_id, str) or chat_id < 0


def _chat_key(raw: object) -> int | str | None:
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw)
    with contextlib.suppress(ValueError):
        return int(text)
    return text.lower()


class FloodLimiter(BaseRateLimiter[int]):
    """Paces every request that posts into a chat; resends after 429.

    Limits (Telegram's, see telegram.constants.FloodLimit): `per_chat_interval` seconds between two
    messages to one chat, `group_per_minute` messages per sliding minute to one group/channel,
    `overall_per_second` messages per second in total. `scale` > 1 speeds all of them up by the
    same factor (for a fake server whose limits are scaled likewise). `headroom` keeps booked times
    that share away from the limits so network jitter does not cross them.

    `max_retries`: None resends after 429 for ever; an int gives up after that many 429s (the
    `rate_limit_args` of a single call may override it).
    """

    def __init__(
        self,
        *,
        per_chat_interval: float = 1.0,
        group_per_minute: int = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        overall_per_second: int = FloodLimit.MESSAGES_PER_SECOND,
        scale: float = 1.0,
        max_retries: int | None = None,
        clock: LimiterClock | None = None,
        headroom: float = 0.02,
    ) -> None:
        if scale <= 0 or not 0 <= headroom < 1:
            raise ValueError("scale must be > 0 and headroom in [0, 1)")
        stretch = 1.0 / (1.0 - headroom)
        self.chat_interval = per_chat_interval / scale * stretch
        self.group_max = group_per_minute
        self.group_window = 60.0 / scale * stretch
        self.overall_spacing = 1.0 / (overall_per_second * scale) * stretch
        # the causal guards: exact limits, measured from answers (see _Window)
        self._overall_window = _Window(overall_per_second, 1.0 / scale)
        self._group_size, self._group_hold = group_per_minute, 60.0 / scale
        self._chat_hold = per_chat_interval / scale
        self._windows: dict[tuple[str, int | str], _Window] = {}
        self.max_retries = max_retries
        self.clock: LimiterClock = clock or MonotonicClock()
        self.stats = LimiterStats()
        self._chat_next: dict[int | str, float] = {}  # earliest next slot per chat
        self._group_slots: dict[int | str, deque[float]] = {}  # last `group_max` slots per group
        self._overall: list[float] = []  # booked slots, sorted, pruned as time passes

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    @staticmethod
    def paced(endpoint: str, data: dict[str, Any], rate_limit_args: object = None) -> bool:
        """New messages in a chat count against the limits. Reads, chat actions, edits and
        pins do not (Telegram's message limits are about messages): pacing them would make a
        reader wait a second for the reply after a "typing..." action or a page edit."""
        if isinstance(rate_limit_args, Paced):  # corrections: their edits are message traffic
            return data.get("chat_id") is not None
        return (
            data.get("chat_id") is not None
            and endpoint != "sendChatAction"
            and endpoint.startswith(("send", "copyMessage", "forwardMessage"))
        )

    def reserve(self, chat: int | str | None) -> float:
        """Book the earliest time a request to `chat` may go out (None: overall limit only).

        Synchronous on purpose: booking is atomic with respect to other tasks.
        """
        now = self.clock.monotonic()
        slot = now
        if chat is not None:
            slot = max(slot, self._chat_next.get(chat, now))
            if is_group_chat(chat) and self.group_max > 0:
                window = self._group_slots.get(chat)
                if window is not None and len(window) >= self.group_max:
                    slot = max(slot, window[0] + self.group_window)
        slot = self._book_overall(slot, now)
        if chat is not None:
            self._chat_next[chat] = slot + self.chat_interval
            if is_group_chat(chat) and self.group_max > 0:
                self._group_slots.setdefault(chat, deque(maxlen=self.group_max)).append(slot)
            if len(self._chat_next) > 4096:
                self._forget_idle(now)
        return slot

    def _book_overall(self, earliest: float, now: float) -> float:
        """Earliest time >= `earliest` at least `overall_spacing` away from every booked slot.

        Later requests may fill gaps before slots booked far ahead (a chat waiting for its own
        interval does not hold back the others).
        """
        spacing = self.overall_spacing
        slots = self._overall
        stale = bisect_left(slots, now - spacing)
        if stale:
            del slots[:stale]
        slot = earliest
        i = bisect_left(slots, slot - spacing + _EPS)
        while i < len(slots) and slots[i] < slot + spacing - _EPS:
            slot = max(slot, slots[i] + spacing)
            i += 1
        insort(slots, slot)
        return slot

    def _forget_idle(self, now: float) -> None:
        for chat in [c for c, t in self._chat_next.items() if t < now - self.group_window]:
            del self._chat_next[chat]
            self._group_slots.pop(chat, None)

    def block_chat(self, chat: int | str, seconds: float) -> None:
        """After a 429: nothing more goes to that chat for `seconds`."""
        until = self.clock.monotonic() + seconds
        self._chat_next[chat] = max(self._chat_next.get(chat, 0.0), until)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if isinstance(rate_limit_args, Paced):
            max_retries = rate_limit_args.max_retries
        else:
            max_retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        paced = self.paced(endpoint, data, rate_limit_args)
        chat = _chat_key(data.get("chat_id")) if paced else None
        failures = 0
        while True:
            if paced:
                delay = self.reserve(chat) - self.clock.monotonic()
                if delay > 0:
                    self.stats.waited += delay
                    await self.clock.sleep(delay)
            held = await self._enter_windows(chat) if paced else []
            self.stats.requests += 1
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.stats.retry_after += 1
                failures += 1
                if max_retries is not None and failures > max_retries:
                    raise
                seconds = retry_after_seconds(exc)
                _LOG.warning(
                    "429 from %s (chat %s): waiting %.1fs, then resending", endpoint, chat, seconds
                )
                if chat is not None:
                    self.block_chat(chat, seconds)  # reserve() then makes the resend wait
                else:
                    await self.clock.sleep(seconds)
            finally:
                for window, entry in held:
                    window.leave(entry, self.clock)

    def _windows_for(self, chat: int | str | None) -> list[_Window]:
        windows = [self._overall_window]
        if chat is None:
            return windows
        keys = [("chat", chat, 1, self._chat_hold)]
        if is_group_chat(chat) and self._group_size > 0:
            keys.append(("group", chat, self._group_size, self._group_hold))
        for kind, key, size, hold in keys:
            window = self._windows.get((kind, key))
            if window is None:
                if len(self._windows) > 4096:  # forget chats that went quiet
                    now = self.clock.monotonic()
                    for k in [k for k, w in self._windows.items() if w.idle(now)]:
                        del self._windows[k]
                window = self._windows[(kind, key)] = _Window(size, hold)
            windows.append(window)
        return windows

    async def _enter_windows(self, chat: int | str | None) -> list[tuple[_Window, _Held]]:
        # chat, then group, then overall: a request never holds an overall slot while it
        # waits for its own chat
        held = []
        for window in reversed(self._windows_for(chat)):
            held.append((window, await window.enter(self.clock)))
        return held
