"""`digestbot sandbox` and `digestbot preview`: the stand-in, the page, and what drives them.

sandbox: the REAL application (build_application + start_application, exactly what `run` wires:
scheduler, journal, flood limiter, every handler) talks to an embedded FakeTelegram; the page
lets a person be a member or an admin in its chats. preview: one digest sent into one chat of a
stand-in (each part the exact Bot API call a push makes in that layout), re-sent when it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from apscheduler.triggers.cron import CronTrigger
from telegram import Bot
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.app import build_application, start_application, stop_application
from bot.config import Settings
from bot.delivery.ratelimit import FloodLimiter
from bot.digest.calls import LAYOUTS, OutgoingCall
from bot.digest.model import Digest, DigestError
from bot.ingest import sync_content
from bot.sandbox import world
from bot.sandbox.clock import SandboxClock
from bot.sandbox.view import SandboxView
from bot.sandbox.web import UserError, build_web_app
from bot.services import Services
from bot.standin import FakeTelegram
from bot.store import Store

log = logging.getLogger("digestbot.sandbox")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Sandbox:
    """A running sandbox (what tests drive): the stand-in, the bot, the page's server."""

    tg: FakeTelegram
    view: SandboxView
    clock: SandboxClock
    settings: Settings
    app: Application | None = None
    url: str = ""
    persona: int = world.MEMBER
    notice: str = ""
    pushing: bool = False
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    # -- what the page can do --------------------------------------------------------------
    async def send(self, body: dict[str, Any]) -> Any:
        chat = self.tg.chat(int(body["chat_id"]))
        text = str(body.get("text") or "").strip()
        if not text:
            raise UserError("nothing to send")
        if len(text) > 4096:
            raise UserError("a message is at most 4096 characters")
        thread = body.get("thread")
        if chat.type == "channel":
            if self.persona != world.ADMIN:
                raise UserError("only the channel's admin can post in it")
            return await self.tg.send_channel_post(chat.id, text)
        if chat.type == "private" and chat.id != self.persona:
            raise UserError("that is another person's private chat")
        return await self.tg.send_text(
            chat.id, self.persona, text, thread_id=int(thread) if thread else None
        )

    async def press(self, body: dict[str, Any]) -> Any:
        return await self.tg.press_button(
            int(body["chat_id"]), self.persona, int(body["message_id"]), str(body["data"])
        )

    async def set_persona(self, body: dict[str, Any]) -> Any:
        chosen = int(body["id"])
        if chosen not in {p.id for p in world.PERSONAS}:
            raise UserError(f"no persona {chosen}")
        self.persona = chosen
        return chosen

    async def push_now(self, body: dict[str, Any]) -> Any:
        """What the scheduler does at a fire time, now (without its waiting for a late file)."""
        services = self._services()
        if self.pushing:
            raise UserError("a push is already running")
        now = self.clock.now()
        day = now.astimezone(self.settings.timezone).date()
        self.pushing = True
        self.notice = f"Pushing the digest of {day:%Y-%m-%d}…"

        async def push() -> None:
            try:
                await sync_content(services.store, self.settings.content_dir)
                report = await services.delivery.push_due(now)
                self.notice = (
                    report.summary()
                    if report is not None
                    else f"Nothing to push: no digest dated {day:%Y-%m-%d}, or every "
                    "target already has it."
                )
            except Exception as exc:  # shown on the page; the bot keeps serving
                log.exception("sandbox push failed")
                self.notice = f"Push failed: {exc}"
            finally:
                self.pushing = False
                self.view.bump()

        self._spawn(push())
        return self.notice

    async def next_push(self, body: dict[str, Any]) -> Any:
        scheduler = self._services().scheduler
        when = scheduler.next_run_time()
        if when is None:
            raise UserError("the schedule has no next push")
        self.clock.move_to(when)
        self.notice = f"Clock moved to the push at {when:%Y-%m-%d %H:%M %Z}…"
        self._spawn(self._follow_scheduled_push(when))
        return when.isoformat()

    async def _follow_scheduled_push(self, when: dt.datetime) -> None:
        """Tell the page how the scheduler's own push went: its next fire time moves on only
        once that push has finished."""
        services = self._services()
        day = when.astimezone(self.settings.timezone).date()
        before = len(self.tg.sent)
        if not await services.store.on_date(day):
            self.notice = (
                f"The push at {when:%Y-%m-%d %H:%M} found no digest dated {day}: the "
                f"schedule keeps looking for {self.settings.wait_for_digest_minutes}"
                " minutes (write one into the content folder)."
            )
            self.view.bump()
        # the scheduler exposes no event for it: look every 0.1 s
        while (nxt := services.scheduler.next_run_time()) is not None and nxt <= when:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        self.notice = (
            f"The push at {when:%Y-%m-%d %H:%M} is done: "
            f"{len(self.tg.sent) - before} message(s) sent."
        )
        self.view.bump()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _services(self) -> Services:
        services = self.app.bot_data.services if self.app is not None else None
        if services is None:
            raise UserError("the bot is not running")
        return services

    # -- what the page shows besides the chats ------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        services = self.app.bot_data.services if self.app is not None else None
        scheduler = services.scheduler if services is not None else None
        nxt = scheduler.next_run_time() if scheduler else None
        return {
            "persona": self.persona,
            "personas": [p.__dict__ for p in world.PERSONAS],
            "clock": {
                "now": self.clock.now().astimezone(self.settings.timezone).isoformat(),
                "timezone": str(self.settings.timezone),
                "schedule": self.settings.push_schedule,
                "next_push": nxt.isoformat() if nxt else None,
            },
            "push_targets": [str(t) for t in self.settings.digest_chats],
            "notice": self.notice,
            "pushing": self.pushing,
            "content_dir": str(self.settings.content_dir),
        }


