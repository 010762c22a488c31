"""ERROR_CHAT_ID end to end: unhandled handler errors and failed pushes reach the operators'
chat through the REAL bot and the fake server; one message per distinct error per 10 minutes,
the token redacted, with the update's context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.error_report import REPORT_WINDOW_SECONDS, fingerprint
from bot.standin import FakeTelegram
from handlers.errors import APOLOGY
from tests.delivery_helpers import write_digest
from tests.harness import RunningBot, running_bot

ADMIN, ALICE, BOB = 42, 77, 78
OPS_CHAT, GROUP, GONE = -1009, -1001, -1005
DAY = dt.date(2026, 11, 25)


@pytest.fixture
def tg(fast_telegram: FakeTelegram, tmp_path: Path) -> FakeTelegram:
    """The fast fake server with the people and chats below, and DAY's digest on disk."""
    for user, name in ((ADMIN, "Admin"), (ALICE, "Alice"), (BOB, "Bob")):
        fast_telegram.add_private_chat(user, name)
    fast_telegram.add_supergroup(OPS_CHAT, "Ops", {ADMIN: "administrator"})
    fast_telegram.add_supergroup(GROUP, "Readers", {ALICE: "member"})
    fast_telegram.add_supergroup(GONE, "Gone", {BOB: "member"})
    write_digest(tmp_path / "content", DAY)
    return fast_telegram


def add_failing_commands(bot: RunningBot) -> None:
    token = bot.settings.token

    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # the kind of text a network error carries: the request URL, token included
        raise RuntimeError(
            f"boom calling https://api.telegram.org/bot{token}/getMe "
            f"for message {update.effective_message.message_id}"
        )

    async def other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise KeyError("another bug")

    bot.app.add_handler(CommandHandler("boom", boom), group=-5)
    bot.app.add_handler(CommandHandler("other", other), group=-5)


def reports(tg: FakeTelegram) -> list[str]:
    return [m.parsed_text for m in tg.sent_to(OPS_CHAT)]


async def test_handler_errors_are_reported_once_per_ten_minutes(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = {"ERROR_CHAT_ID": str(OPS_CHAT)}
    async with running_bot(tg, tmp_path, env_overrides=env) as bot:
        add_failing_commands(bot)
        now = [5000.0]
        bot.ops.errors.clock = lambda: now[0]

        replies = await bot.ask(ALICE, ALICE, "/boom")
        assert APOLOGY in [r.parsed_text for r in replies]  # the user still gets an answer
        first = reports(tg)
        assert len(first) == 1
        assert first[0].startswith("⚠️ digestbot: unhandled error")
        assert "RuntimeError: boom calling" in first[0]
        assert f"chat {ALICE} (private), user {ALICE}, command '/boom'" in first[0]
        assert "in boom" in first[0]  # the traceback's frame
        assert "[REDACTED]" in first[0]
        assert tg.token not in first[0] and tg.token.split(":")[1] not in first[0]

        # the same bug for another user (other message id) within 10 minutes: held back
        now[0] += REPORT_WINDOW_SECONDS - 1
        await bot.ask(BOB, BOB, "/boom")
        await bot.ask(ALICE, ALICE, "/boom")
        assert len(reports(tg)) == 1
        # a different error is reported at once
        await bot.ask(BOB, BOB, "/other")
        assert len(reports(tg)) == 2 and "KeyError: 'another bug'" in reports(tg)[1]

        # 10 minutes after the first report: reported again, saying how often it was held back
        now[0] += 1
        await bot.ask(BOB, BOB, "/boom")
        assert len(reports(tg)) == 3
        assert f"chat {BOB} (private)" in reports(tg)[2]
        assert "Also 2 more time(s) since the last report" in reports(tg)[2]
        registry = bot.ops.metrics.registry
        assert registry.get_sample_value("digestbot_error_reports_total", {"outcome": "sent"}) == 3
        assert (
            registry.get_sample_value("digestbot_error_reports_total", {"outcome": "suppressed"})
            == 2
        )


async def test_a_failed_push_is_reported_with_its_targets(tg: FakeTelegram, tmp_path: Path) -> None:
    tg.kick_bot(GONE, notify=False)
    env = {"ERROR_CHAT_ID": str(OPS_CHAT), "DIGEST_CHATS": f"{GROUP},{GONE}"}
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        await bot.ask(ADMIN, ADMIN, "/post")
        report = await tg.wait_for(lambda m: m.chat_id == OPS_CHAT, timeout=20)
        assert report.parsed_text.startswith("⚠️ digestbot: push incomplete")
        assert "1/2 targets complete" in report.parsed_text
        assert f"{GONE}: forbidden: " in report.parsed_text
        assert len(tg.sent_to(GROUP)) > 0  # the healthy chat got its digest


async def test_an_unreachable_error_chat_never_breaks_the_bot(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = {"ERROR_CHAT_ID": "-1000000000404"}  # no such chat: 400 chat not found
    async with running_bot(tg, tmp_path, env_overrides=env) as bot:
        add_failing_commands(bot)
        replies = await bot.ask(ALICE, ALICE, "/boom")
        assert APOLOGY in [r.parsed_text for r in replies]
        assert (
            bot.ops.metrics.registry.get_sample_value(
                "digestbot_error_reports_total", {"outcome": "failed"}
            )
            == 1
        )
        replies = await bot.ask(ALICE, ALICE, "/latest")  # still serving
        assert replies and replies[0].parsed_text.startswith("Digest of 2026-11-25")


def _raise(message: str) -> BaseException:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def test_fingerprint_ignores_numbers_but_not_the_kind_of_error() -> None:
    assert fingerprint(_raise("message 12 in chat -100345")) == fingerprint(
        _raise("message 99 in chat -100777")
    )
    assert fingerprint(_raise("message 12")) != fingerprint(_raise("reply 12"))
    assert fingerprint(_raise("x")) != fingerprint(KeyError("x"))
