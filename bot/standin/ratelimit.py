"""Telegram's flood limits as the fake server enforces them.

The exact algorithm of Telegram is not public; these rules are chosen so that a bot following the
documented advice never trips them, while a bot that ignores pacing does quickly:

* per chat (any type): a token bucket of ``chat_burst`` (3) messages refilled at 1 message/s.
  A bot that waits >= 1 s between messages to one chat never trips it, even with timing jitter
  (the burst absorbs early sends); a burst of more than 3 back-to-back messages does.
* per group / supergroup / channel: at most 20 messages in any sliding 60 s window.
* global: at most 30 messages in any sliding 1 s window.

``speed`` multiplies every rate (and divides every window) by the same factor, so benchmarks can
run 10x faster under the same rules. Rejected messages do not consume capacity. ``retry_after``
is how long until the violated rule would accept the message, rounded up to whole seconds
(Telegram sends integers) unless ``integer_retry_after`` is false (useful with ``speed`` > 1).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FloodLimits:
    speed: float = 1.0
    chat_burst: int = 3
    chat_per_second: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30
    integer_retry_after: bool = True
    enabled: bool = True
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _group_windows: dict[int, deque[float]] = field(default_factory=dict)
    _global_window: deque[float] = field(default_factory=deque)

    def check(self, chat_id: int, is_group: bool, now: float) -> float | None:
        """Record a message to ``chat_id`` at ``now``; return None, or the wait if refused."""
        if not self.enabled:
            return None
        waits: list[float] = []
        rate = self.chat_per_second * self.speed
        bucket = self._buckets.get(chat_id) or _Bucket(float(self.chat_burst), now)
        bucket.tokens = min(float(self.chat_burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[chat_id] = bucket
        if bucket.tokens < 1.0 - 1e-9:  # tolerance: a wait of exactly retry_after must succeed
            waits.append((1.0 - bucket.tokens) / rate)
        group_window = 60.0 / self.speed
        window = self._group_windows.setdefault(chat_id, deque())
        if is_group:
            _expire(window, now - group_window)
            if len(window) >= self.group_per_minute:
                waits.append(window[0] + group_window - now)
        global_window = 1.0 / self.speed
        _expire(self._global_window, now - global_window)
        if len(self._global_window) >= self.global_per_second:
            waits.append(self._global_window[0] + global_window - now)
        if waits:
            return self._round(max(waits))
        bucket.tokens -= 1.0
        if is_group:
            window.append(now)
        self._global_window.append(now)
        return None

    def _round(self, wait: float) -> float:
        if self.integer_retry_after:
            return max(1, math.ceil(wait))
        return max(0.001, math.ceil(wait * 1000) / 1000)  # never round the wait down


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
