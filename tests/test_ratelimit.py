"""FloodLimiter: booked send times always satisfy Telegram's limits, and use them well."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import RetryAfter

from bot.delivery.ratelimit import FloodLimiter, is_group_chat
from bot.standin.ratelimit import FloodLimits


class VirtualClock:
    """Time only moves when told to (sleep advances it at once: one request at a time)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)


CHATS = [-1001, -1002, -1003, 7, 8, "@chan"]

requests = st.lists(
    st.tuples(st.floats(min_value=0, max_value=2.5), st.sampled_from(CHATS)),
    min_size=1,
    max_size=150,
)


@settings(max_examples=150, deadline=None)
@given(requests, st.sampled_from([1.0, 10.0]))
def test_booked_times_respect_every_limit(reqs: list[tuple[float, int | str]], scale: float):
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock, scale=scale, headroom=0.0)
    booked: list[tuple[float, int | str]] = []
    for gap, chat in reqs:
        clock.t += gap / scale
        slot = limiter.reserve(chat)
        assert slot >= clock.t - 1e-9  # never in the past
        booked.append((slot, chat))
    eps = 1e-6
    # overall: at most 30 in any window of 1s (scaled)
    times = sorted(t for t, _ in booked)
    window = 1.0 / scale
    for i in range(len(times)):
        j = i
        while j < len(times) and times[j] < times[i] + window - eps:
            j += 1
        assert j - i <= 30
    by_chat: dict[int | str, list[float]] = defaultdict(list)
    for t, chat in booked:
        by_chat[chat].append(t)
    for chat, ts in by_chat.items():
        assert ts == sorted(ts)  # one chat's requests keep their order
        assert all(b - a >= 1.0 / scale - eps for a, b in itertools.pairwise(ts))
        if is_group_chat(chat):
            for i in range(len(ts) - 20):
                assert ts[i + 20] - ts[i] >= 60.0 / scale - eps


@settings(max_examples=100, deadline=None)
@given(requests)
def test_the_fake_servers_independent_rules_never_refuse(reqs):
    """The same bookings replayed through the fake Bot API server's limiter: no 429."""
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock)
    booked = []
    for gap, chat in reqs:
        clock.t += gap
        booked.append((limiter.reserve(chat), chat))
    server = FloodLimits()
    ids = {c: (i + 1) * (-1 if is_group_chat(c) else 1) for i, c in enumerate(CHATS)}
    for t, chat in sorted(booked, key=lambda b: b[0]):
        assert server.check(ids[chat], is_group_chat(chat), t) is None


def test_many_chats_use_at_least_95_percent_of_the_overall_limit():
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock)  # default headroom 4%
    start = clock.t
    slots = [limiter.reserve(-100 - chat) for _ in range(10) for chat in range(200)]
    rate = len(slots) / (max(slots) - start)
    assert 0.95 * 30 <= rate <= 30


def test_idle_limiter_sends_at_once_and_a_second_message_to_the_chat_waits():
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock, headroom=0.0)
    assert limiter.reserve(5) == clock.t
    assert limiter.reserve(6) == pytest.approx(clock.t + 1 / 30)
    assert limiter.reserve(5) == pytest.approx(clock.t + 1.0)


def test_a_waiting_chat_does_not_hold_back_the_others():
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock, headroom=0.0)
    limiter.reserve(1)
    later = limiter.reserve(1)  # booked one second ahead
    other = limiter.reserve(2)  # fills the gap before it
    assert other < later
    assert other == pytest.approx(clock.t + 1 / 30)


async def test_retry_after_waits_and_resends_until_it_goes_through():
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock)
    calls: list[float] = []

    async def callback() -> dict:
        calls.append(clock.t)
        if len(calls) <= 3:
            raise RetryAfter(7)
        return {"ok": True}

    result = await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": -100}, None)
    assert result == {"ok": True}
    assert len(calls) == 4 and limiter.stats.retry_after == 3
    assert all(b - a >= 7 for a, b in itertools.pairwise(calls))


async def test_max_retries_gives_up():
    limiter = FloodLimiter(clock=VirtualClock(), max_retries=1)

    async def callback() -> dict:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 3}, None)
    assert limiter.stats.retry_after == 2


async def test_only_new_messages_are_paced():
    clock = VirtualClock()
    limiter = FloodLimiter(clock=clock)

    async def callback() -> bool:
        return True

    for endpoint in ("getChatMember", "sendChatAction", "editMessageText", "pinChatMessage"):
        for _ in range(25):
            await limiter.process_request(callback, (), {}, endpoint, {"chat_id": 3}, None)
    assert clock.slept == []
    for _ in range(2):
        await limiter.process_request(callback, (), {}, "sendPhoto", {"chat_id": 3}, None)
    assert clock.slept  # the second photo to the same chat waited


async def test_concurrent_requests_on_the_real_clock_are_spaced():
    limiter = FloodLimiter(scale=20.0)  # 600 msg/s overall, 20 ms per chat
    sent: list[tuple[float, int]] = []
    loop = asyncio.get_running_loop()

    async def send(chat: int) -> None:
        async def callback() -> bool:
            sent.append((loop.time(), chat))
            return True

        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)

    await asyncio.gather(*(send(c) for c in [1, 2, 3] * 10))
    for chat in (1, 2, 3):
        ts = [t for t, c in sent if c == chat]
        assert all(b - a >= 0.05 * 0.9 for a, b in itertools.pairwise(ts))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_network_jitter_cannot_crowd_a_window_at_the_server(seed: int):
    """Each request 'arrives' at a random moment between dispatch and answer, with random
    latency: the server still never counts more than the limit in any window."""
    import random

    rng = random.Random(seed)
    scale = 50.0  # windows of 20 ms overall, 1.2 s per group
    limiter = FloodLimiter(scale=scale, headroom=0.0)
    loop = asyncio.get_running_loop()
    arrivals: list[tuple[float, int]] = []

    async def send(chat: int) -> None:
        async def callback() -> bool:
            start = loop.time()
            latency = rng.choice([0.0, 0.001, 0.004, 0.012])
            arrive = start + rng.random() * latency
            await asyncio.sleep(latency)
            arrivals.append((arrive, chat))
            return True

        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)

    async def chat_sends(chat: int) -> None:
        for _ in range(3):
            await send(chat)

    await asyncio.gather(*(chat_sends(-100 - c) for c in range(60)))
    server = FloodLimits(speed=scale, chat_burst=1)
    for t, chat in sorted(arrivals):
        assert server.check(chat, True, t) is None
