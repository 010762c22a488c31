"""Run the REAL bot (bot.app.build_application, PTB over HTTP) against the fake Bot API server.

    async with running_bot(fake, tmp_path, content_files={"2026-01-25.md": text},
                           admins=[42], env_overrides={"TIMEZONE": "Asia/Shanghai"}) as bot:
        replies = await bot.ask(chat_id, user_id, "/today")   # what the bot sent for it
        sent, edits = await bot.press(chat_id, user_id, message_id, "a:10")

`ask`/`press` return only once the bot has fetched the update AND finished handling it (no
handler still running), so a test can assert on exactly what was sent, nothing more to come.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram.ext import Application

from bot.app import build_application, start_application, stop_application
from bot.config import Settings
from bot.delivery.ratelimit import FloodLimiter
from bot.ops import Operations, get_ops
from bot.services import Services
from bot.standin import FakeTelegram, SentMessage

if TYPE_CHECKING:
    from bot.sandbox.run import Preview

REPO = Path(__file__).resolve().parents[1]


def digest_text(
    day: dt.date | str,
    title: str,
    sections: Mapping[str, list[str]] | None = None,
    *,
    tags: Iterable[str] = (),
    summary: str | None = None,
    extra_front_matter: str = "",
) -> str:
    """A small digest in the project's format: front matter, `##` sections of `###` items."""
    sections = sections or {"News": ["First item"]}
    # JSON strings are valid YAML scalars: any title survives quoting
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {day}"]
    tags = list(tags)
    if tags:
        lines.append(f"tags: {json.dumps(tags, ensure_ascii=False)}")
    if summary:
        lines.append(f"summary: {json.dumps(summary, ensure_ascii=False)}")
    if extra_front_matter:
        lines.append(extra_front_matter)
    lines += ["---", ""]
    for section, items in sections.items():
        lines += [f"## {section}", ""]
        for n, item in enumerate(items, 1):
            lines += [f"### {item}", "", f"Text of {item}. [Source](https://example.com/{n})", ""]
    return "\n".join(lines)


@dataclass
class RunningBot:
    app: Application
    settings: Settings
    tg: FakeTelegram
    content_dir: Path

    @property
    def services(self) -> Services:
        services = self.app.bot_data.services
        assert services is not None, "the bot is not running"
        return services

    @property
    def ops(self) -> Operations:
        return get_ops(self.app.bot_data)

    def listener_url(self, address: tuple[str, int] | None) -> str:
        """http://127.0.0.1:PORT of the bot's HEALTH_LISTEN / WEBHOOK_LISTEN server."""
        assert address is not None
        return self.ops.listeners.url(address)

    @property
    def username(self) -> str:
        return self.tg.bot.username or ""

    def write(self, rel: str, text: str) -> Path:
        path = self.content_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (fake API)
        """Until every queued update is fetched and no handler is running any more."""
        await self.tg.wait_updates_consumed(timeout)
        deadline = time.monotonic() + timeout
        processor = self.app.update_processor
        # handlers hand their replies to the outbox and return: wait for it to drain too
        outbox = self.services.outbox
        while not (
            self.app.update_queue.empty()
            and processor.current_concurrent_updates == 0
            and not outbox.busy()
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the bot is still handling updates")
            await asyncio.sleep(0.005)

    async def ask(
        self, chat_id: int | str, user_id: int | None, text: str, **kwargs: object
    ) -> list[SentMessage]:
        """A user sends `text`; returns the new messages the bot sent in reply."""
        before = len(self.tg.sent)
        await self.tg.send_text(chat_id, user_id, text, **kwargs)  # type: ignore[arg-type]
        await self.settle()
        return self.tg.sent[before:]

    async def press(
        self, chat_id: int | str, user_id: int, message_id: int, data: str
    ) -> tuple[list[SentMessage], list[SentMessage]]:
        """A user presses a button; returns (new messages, edits) the bot made."""
        sent, edits = len(self.tg.sent), len(self.tg.edits)
        await self.tg.press_button(chat_id, user_id, message_id, data)
        await self.settle()
        return self.tg.sent[sent:], self.tg.edits[edits:]


def bot_env(
    tg: FakeTelegram, root: Path, database: str = "data/digestbot.sqlite3"
) -> dict[str, str]:
    """The variables that point a bot at `tg`, its content in root/content, its database at
    root/`database`."""
    return {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "CONTENT_DIR": str(root / "content"),
        "DATABASE_PATH": str(root / database),
    }


def process_env(**variables: str) -> dict[str, str]:
    """The environment of a `digestbot` child process: this shell's without its TELEGRAM_* and
    DIGEST_* variables (a developer's own bot must not leak in), the repository on PYTHONPATH,
    then `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DIGEST_"))}
    return {**env, "PYTHONPATH": str(REPO), **variables}


async def spawn_digestbot(
    env: Mapping[str, str], cwd: Path, *args: str, stdout: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS…` as a child process (a real crash needs a real process); stderr
    piped, stdout as asked."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=dict(env),
        cwd=cwd,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


def settings_for(
    tg: FakeTelegram,
    root: Path,
    *,
    admins: Iterable[int] = (),
    env_overrides: Mapping[str, str] | None = None,
) -> Settings:
    env = {
        **bot_env(tg, root),
        "ADMIN_IDS": ",".join(str(a) for a in admins),
        "TIMEZONE": "UTC",
        "PUSH_SCHEDULE": "0 8 * * *",
        "LOG_LEVEL": "INFO",
        "RESCAN_SECONDS": "30",
        **(env_overrides or {}),
    }
    return Settings.from_env(env, env_file=None)


@asynccontextmanager
async def running_bot(
    tg: FakeTelegram,
    tmp_path: Path,
    *,
    content_files: Mapping[str, str] | None = None,
    admins: Iterable[int] = (),
    env_overrides: Mapping[str, str] | None = None,
    limiter: FloodLimiter | None = None,
) -> AsyncIterator[RunningBot]:
    """Write the content, build Settings like `digestbot run` does, run the real application.

    The flood limiter is scaled like the fake server (`tg.speed`), so pacing stays realistic in
    proportion while tests stay fast.
    """
    settings = settings_for(tg, tmp_path, admins=admins, env_overrides=env_overrides)
    settings.content_dir.mkdir(parents=True, exist_ok=True)
    for rel, text in (content_files or {}).items():
        path = settings.content_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    app = build_application(settings, rate_limiter=limiter or FloodLimiter(scale=tg.speed))
    await start_application(app, poll_timeout=1)
    if settings.webhook_url:  # the TLS proxy of a real deployment: public URL -> our listener
        public = urlsplit(settings.webhook_url)
        tg.route_webhook(
            f"{public.scheme}://{public.netloc}",
            get_ops(app.bot_data).listeners.url(settings.webhook_listen),
        )
    try:
        yield RunningBot(app, settings, tg, settings.content_dir)
    finally:
        await stop_application(app)


def previewing(
    file: Path, content_dir: Path, *, interval: float
) -> AbstractAsyncContextManager[Preview]:
    """`digestbot preview FILE` wired as the CLI wires it (sections, a free port), looking at
    the file every `interval` seconds."""
    from bot.cli import _select, preview_files
    from bot.digest.calls import build_calls
    from bot.sandbox.run import preview

    spec = str(file)
    return preview(
        lambda: _select(spec, content_dir),
        build_calls,
        preview_files(spec, content_dir),
        spec=spec,
        layout="sections",
        port=0,
        interval=interval,
    )
