"""THE one wiring point: settings -> a python-telegram-bot Application with every service.

`run_bot` (what `digestbot run` does) runs it until SIGINT/SIGTERM with `start_application` /
`stop_application`, which mirror what `Application.run_polling` does; tests and benchmarks
start the very same application with them. Updates come by long polling, or by webhook when
WEBHOOK_URL is set (bot/webhook.py); HEALTH_LISTEN adds /healthz and /metrics (bot/ops.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, Defaults

from bot.catalog import Catalog
from bot.config import MISSING_TOKEN, ConfigError, Settings
from bot.delivery.corrections import Corrector
from bot.delivery.jobs import PushJobs
from bot.delivery.outbox import ReplyOutbox
from bot.delivery.push import DeliveryService
from bot.delivery.ratelimit import FloodLimiter
from bot.delivery.userlimit import UserRateLimit
from bot.digest.limits import set_limits
from bot.ingest import sync_content, watch
from bot.logging_setup import REDACTED, setup_logging
from bot.metrics import (
    BotMetrics,
    ObservedLimiter,
    ObservedRequest,
    Pulse,
    TimedUpdateProcessor,
    command_labeller,
)
from bot.ops import ObservedDelivery, Operations, get_ops
from bot.polling import PollingErrors
from bot.reader.service import ReaderService
from bot.schedule import PushScheduler
from bot.services import CONTEXT_TYPES, BotData, Services
from bot.store import Store
from bot.store.records import SyncReport
from handlers import register_all
from handlers.menus import set_menus

log = logging.getLogger("digestbot")

# read connections for /search (besides the store's own): a search holds its connection ~10 ms,
# so users searching at once queue behind one; SQLite runs queries outside the GIL (WAL readers
# in parallel), so a few connections let searches overlap
SEARCH_CONNECTIONS = 2
# users should not wait for each other's replies (a digest is several sends): PTB's default
# for concurrent_updates(True)
CONCURRENT_UPDATES = 256


def file_base_url(api_base_url: str) -> str:
    """`https://api.telegram.org/bot` -> `https://api.telegram.org/file/bot` (same for a local
    Bot API server or the fake one: files live under /file/bot<token>/ beside /bot<token>/)."""
    base = api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def build_application(
    settings: Settings, *, rate_limiter: BaseRateLimiter | None = None
) -> Application:
    """The bot, fully wired; the store opens and the loops start in post_init."""
    if not settings.token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", MISSING_TOKEN)
    metrics, pulse = BotMetrics(), Pulse()
    processor = TimedUpdateProcessor(CONCURRENT_UPDATES, metrics)
    set_limits(settings.size_limits)  # MAX_DIGEST_BYTES / MAX_DIGEST_MESSAGES
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=not settings.link_previews),
    )
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(file_base_url(settings.api_base_url))
        .defaults(defaults)
        .context_types(CONTEXT_TYPES)  # context.services, bot_data.settings: typed
        # PTB's own HTTPX transport (same pool sizes as its defaults), counting every call
        .request(ObservedRequest(metrics, pulse, connection_pool_size=256))
        .get_updates_request(ObservedRequest(metrics, pulse, connection_pool_size=1))
        # every request goes through the limiter: it paces sends and resends after a 429
        .rate_limiter(ObservedLimiter(rate_limiter or FloodLimiter(), metrics))
        .concurrent_updates(processor)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.settings = settings
    application.bot_data.ops = Operations.create(application, settings, metrics, pulse)
    # polling failures reach the error handler with update=None (handlers/errors.py)
    application.bot_data.polling_errors = PollingErrors(settings.api_base_url)
    register_all(application)
    processor.label = command_labeller(application)
    return application


async def _follow_content(services: Services) -> None:
    """Keep the index in step with the content folder (post_init did the first sync).

    The store logs what each sync changed and every bad file with its reason; readers' caches
    follow `store.index_generation`, so nothing needs telling here.
    """
    settings = services.settings

    def correct(report: SyncReport) -> None:
        # after a sync that changed files (or removed them), and every round while a
        # correction waits behind a running push: then it goes on once the push is done
        corrector = services.corrector
        if corrector is not None and (report.touched or corrector.paused):
            corrector.kick()

    if services.corrector is not None:  # resume a correction a crash or stop interrupted
        services.corrector.kick()
    await asyncio.sleep(settings.rescan_seconds)
    await watch(services.store, settings.content_dir, settings.rescan_seconds, on_report=correct)


async def _post_init(application: Application) -> None:
    bot_data: BotData = application.bot_data
    settings = bot_data.settings
    assert settings is not None  # set by build_application
    store = await Store.open(settings.database_path)
    search_stores: list[Store] = []
    try:
        if settings.content_dir.is_dir():
            await sync_content(store, settings.content_dir)
        else:
            log.warning(
                "content folder %s does not exist yet; watching for it", settings.content_dir
            )
        for _ in range(SEARCH_CONNECTIONS):  # read-only use: see ReaderService
            search_stores.append(await Store.open(settings.database_path))
        catalog = Catalog(store, settings.content_dir)
        ops = get_ops(application.bot_data)
        delivery: DeliveryService = ObservedDelivery(
            settings=settings, store=store, bot=application.bot, catalog=catalog, ops=ops
        )
        services = Services(
            settings=settings,
            store=store,
            catalog=catalog,
            # cached query results live no longer than one rescan interval
            reader=ReaderService(
                store,
                settings.content_dir,
                catalog=catalog,
                search_stores=search_stores,
                query_ttl=max(settings.rescan_seconds, 1),
            ),
            delivery=delivery,
            scheduler=PushScheduler(
                settings=settings, store=store, delivery=delivery, clock=bot_data.clock
            ),
            jobs=PushJobs(delivery, application.bot),
            outbox=ReplyOutbox(),
            user_limit=UserRateLimit(),
        )
        services.corrector = Corrector(
            settings=settings, store=store, delivery=delivery, bot=application.bot
        )
        bot_data.services = services
        await delivery.sync_config_targets()  # DIGEST_CHATS become stored push targets
        await set_menus(application.bot, settings)
        services.watcher = asyncio.create_task(
            _follow_content(services), name="digestbot-content-watch"
        )
        await services.scheduler.start()
        # pushes a crash or a stop interrupted (scheduled, /post, `digestbot post`) go on
        resumed = await services.jobs.resume()
        if resumed:
            log.info("resuming %d interrupted push job(s)", resumed)
        ops.health.store = store  # the index is loaded: /healthz may say ok
    except BaseException:
        await store.close()
        for search_store in search_stores:
            await search_store.close()
        raise
    log.info(
        "digestbot ready as @%s: %d digests indexed, next push %s",
        application.bot.username,
        await store.digest_count(),
        services.scheduler.next_run_time(),
    )


async def _post_stop(application: Application) -> None:
    services = application.bot_data.services
    if services is None:
        return
    await services.scheduler.stop()
    if services.watcher is not None:
        services.watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await services.watcher
    if services.corrector is not None:
        await services.corrector.stop()
    # unfinished jobs stay in the database: the next start resumes them
    await services.jobs.stop()
    await services.outbox.stop()
    await services.delivery.close()


async def _post_shutdown(application: Application) -> None:
    get_ops(application.bot_data).health.store = None
    services, application.bot_data.services = application.bot_data.services, None
    if services is not None:
        for search_store in services.reader.search_stores:
            if search_store is not services.store:
                await search_store.close()
        await services.store.close()


async def start_application(application: Application, *, poll_timeout: int = 10) -> None:
    """Initialize, run post_init, start, and poll (or set the webhook): `run_polling` without
    its signal handling. The HTTP listeners start before post_init, so /healthz already
    answers (503, "starting") while a cold index loads."""
    ops = get_ops(application.bot_data)
    await application.initialize()
    try:
        await ops.listeners.start()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        ops.start_probe(application)
        if ops.webhook is not None:
            await ops.webhook.activate()
            return
        assert application.updater is not None

        def polling_error(exc: TelegramError) -> None:  # as run_polling: to the error handlers
            application.create_task(application.process_error(error=exc, update=None))

        await application.updater.start_polling(
            poll_interval=0.0,
            timeout=poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            error_callback=polling_error,
        )
    except BaseException:
        await stop_application(application)
        raise


async def stop_application(application: Application) -> None:
    """The same steps, in the same order, as the end of `run_polling`."""
    ops = get_ops(application.bot_data)
    await ops.listeners.stop()  # no new webhook updates (Telegram keeps and resends them)
    await ops.stop_probe()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


class _StartupTracebacks(logging.Filter):
    """PTB logs its own traceback when the start-up getMe fails; run_bot reports that failure
    in one line instead, so those records are dropped (every other PTB record passes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        return not (
            text.startswith("%s Invalid token")
            or text.startswith("Network Retry Loop (Bootstrap")
            or "Bootstrap" in str(record.args or "")
        )


async def serve(application: Application) -> None:
    """Run until SIGINT or SIGTERM (`docker stop`), then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl+C still works
            loop.add_signal_handler(signum, stop.set)
    await start_application(application)
    try:
        await stop.wait()
    finally:
        await stop_application(application)


def run_bot(settings: Settings) -> int:
    """`digestbot run`: poll Telegram (or serve the webhook) until interrupted. 0 on a clean
    stop.

    Start-up failures are one line on stderr, no traceback: Telegram unreachable (exit 1),
    token rejected or a wrong base URL (exit 2). A second instance on the same token is a
    polling failure (409), reported by handlers/errors.py through bot.polling while this one
    keeps retrying."""
    redactor = setup_logging(
        settings.log_level,
        [settings.token or "", settings.webhook_secret or ""],
        log_payloads=settings.log_payloads,
    )
    ptb_log = logging.getLogger("telegram.ext")
    quiet = _StartupTracebacks()
    ptb_log.addFilter(quiet)
    application = build_application(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(application))
    except InvalidToken as exc:
        # PTB raises InvalidToken for 401 and 404 alike (getMe's own error is the cause); the
        # token's shape is checked at start, so a 404 means the URL is not the Bot API
        cause = exc.__cause__ if isinstance(exc.__cause__, TelegramError) else exc
        if "not found" in cause.message.lower():
            print(
                redactor.redact(
                    f"error: the Bot API answered 404 Not Found: "
                    f"TELEGRAM_API_BASE_URL ({settings.api_base_url}) looks wrong "
                    "(it should end in /bot)"
                ),
                file=sys.stderr,
            )
        else:
            print(
                "error: TELEGRAM_BOT_TOKEN was rejected by Telegram (getMe said "
                "Unauthorized): check the token from @BotFather in .env",
                file=sys.stderr,
            )
        return 2
    except NetworkError as exc:
        url = f"{settings.api_base_url.rstrip('/')}{REDACTED}/getMe"
        print(
            redactor.redact(f"error: Telegram not reachable at {url}: {exc.message}"),
            file=sys.stderr,
        )
        return 1
    except OSError as exc:  # WEBHOOK_LISTEN / HEALTH_LISTEN address in use or not ours
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        ptb_log.removeFilter(quiet)
    return 0


__all__ = ["build_application", "run_bot", "start_application", "stop_application"]
