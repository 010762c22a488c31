"""Per-user request rate limit: a leaky bucket per user (aiolimiter, which PTB's rate-limiter
extra already brings), with one polite notice per flood instead of one per refused request."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

# a burst of USER_BURST requests, then one every USER_PERIOD / USER_BURST seconds
USER_BURST = 10
USER_PERIOD = 30.0
_KEPT_USERS = 10_000


class UserRateLimit:
    def __init__(self, burst: int = USER_BURST, period: float = USER_PERIOD) -> None:
        self.burst = burst
        self.period = period
        self._buckets: dict[int, AsyncLimiter] = {}
        self._told: set[int] = set()  # users told about the limit since their bucket overflowed
        self.refused = 0

    async def allow(self, user_id: int) -> bool:
        """Take one request from the user's bucket; False when it is empty."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= _KEPT_USERS:  # forget users whose bucket ran empty again
                for user in [u for u, b in self._buckets.items() if b.has_capacity(b.max_rate)]:
                    del self._buckets[user]
                    self._told.discard(user)
            bucket = self._buckets[user_id] = AsyncLimiter(self.burst, self.period)
        if bucket.has_capacity():
            await bucket.acquire()  # capacity is there: returns without waiting
            self._told.discard(user_id)
            return True
        self.refused += 1
        return False

    def first_refusal(self, user_id: int) -> bool:
        """True once per flood: the moment to send the notice."""
        if user_id in self._told:
            return False
        self._told.add(user_id)
        return True
