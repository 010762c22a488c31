"""Polling failures: one warning, then a reminder a minute at most, whatever the retry rate."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import Conflict, NetworkError

from bot.polling import PollingErrors


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=40), min_size=1, max_size=200))
def test_at_most_one_line_a_minute(gaps: list[float]) -> None:
    clock = Clock()
    errors = PollingErrors("http://127.0.0.1:1/bot", clock=clock)
    logged: list[float] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(clock.now)  # type: ignore[method-assign]
    log = logging.getLogger("digestbot.polling")
    log.addHandler(handler)
    try:
        for gap in gaps:
            clock.now += gap
            errors(Conflict("terminated by other getUpdates request"))
    finally:
        log.removeHandler(handler)
    assert logged[0] == gaps[0]  # the first failure is reported at once
    assert all(b - a >= 60 for a, b in itertools.pairwise(logged))
    # and a reminder does come when failures go on for more than a minute
    assert len(logged) >= 1 + int((clock.now - logged[0]) // (60 + 40))


def test_the_reminder_counts_the_retries(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    errors = PollingErrors("http://127.0.0.1:1/bot", clock=clock)
    with caplog.at_level(logging.WARNING, logger="digestbot.polling"):
        for _ in range(30):
            clock.now += 3
            errors(Conflict("terminated by other getUpdates request"))
        errors(NetworkError("httpx.ConnectError: refused"))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "another instance is polling with this bot token (409 Conflict); stop it — retrying "
        "with backoff",
        "still 409 Conflict: another instance polls with this token (20 retries)",
        "Telegram not reachable at http://127.0.0.1:1/bot (httpx.ConnectError: refused); "
        "retrying with backoff",
    ]
