"""HEALTH_LISTEN end to end: /healthz follows the Bot API (the fake server stopped and started
again) and the index; /metrics counts what a real push did, read over HTTP with
prometheus-client's parser."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time

import pytest

from bot.app import build_application, start_application
from bot.health import Health
from bot.metrics import BotMetrics, Pulse
from bot.standin import FakeTelegram
from tests.delivery_helpers import write_digest
from tests.harness import running_bot, settings_for
from tests.ops_helpers import LOOPBACK_ANY_PORT, get_json, scrape, value

ADMIN, GROUP, CHANNEL = 42, -1001, -1002
DAY = dt.date(2026, 11, 25)


async def _health(bot) -> tuple[int, dict]:
    return await get_json(f"{bot.listener_url(bot.settings.health_listen)}/healthz")


async def _wait_health(bot, code: int, timeout: float = 15.0) -> dict:  # noqa: ASYNC109
    answers: list[tuple[int, dict]] = []

    async def check() -> bool:
        answers.append(await _health(bot))
        return answers[-1][0] == code

    # polls our own endpoint (the fake server cannot be waited on: it is the thing stopped)
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"no {code} from /healthz: {answers[-3:]}"
        await asyncio.sleep(0.1)
    return answers[-1][1]


async def test_healthz_is_503_while_telegram_is_gone_and_200_when_it_is_back(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    tg = fast_telegram
    write_digest(tmp_path / "content", DAY)
    env = {"HEALTH_LISTEN": LOOPBACK_ANY_PORT, "HEALTH_MAX_SILENCE": "2"}
    async with running_bot(tg, tmp_path, env_overrides=env) as bot:
        body = await _wait_health(bot, 200)
        assert body["status"] == "ok" and body["index_loaded"] is True
        await tg.stop()  # Telegram stops answering: connections refused
        try:
            body = await _wait_health(bot, 503)
            assert body["status"] == "unavailable"
            assert body["reason"].startswith("no Bot API call succeeded for ")
            assert body["last_telegram_error"]  # e.g. "getMe: NetworkError"
        finally:
            await tg.start()  # same port: the bot finds it again
        body = await _wait_health(bot, 200)
        assert body["telegram_ok_seconds_ago"] < 2


async def test_healthz_in_webhook_mode_stays_ok_when_nothing_happens(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    """No polling, no users: the probe (getWebhookInfo) keeps the pulse, so a quiet bot is
    healthy, not "silent"."""
    tg = fast_telegram
    write_digest(tmp_path / "content", DAY)
    env = {
        "HEALTH_LISTEN": LOOPBACK_ANY_PORT,
        "HEALTH_MAX_SILENCE": "1",
        "WEBHOOK_URL": "https://digest.example.test/hook",
        "WEBHOOK_SECRET": "abc",
        "WEBHOOK_LISTEN": LOOPBACK_ANY_PORT,
    }
    async with running_bot(tg, tmp_path, env_overrides=env) as bot:
        start = tg.stats.requests.get("getWebhookInfo", 0)
        await tg.wait_until(
            lambda: tg.stats.requests.get("getWebhookInfo", 0) >= start + 3,
            timeout=10,
            what="probes",
        )
        code, body = await _health(bot)
        assert code == 200, body
        assert "getUpdates" not in tg.stats.requests


def test_health_rules_without_a_server() -> None:
    now = [1000.0]
    pulse = Pulse(clock=lambda: now[0])
    health = Health(BotMetrics(), pulse, max_silence=60)
    assert health.status()[0] == 503
    assert health.status()[1]["reason"].startswith("starting")
    health.store = object()  # type: ignore[assignment]  # the index is loaded
    assert health.status()[1]["reason"] == "no Bot API call has succeeded yet"
    pulse.ok()
    now[0] += 60
    assert health.status()[0] == 200
    now[0] += 1
    code, body = health.status()
    assert code == 503 and body["reason"] == "no Bot API call succeeded for 61 s (limit 60 s)"
    pulse.ok()
    assert health.status()[0] == 200


async def test_metrics_count_a_push(fast_telegram: FakeTelegram, tmp_path) -> None:
    tg = fast_telegram
    tg.add_private_chat(ADMIN, "Admin")
    tg.add_supergroup(GROUP, "Group", {ADMIN: "member"})
    tg.add_channel(CHANNEL, "Channel", username="digest_chan")
    write_digest(tmp_path / "content", DAY)
    (tmp_path / "content" / "2026-01-02-bad.md").write_text(
        "---\ntitle: [unclosed\ndate: 2026-01-02\n---\nbody\n", encoding="utf-8"
    )
    env = {"HEALTH_LISTEN": LOOPBACK_ANY_PORT, "DIGEST_CHATS": f"{GROUP},{CHANNEL}"}
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        base = bot.listener_url(bot.settings.health_listen)
        before = await scrape(base)
        assert value(before, "digestbot_digests_indexed") == 1
        assert value(before, "digestbot_bad_files") == 1
        assert value(before, "digestbot_pushes_total", outcome="ok") == 0
        digest = (await bot.services.catalog.find_digests(None))[0]
        parts = len(bot.services.catalog.messages(digest))
        tg.fail_next(GROUP, "429", retry_after=1)  # one flood wait on the way
        tg.fail_next(CHANNEL, "500")  # and one server error, which the sender retries
        await bot.ask(ADMIN, ADMIN, "/post")
        await tg.wait_for(
            lambda m: m.chat_id == ADMIN and "targets complete" in m.parsed_text, timeout=20
        )
        after = await scrape(base)

    assert value(after, "digestbot_pushes_total", outcome="ok") == 1
    assert value(after, "digestbot_push_messages_total") == 2 * parts
    assert value(after, "digestbot_push_duration_seconds_count") == 1
    assert value(after, "digestbot_push_duration_seconds_sum") > 0
    # every HTTP attempt, by method and outcome, exactly as the server saw them
    sends = [r for r in tg.requests if r.method == "sendMessage"]
    assert value(
        after, "digestbot_telegram_requests_total", method="sendMessage", outcome="ok"
    ) == sum(r.status == 200 for r in sends)
    assert (
        value(
            after, "digestbot_telegram_requests_total", method="sendMessage", outcome="flood_wait"
        )
        == 1
    )
    assert value(after, "digestbot_telegram_429_total", method="sendMessage") == 1
    assert value(after, "digestbot_retries_total", reason="flood") == 1
    assert value(after, "digestbot_retries_total", reason="network") == 1
    assert (
        value(
            after, "digestbot_telegram_requests_total", method="sendMessage", outcome="server_error"
        )
        == 1
    )
    # the /post command was timed under its own name
    assert value(after, "digestbot_command_duration_seconds_count", command="post") == 1
    assert value(after, "digestbot_command_duration_seconds_count", command="today") == 0
    assert value(after, "digestbot_telegram_last_success_timestamp_seconds") > 1.7e9


async def test_an_address_in_use_is_one_clear_error_naming_the_setting(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = settings_for(
            fast_telegram, tmp_path, env_overrides={"HEALTH_LISTEN": f"127.0.0.1:{port}"}
        )
        app = build_application(settings)
        with pytest.raises(OSError) as caught:
            await start_application(app)
    assert caught.value.strerror == (
        f"HEALTH_LISTEN: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )
    assert not app.running
