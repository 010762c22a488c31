"""The wiring: `digestbot run` as a real process against the fake server, and build details."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.app import file_base_url
from bot.standin import FakeTelegram
from tests.harness import bot_env, digest_text, process_env, spawn_digestbot


def test_file_base_url() -> None:
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"


def _env(tg: FakeTelegram, tmp_path: Path, token: str) -> dict[str, str]:
    env = process_env(**bot_env(tg, tmp_path, "db.sqlite3"), LOG_LEVEL="DEBUG", TIMEZONE="UTC")
    return {**env, "TELEGRAM_BOT_TOKEN": token}


async def _spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await spawn_digestbot(env, cwd, "run")


async def test_digestbot_run_answers_users_and_stops_cleanly(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    tg = fake_telegram
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "2026-01-25.md").write_text(
        digest_text("2026-01-25", "Hello from the fake", {"News": ["one"]}), encoding="utf-8"
    )
    tg.add_private_chat(77, "Tess")
    proc = await _spawn(_env(tg, tmp_path, tg.token), tmp_path)
    try:
        # ready once the menus are set (post_init) and polling has begun
        await tg.wait_until(lambda: tg.commands({"type": "all_private_chats"}), 30, "menus")
        await tg.wait_until(lambda: tg.stats.requests.get("getUpdates"), 30, "polling")
        await tg.send_text(77, 77, "/latest")
        first = await tg.wait_for(lambda m: m.chat_id == 77, timeout=30)
        assert first.parsed_text.startswith("Hello from the fake")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    logs = out.decode() + err.decode()
    assert "sendMessage" in logs  # DEBUG logging was on
    assert tg.token not in logs and tg.token.split(":")[1] not in logs


async def test_a_rejected_token_is_one_line_and_exit_2(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    wrong = "123456:" + "x" * 35
    proc = await _spawn(_env(fake_telegram, tmp_path, wrong), tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines()[-1] == (
        "error: TELEGRAM_BOT_TOKEN was rejected by Telegram (getMe said Unauthorized): "
        "check the token from @BotFather in .env"
    )
    assert wrong not in out.decode() + err.decode()
    assert "Traceback" not in err.decode()  # even at DEBUG: PTB's own traceback is dropped


async def test_unreachable_telegram_is_one_line_with_the_url_and_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "123456789:" + "A" * 35
    env = process_env(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        CONTENT_DIR=str(tmp_path / "content"),
        DATABASE_PATH=str(tmp_path / "db.sqlite3"),
    )
    proc = await _spawn(env, tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    lines = err.decode().strip().splitlines()
    assert lines == [
        f"error: Telegram not reachable at http://127.0.0.1:{port}/bot[REDACTED]"
        "/getMe: httpx.ConnectError: All connection attempts failed"
    ]
    assert token.split(":")[1] not in out.decode() + err.decode()


async def test_digestbot_run_without_a_token_says_where_to_put_it(tmp_path: Path) -> None:
    env = process_env()
    proc = await _spawn(env, tmp_path)  # no .env in tmp_path
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    (line,) = err.decode().strip().splitlines()
    assert ".env" in line and "TELEGRAM_BOT_TOKEN=" in line


async def test_two_bots_on_one_token_warn_once_not_a_traceback_per_poll(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """409 Conflict: each instance logs one warning (reminders at most once a minute), and
    both keep polling with backoff."""
    tg = fake_telegram
    procs = []
    for n in (1, 2):
        (tmp_path / f"b{n}" / "content").mkdir(parents=True)
        env = _env(tg, tmp_path / f"b{n}", tg.token)
        env["LOG_LEVEL"] = "INFO"
        procs.append(await _spawn(env, tmp_path / f"b{n}"))
    try:
        deadline = asyncio.get_running_loop().time() + 90
        while sum(1 for r in tg.errors if r.method == "getUpdates" and r.status == 409) < 4:
            assert asyncio.get_running_loop().time() < deadline, "no 409 conflicts seen"
            await asyncio.sleep(0.5)  # polled: a refused poll is no server event to wait on
    finally:
        logs = []
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
            logs.append(out.decode() + err.decode())
    conflicts = [[line for line in log.splitlines() if "409 Conflict" in line] for log in logs]
    assert sum(len(c) for c in conflicts) >= 1
    assert all(len(c) <= 1 for c in conflicts), conflicts  # well under a minute: no reminder
    assert all(
        "WARNING digestbot.polling: another instance is polling with this bot token" in c[0]
        for c in conflicts
        if c
    )
    assert not any("Traceback" in log for log in logs)


async def test_a_404_from_getme_says_the_base_url_looks_wrong(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = _env(fake_telegram, tmp_path, fake_telegram.token)
    env["TELEGRAM_API_BASE_URL"] = fake_telegram.url + "/not-the-bot-api/bot"
    proc = await _spawn(env, tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    last = err.decode().strip().splitlines()[-1]
    assert "404" in last and "TELEGRAM_API_BASE_URL" in last and "looks wrong" in last
    assert fake_telegram.token not in out.decode() + err.decode()
