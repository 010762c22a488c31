"""Webhook mode end to end: the fake server POSTs updates to the REAL bot's webhook (over HTTP,
through the route a TLS proxy would be), with the secret token Telegram sends; forged requests
without it are refused with 403 and counted."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.standin import FakeTelegram
from bot.webhook import SECRET_HEADER
from tests.harness import RunningBot, digest_text, running_bot
from tests.ops_helpers import LOOPBACK_ANY_PORT, scrape, value

READER = 501
SECRET = "s3cret_Token-for-tests"
HOOK = "https://digest.example.test/telegram/updates"
CONTENT = {"2026-01-25.md": digest_text("2026-01-25", "Webhook digest", {"News": ["One"]})}


def webhook_env(**extra: str) -> dict[str, str]:
    return {
        "WEBHOOK_URL": HOOK,
        "WEBHOOK_LISTEN": LOOPBACK_ANY_PORT,
        "WEBHOOK_SECRET": SECRET,
        **extra,
    }


def webhook_bot(
    tg: FakeTelegram, tmp_path: Path, **env: str
) -> AbstractAsyncContextManager[RunningBot]:
    """The real bot on CONTENT in webhook mode (webhook_env, then `env`), READER on `tg`."""
    tg.add_private_chat(READER, "Reader")
    return running_bot(tg, tmp_path, content_files=CONTENT, env_overrides=webhook_env(**env))


def sample(bot: RunningBot, name: str, **labels: str) -> float | None:
    return bot.ops.metrics.registry.get_sample_value(name, labels)


@dataclass
class Receiver:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def aiohttp_answers() -> AsyncIterator[Callable[[list[int]], Awaitable[Receiver]]]:
    """A stand-in webhook on 127.0.0.1 answering the given statuses in turn (then 200)."""
    runners: list[web.AppRunner] = []

    async def start(statuses: list[int]) -> Receiver:
        pending = list(statuses)
        receiver = Receiver("")

        async def handle(request: web.Request) -> web.Response:
            body = await request.json()
            receiver.requests.append(
                {
                    "path": request.path,
                    "update_id": body["update_id"],
                    "secret": request.headers.get(SECRET_HEADER),
                }
            )
            return web.Response(status=pending.pop(0) if pending else 200)

        app = web.Application()
        app.router.add_post("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        receiver.url = f"http://127.0.0.1:{port}"
        return receiver

    yield start
    for runner in runners:
        await runner.cleanup()


def text_update(tg: FakeTelegram, update_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram would deliver it (built by hand: it is not queued in the fake)."""
    chat = tg.chat(READER)
    return {
        "update_id": update_id,
        "message": {
            "message_id": chat.new_message_id(),
            "date": int(time.time()),
            "chat": chat.to_api(),
            "from": tg.users[READER].to_api(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_updates_arrive_by_webhook_with_the_secret_and_are_answered(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    tg = fast_telegram
    async with webhook_bot(tg, tmp_path) as bot:
        assert tg.webhook is not None
        assert (tg.webhook.url, tg.webhook.secret_token) == (HOOK, SECRET)
        replies = await bot.ask(READER, READER, "/latest")
        assert replies and replies[0].parsed_text.startswith("Webhook digest")
        # delivered by POST (accepted: 200), never polled
        assert [status for _, status in tg.webhook_attempts] == [200]
        assert "getUpdates" not in tg.stats.requests
        assert sample(bot, "digestbot_webhook_updates_total", outcome="accepted") == 1


async def test_wrong_or_missing_secret_is_refused_with_403_and_counted(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    tg = fast_telegram
    async with webhook_bot(tg, tmp_path, HEALTH_LISTEN=LOOPBACK_ANY_PORT) as bot:
        assert (
            await tg.post_webhook(text_update(tg, 9001, "/latest"), secret_token="not-the-secret")
            == 403
        )
        assert await tg.post_webhook(text_update(tg, 9002, "/latest"), secret_token=None) == 403
        assert (
            await tg.post_webhook(text_update(tg, 9003, "/latest"), secret_token=SECRET[:-1]) == 403
        )
        await bot.settle()
        assert tg.sent == []  # none of them reached a handler
        samples = await scrape(bot.listener_url(bot.settings.health_listen))
        assert value(samples, "digestbot_webhook_updates_total", outcome="forbidden") == 3
        assert value(samples, "digestbot_webhook_updates_total", outcome="accepted") == 0
        # the same request with the right secret is handled
        assert await tg.post_webhook(text_update(tg, 9004, "/latest"), secret_token=SECRET) == 200
        reply = await tg.wait_for(lambda m: m.chat_id == READER)
        assert reply.parsed_text.startswith("Webhook digest")
        samples = await scrape(bot.listener_url(bot.settings.health_listen))
        assert value(samples, "digestbot_webhook_updates_total", outcome="accepted") == 1


async def test_a_body_that_is_not_an_update_is_a_400_not_a_crash(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    tg = fast_telegram
    async with webhook_bot(tg, tmp_path) as bot:
        assert await tg.post_webhook([1, 2, 3], secret_token=SECRET) == 400  # type: ignore[arg-type]
        assert sample(bot, "digestbot_webhook_updates_total", outcome="invalid") == 1
        replies = await bot.ask(READER, READER, "/latest")  # still serving
        assert replies[0].parsed_text.startswith("Webhook digest")


async def test_health_and_webhook_can_share_one_listener(
    fast_telegram: FakeTelegram, tmp_path, unused_tcp_port: int
) -> None:
    tg = fast_telegram
    address = f"127.0.0.1:{unused_tcp_port}"
    async with webhook_bot(tg, tmp_path, WEBHOOK_LISTEN=address, HEALTH_LISTEN=address) as bot:
        base = bot.listener_url(bot.settings.health_listen)
        assert base == f"http://{address}"
        replies = await bot.ask(READER, READER, "/latest")
        assert replies[0].parsed_text.startswith("Webhook digest")
        samples = await scrape(base)
        assert value(samples, "digestbot_webhook_updates_total", outcome="accepted") == 1


async def test_polling_after_a_webhook_deletes_it_first(
    fast_telegram: FakeTelegram, tmp_path
) -> None:
    """Going back from webhook to polling: getUpdates is refused while a webhook is set
    (409), so the bot must delete it first (PTB's start_polling does)."""
    tg = fast_telegram
    tg.add_private_chat(READER, "Reader")
    async with Bot(tg.token, base_url=tg.base_url) as raw:
        await raw.set_webhook(HOOK, secret_token=SECRET)
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await raw.get_updates()
    async with running_bot(tg, tmp_path, content_files=CONTENT) as bot:
        assert tg.webhook is None
        replies = await bot.ask(READER, READER, "/latest")
        assert replies[0].parsed_text.startswith("Webhook digest")


# -- the fake server's webhook rules (strict like Telegram) --------------------------------------
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://digest.example.test/hook", "An HTTPS URL must be provided"),
        ("https://digest.example.test:8080/hook", "only on ports 80, 88, 443 or 8443"),
        ("https:///hook", "Failed to resolve host"),
    ],
)
async def test_fake_refuses_webhooks_telegram_refuses(
    fake_telegram: FakeTelegram, url: str, reason: str
) -> None:
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as raw:
        with pytest.raises(BadRequest, match=f"(?i){reason}"):
            await raw.set_webhook(url)
        with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
            await raw.set_webhook(HOOK, secret_token="with space")
        assert (await raw.get_webhook_info()).url == ""


async def test_fake_keeps_refused_updates_and_retries_them(
    fake_telegram: FakeTelegram, aiohttp_answers
) -> None:
    tg = fake_telegram
    tg.add_private_chat(READER, "Reader")
    receiver = await aiohttp_answers([503, 403, 200])
    tg.route_webhook("https://digest.example.test", receiver.url)
    async with Bot(tg.token, base_url=tg.base_url) as raw:
        await raw.set_webhook(HOOK, secret_token=SECRET)
        await tg.send_text(READER, READER, "hello")
        await tg.wait_until(lambda: len(tg.webhook_attempts) >= 2, what="two failed attempts")
        info = await raw.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message is not None
        assert info.last_error_message.startswith("Wrong response from the webhook: ")
        await tg.wait_updates_consumed()
        assert [status for _, status in tg.webhook_attempts] == [503, 403, 200]
        # each attempt was the same update, with the secret header, at the URL's path
        assert {r["path"] for r in receiver.requests} == {"/telegram/updates"}
        assert {r["secret"] for r in receiver.requests} == {SECRET}
        assert len({r["update_id"] for r in receiver.requests}) == 1
        assert (await raw.get_webhook_info()).pending_update_count == 0
        await raw.delete_webhook()
        assert (await raw.get_updates()) == ()