def fresh_database(path: Path) -> None:
    """Each sandbox starts with an empty stand-in Telegram, so its journal starts empty too: a
    journal from the last run would call every push already delivered to chats that are new."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


async def _newest_date(settings: Settings) -> dt.date | None:
    store = await Store.open(settings.database_path)
    try:
        if settings.content_dir.is_dir():
            await sync_content(store, settings.content_dir)
        newest = await store.latest()
        return newest.date if newest else None
    finally:
        await store.close()


def _first_fire(settings: Settings, day: dt.date) -> dt.datetime | None:
    trigger = CronTrigger.from_crontab(settings.push_schedule, timezone=settings.timezone)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=settings.timezone)
    fire = trigger.get_next_fire_time(None, midnight)
    return fire if fire is not None and fire.astimezone(settings.timezone).date() == day else None


async def _serve(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    # access_log=None: keep the console for the bot's own log lines
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}"


@asynccontextmanager
async def sandbox(
    base: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    content_dir: Path | None = None,
    content_from_env: bool = False,
    speed: float = 1.0,
    token: str | None = None,
) -> AsyncIterator[Sandbox]:
    """Start the stand-in, the real bot against it, and the page; stop all three after.
    `token`: the stand-in's (made up when None); the CLI makes it first, for the log's filter."""
    async with FakeTelegram(speed=speed, bot_username=world.BOT_USERNAME, token=token) as tg:
        world.populate(tg)
        settings = world.sandbox_settings(
            base, tg, content_dir=content_dir, content_from_env=content_from_env
        )
        fresh_database(settings.database_path)
        newest = await _newest_date(settings)
        now = dt.datetime.now(dt.UTC)
        first = _first_fire(settings, newest) if newest else None
        clock = SandboxClock(world.start_offset(newest, settings, first, now))
        view = SandboxView(tg)
        box = Sandbox(tg, view, clock, settings)
        view.extra = box.extra_state
        # the bot's limiter paces like Telegram (scaled as the stand-in's limits, for tests)
        application = build_application(settings, rate_limiter=FloodLimiter(scale=speed))
        application.bot_data.clock = clock
        await start_application(application)
        box.app = application
        runner: web.AppRunner | None = None
        try:
            runner, box.url = await _serve(
                build_web_app(
                    view,
                    {
                        "send": box.send,
                        "press": box.press,
                        "persona": box.set_persona,
                        "push-now": box.push_now,
                        "next-push": box.next_push,
                    },
                ),
                host,
                port,
            )
            view.bump()
            yield box
        finally:
            for task in list(box._tasks):
                task.cancel()
            view.close()
            if runner is not None:
                await runner.cleanup()
            await stop_application(application)


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def warn_if_exposed(host: str) -> None:
    if host not in LOOPBACK and not host.startswith("127."):
        print(
            f"warning: --host {host} makes the sandbox reachable from other machines; it has "
            "no login, anyone who reaches it can use the bot as its admin"
        )


async def run_sandbox(
    base: Settings,
    *,
    host: str,
    port: int,
    content_dir: Path | None,
    content_from_env: bool,
    token: str | None = None,
) -> int:
    warn_if_exposed(host)
    async with sandbox(
        base,
        host=host,
        port=port,
        content_dir=content_dir,
        content_from_env=content_from_env,
        token=token,
    ) as box:
        print(
            f"digestbot sandbox: open {box.url} (content: {box.settings.content_dir}, "
            f"database: {box.settings.database_path}); Ctrl-C stops it",
            flush=True,
        )
        await wait_for_signal()
    return 0


# ============================================================================ preview

Loader = Callable[[], list[Digest]]
Renderer = Callable[[Digest, str], list[OutgoingCall]]  # bot.digest.calls.build_calls


@dataclass
class Preview:
    tg: FakeTelegram
    view: SandboxView
    load: Loader
    render: Renderer
    spec: str
    layout: str
    watched: Callable[[], dict[Path, float]]
    url: str = ""
    generation: int = 0
    problem: str = ""
    titles: list[str] = field(default_factory=list)
    # one resend at a time: a file change and a layout switch must not interleave their parts
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def extra_state(self) -> dict[str, Any]:
        return {
            "preview": {
                "spec": self.spec,
                "layout": self.layout,
                "layouts": list(LAYOUTS),
                "generation": self.generation,
                "problem": self.problem,
                "titles": self.titles,
                "chat_id": world.PREVIEW_CHAT,
            }
        }

    async def resend(self, bot: Bot) -> None:
        """Clear the chat and send the digest(s) again, call by call, as a push sends them."""
        async with self.lock:
            await self._resend(bot)

    async def _resend(self, bot: Bot) -> None:
        chat = self.tg.chat(world.PREVIEW_CHAT)
        chat.messages.clear()
        self.view.errors.clear()
        try:
            digests = self.load()
        except (DigestError, UserError) as exc:
            self.problem, self.titles = str(exc), []
            self.generation += 1
            self.view.bump()
            return
        self.problem = ""
        self.titles = [d.title for d in digests]
        for digest in digests:
            for number, call in enumerate(self.render(digest, self.layout)):
                try:
                    await _send_call(bot, call)
                except Exception as exc:  # Telegram's refusal or a bug: shown, next part goes
                    self.problem = f"part {number + 1} of {digest.path.name}: {exc}"
        self.generation += 1  # the page starts again from the top when this changes
        self.view.bump()


async def _send_call(bot: Bot, call: OutgoingCall) -> None:
    """The exact Bot API call of one part, any layout (PTB 22.8 has no sendRichMessage, and one
    path for all three keeps the preview's parts byte for byte what build_calls made)."""
    with warnings.catch_warnings():
        # PTB suggests its own send_message/send_photo for those methods
        warnings.filterwarnings("ignore", category=PTBUserWarning, message="Please use")
        await bot.do_api_request(
            call.method, api_kwargs={"chat_id": world.PREVIEW_CHAT, **call.params()}
        )


@asynccontextmanager
async def preview(
    load: Loader,
    render: Renderer,
    watched: Callable[[], dict[Path, float]],
    *,
    spec: str,
    layout: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    interval: float = 0.5,
) -> AsyncIterator[Preview]:
    # no flood limits: one chat receiving one digest at a time, a publisher should not wait
    async with FakeTelegram(flood_limits=False, bot_username=world.BOT_USERNAME) as tg:
        tg.bot.first_name = world.BOT_NAME
        tg.add_private_chat(world.PREVIEW_CHAT, "Preview", username="preview")
        view = SandboxView(tg, mode="preview")
        box = Preview(tg, view, load, render, spec, layout, watched)
        view.extra = box.extra_state
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            await box.resend(bot)

            async def switch_layout(body: dict[str, Any]) -> Any:
                if body.get("layout") not in LAYOUTS:
                    raise UserError(f"layout must be one of {', '.join(LAYOUTS)}")
                box.layout = str(body["layout"])
                await box.resend(bot)
                return box.layout

            runner, box.url = await _serve(
                build_web_app(view, {"layout": switch_layout}), host, port
            )

            async def follow() -> None:
                seen = watched()
                while True:
                    await asyncio.sleep(interval)
                    now = watched()
                    if now != seen:
                        seen = now
                        await box.resend(bot)

            watcher = asyncio.create_task(follow())
            try:
                yield box
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                view.close()
                await runner.cleanup()


async def run_preview(
    load: Loader,
    render: Renderer,
    watched: Callable[[], dict[Path, float]],
    *,
    spec: str,
    layout: str,
    host: str,
    port: int,
) -> int:
    warn_if_exposed(host)
    async with preview(
        load, render, watched, spec=spec, layout=layout, host=host, port=port
    ) as box:
        print(
            f"digestbot preview: open {box.url}; the page follows changes to the file(s). "
            "Ctrl-C stops it",
            flush=True,
        )
        await wait_for_signal()
    return 0
