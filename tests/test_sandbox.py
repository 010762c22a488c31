"""`digestbot sandbox` / `preview` through their HTTP API (the page's own calls), `run` without
a token, and the page's files as package data. The browser itself: test_sandbox_browser.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.config import Settings
from bot.sandbox import world
from bot.sandbox.run import sandbox
from bot.sandbox.web import STATIC
from bot.store import Store
from tests.harness import digest_text, previewing

ROOT = Path(__file__).resolve().parents[1]


def base_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_PATH": str(tmp_path / "data" / "digestbot.sqlite3"),
            "PUSH_SCHEDULE": "0 8 * * *",
            "TIMEZONE": "UTC",
        },
        env_file=None,
        require_token=False,
    )


def write_digests(content: Path, days: list[dt.date]) -> None:
    content.mkdir(parents=True, exist_ok=True)
    for day in days:
        (content / f"{day}.md").write_text(
            digest_text(day, f"Issue of {day}", {"News": [f"Story {day}"]}, tags=["sandbox"]),
            encoding="utf-8",
        )


async def get_state(session: aiohttp.ClientSession, url: str, after: int = -1) -> dict:
    async with session.get(f"{url}/api/state", params={"after": after, "wait": 5}) as response:
        assert response.status == 200
        return await response.json()


async def act(
    session: aiohttp.ClientSession, url: str, name: str, body: dict | None = None, status: int = 200
) -> dict:
    async with session.post(f"{url}/api/{name}", json=body or {}) as response:
        answer = await response.json()
        assert response.status == status, answer
        return answer


async def until(predicate, timeout: float = 20.0):  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)
    return result


async def test_next_push_moves_the_clock_and_pushes_to_every_target_in_a_database_apart(
    tmp_path: Path,
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    newest = today - dt.timedelta(days=3)
    content = tmp_path / "content"
    write_digests(content, [newest - dt.timedelta(days=1), newest])
    base = base_settings(tmp_path)
    async with (
        sandbox(base, port=0, content_dir=content, speed=20) as box,
        aiohttp.ClientSession() as session,
    ):
        state = await get_state(session, box.url)
        # the clock starts shortly before the newest digest's push, not at the real time
        now = dt.datetime.fromisoformat(state["clock"]["now"])
        assert now.date() == newest and now.hour == 7
        assert state["clock"]["next_push"].startswith(f"{newest}T08:00")
        await act(session, box.url, "next-push")
        tg = box.tg
        for target in (world.GROUP, world.CHANNEL, world.MEMBER):
            await until(
                lambda t=target: any(f"Issue of {newest}" in m.parsed_text for m in tg.sent_to(t))
            )
        await until(lambda: tg.sent_to(world.FORUM, world.NEWS_TOPIC))
        assert not tg.sent_to(world.FORUM, world.TALK_TOPIC)
        await until(lambda: "is done" in box.notice)
        state = await get_state(session, box.url)
        assert dt.datetime.fromisoformat(state["clock"]["now"]) >= dt.datetime.fromisoformat(
            f"{newest}T08:00:00+00:00"
        )
        group = next(c for c in state["chats"] if c["id"] == world.GROUP)
        assert any(m["text"].startswith(f"Issue of {newest}") for m in group["messages"])
    # the journal went to data/sandbox.sqlite3 beside the real database, which stays untouched
    assert box.settings.database_path == tmp_path / "data" / "sandbox.sqlite3"
    assert not (tmp_path / "data" / "digestbot.sqlite3").exists()
    store = await Store.open(box.settings.database_path)
    try:
        assert {t.chat_id for t in await store.active_targets()} >= {world.GROUP, world.MEMBER}
    finally:
        await store.close()
    # the next run is a new stand-in Telegram with empty chats: its push delivers again
    async with (
        sandbox(base, port=0, content_dir=content, speed=20) as again,
        aiohttp.ClientSession() as session,
    ):
        await act(session, again.url, "push-now")
        await until(
            lambda: any(
                f"Issue of {newest}" in m.parsed_text for m in again.tg.sent_to(world.GROUP)
            )
        )
        await until(lambda: "targets complete" in again.notice)


async def test_typing_pressing_personas_and_refusals_reach_the_page(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_digests(content, [dt.date(2026, 1, d) for d in range(1, 13)])
    async with (
        sandbox(base_settings(tmp_path), port=0, content_dir=content, speed=20) as box,
        aiohttp.ClientSession() as session,
    ):
        tg = box.tg
        await act(session, box.url, "send", {"chat_id": world.MEMBER, "text": "/archive"})
        archive = await until(
            lambda: next((m for m in tg.sent_to(world.MEMBER) if "Archive" in m.parsed_text), None)
        )
        older = next(b for b in archive.buttons if "Older" in b["text"])
        await act(
            session,
            box.url,
            "press",
            {
                "chat_id": world.MEMBER,
                "message_id": archive.message_id,
                "data": older["callback_data"],
            },
        )
        await until(lambda: any(e.message_id == archive.message_id for e in tg.edits))
        state = await get_state(session, box.url)
        page = next(
            m
            for c in state["chats"]
            if c["id"] == world.MEMBER
            for m in c["messages"]
            if m["message_id"] == archive.message_id
        )
        assert page["edit_date"] and "2026-01-02" in page["text"]
        # a member cannot post in the channel or write in the admin's private chat
        refused = await act(
            session, box.url, "send", {"chat_id": world.CHANNEL, "text": "hi"}, status=400
        )
        assert "admin" in refused["error"]
        await act(session, box.url, "send", {"chat_id": world.ADMIN, "text": "/start"}, status=400)
        # the admin's /status is answered as an admin's
        await act(session, box.url, "persona", {"id": world.ADMIN})
        await act(session, box.url, "send", {"chat_id": world.ADMIN, "text": "/status"})
        status = await until(lambda: tg.sent_to(world.ADMIN))
        assert "digest" in status[0].parsed_text.lower()
        # a call Telegram refuses is listed under its chat, with Telegram's reason
        tg.fail_next(world.ADMIN, "parse")
        await act(session, box.url, "send", {"chat_id": world.ADMIN, "text": "/latest"})
        await until(lambda: box.view.errors)
        state = await get_state(session, box.url)
        error = state["errors"][-1]
        assert error["chat_id"] == world.ADMIN and error["status"] == 400
        assert "can't parse entities" in error["description"]


async def test_preview_sends_the_digest_and_follows_the_file(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_digests(content, [dt.date(2026, 2, 1)])
    file = content / "2026-02-01.md"
    async with (
        previewing(file, content, interval=0.05) as box,
        aiohttp.ClientSession() as session,
    ):
        state = await get_state(session, box.url)
        chat = next(c for c in state["chats"] if c["id"] == world.PREVIEW_CHAT)
        assert state["mode"] == "preview" and chat["messages"]
        assert chat["messages"][0]["text"].startswith("Issue of 2026-02-01")
        generation = state["preview"]["generation"]
        file.write_text(
            file.read_text(encoding="utf-8").replace("Issue of", "Edited issue of"),
            encoding="utf-8",
        )
        os.utime(file, ns=(time.time_ns(), time.time_ns() + 10**9))
        await until(lambda: box.generation > generation)
        state = await get_state(session, box.url)
        chat = next(c for c in state["chats"] if c["id"] == world.PREVIEW_CHAT)
        assert chat["messages"][0]["text"].startswith("Edited issue of 2026-02-01")
        # the page switches the layout: rich is one sendRichMessage, stored as blocks
        await act(session, box.url, "layout", {"layout": "rich"})
        state = await get_state(session, box.url)
        chat = next(c for c in state["chats"] if c["id"] == world.PREVIEW_CHAT)
        blocks = chat["messages"][0]["rich_message"]["blocks"]
        assert any(b["type"] == "heading" for b in blocks) and state["preview"]["layout"] == "rich"
        await act(session, box.url, "layout", {"layout": "fancy"}, status=400)
        # a broken file is named on the page
        file.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
        await until(lambda: box.problem)
        assert "2026-02-01.md" in box.problem


def test_a_real_envs_deployment_settings_stay_out_of_the_sandbox(tmp_path: Path) -> None:
    """WEBHOOK_URL, HEALTH_LISTEN and ERROR_CHAT_ID of a production .env: the sandbox polls its
    stand-in, opens no listener but its page and reports errors to no real chat."""
    base = Settings.from_env(
        {
            "DATABASE_PATH": str(tmp_path / "digestbot.sqlite3"),
            "WEBHOOK_URL": "https://bot.example.com/hook",
            "WEBHOOK_SECRET": "s3cret-s3cret",
            "HEALTH_LISTEN": "127.0.0.1:9090",
            "ERROR_CHAT_ID": "-1001234567890",
        },
        env_file=None,
        require_token=False,
    )
    assert base.webhook_url and base.health_listen and base.error_chat  # the env did set them
    tg = type("StandIn", (), {"token": "1:x", "base_url": "http://127.0.0.1:1/bot"})()
    settings = world.sandbox_settings(base, tg, content_dir=tmp_path, content_from_env=False)
    assert (
        settings.webhook_url,
        settings.webhook_secret,
        settings.health_listen,
        settings.error_chat,
    ) == (None, None, None, None)


def test_run_without_a_token_points_to_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "digestbot sandbox" in err and ".env" in err and "TELEGRAM_BOT_TOKEN=" in err


def test_preview_rejects_an_unknown_layout_and_a_missing_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    write_digests(content, [dt.date(2026, 2, 1)])
    assert main(["preview", "latest", "--layout", "fancy", "--content-dir", str(content)]) == 2
    assert "--layout" in capsys.readouterr().err
    assert main(["preview", "2030-01-01", "--content-dir", str(content)]) == 1
    assert "no digest for 2030-01-01" in capsys.readouterr().err
    assert main(["sandbox", "--port", "99999"]) == 2


def test_the_page_is_package_data(tmp_path: Path) -> None:
    """A wheel built from the project carries the page (setuptools' package-data)."""
    names = {p.name for p in Path(str(STATIC)).iterdir()}
    assert {"index.html", "app.js", "style.css"} <= names
    # built from a clean copy: a stale build/ in the checkout could hold files since removed
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            "build",
            "dist",
            "*.egg-info",
            ".venv*",
            "data",
            ".git",
            "__pycache__",
            ".hypothesis",
            ".ruff_cache",
            ".pytest_cache",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    import zipfile

    wheel = next(tmp_path.glob("digestbot-*.whl"))
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert {f"bot/sandbox/static/{name}" for name in names} <= inside


def test_cover_images_are_drawn_locally() -> None:
    from bot.sandbox.web import cover_svg

    svg = cover_svg("https://example.com/covers/a<b>.png")
    assert "a&lt;b&gt;.png" in svg and "example.com" in svg and "<script" not in svg
    assert json.dumps(svg)  # plain text, no bytes


async def test_the_stand_ins_token_never_reaches_the_log(tmp_path: Path) -> None:
    """The sandbox's token is made up, but the log is the bot's own: it stays redacted."""
    import io
    import logging

    from bot.logging_setup import setup_logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    setup_logging("DEBUG", [], stream=stream)
    try:
        content = tmp_path / "content"
        write_digests(content, [dt.date(2026, 1, 5)])
        async with (
            sandbox(base_settings(tmp_path), port=0, content_dir=content, speed=20) as box,
            aiohttp.ClientSession() as session,
        ):
            await act(session, box.url, "send", {"chat_id": world.MEMBER, "text": "/latest"})
            await until(lambda: box.tg.sent_to(world.MEMBER))
            token = box.tg.token
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    log = stream.getvalue()
    assert "getUpdates" in log or "sendMessage" in log  # PTB's DEBUG lines were written
    assert token not in log and token.split(":")[1] not in log
