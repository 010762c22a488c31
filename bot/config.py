"""Settings from the environment (and a `.env` file in the working directory).

A missing or malformed value raises ConfigError naming the variable; the CLI prints that one
line and exits with status 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from dotenv import dotenv_values

from bot.digest.limits import MAX_DIGEST_BYTES, MAX_DIGEST_MESSAGES, SizeLimits
from bot.healthcheck import parse_listen
from bot.i18n import parse_language

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_CHAT_RE = re.compile(
    r"^(?P<chat>-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31})(?::(?P<thread>\d+))?"
    r"(?::(?P<layout>[A-Za-z]+))?$"
)
# the layouts of bot.digest.calls (kept literal here: config must not import the renderers)
LAYOUT_NAMES = ("sections", "compact", "rich")


# what `digestbot run` says without a token: where to put it
MISSING_TOKEN = (
    "is required: put the token from @BotFather in .env as "
    "TELEGRAM_BOT_TOKEN=123456:ABC... (or set it in the environment)"
)


# what `digestbot run` says without a token: where it goes, and how to try the bot without one
MISSING_TOKEN = (
    "is required (the token from @BotFather: put TELEGRAM_BOT_TOKEN=... into .env); "
    "to try the bot without a token, run `digestbot sandbox`"
)


class ConfigError(Exception):
    """One bad setting. str() is the single line shown to the operator."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


@dataclass(frozen=True)
class ChatTarget:
    """A push destination: a chat id (or @channel), for forum topics a thread id, and the
    layout it was configured with (None: DIGEST_LAYOUT)."""

    chat_id: int | str
    thread_id: int | None = None
    layout: str | None = None

    @classmethod
    def parse(cls, raw: str, variable: str = "DIGEST_CHATS") -> ChatTarget:
        match = _CHAT_RE.match(raw.strip())
        if not match:
            raise ConfigError(
                variable,
                f"{raw.strip()!r} is not a chat (-1001234567890, @channelname or -100123:42 "
                "for a topic, optionally :sections, :compact or :rich)",
            )
        chat, thread, layout = match["chat"], match["thread"], match["layout"]
        if layout is not None and layout.lower() not in LAYOUT_NAMES:
            raise ConfigError(
                variable,
                f"{raw.strip()!r}: unknown layout {layout!r} (use {', '.join(LAYOUT_NAMES)})",
            )
        return cls(
            chat if chat.startswith("@") else int(chat),
            int(thread) if thread else None,
            layout.lower() if layout else None,
        )

    def __str__(self) -> str:
        return f"{self.chat_id}:{self.thread_id}" if self.thread_id else str(self.chat_id)


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_base_url: str = DEFAULT_API_BASE_URL
    content_dir: Path = Path("content")
    database_path: Path = Path("data/digestbot.sqlite3")
    admin_ids: frozenset[int] = frozenset()
    digest_chats: tuple[ChatTarget, ...] = ()
    # layout of every target without its own (never rich by default: not every app shows it)
    digest_layout: str = "sections"
    push_schedule: str = "0 8 * * *"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    log_level: str = "INFO"
    # delivery
    push_grace_minutes: int = 180  # a bot down at push time still pushes if back within this
    wait_for_digest_minutes: int = 240  # after the scheduled time, keep looking for today's file
    link_previews: bool = False
    pin_first_message: bool = False
    rescan_seconds: int = 30  # how often the index follows the content folder
    # a pushed digest that changed: edit the chats' messages ("edit") or only log it ("off")
    corrections: str = "edit"
    correction_window_hours: int = 72  # later changes are logged and shown in /status only
    # groups and channels (private chats follow the reader's Telegram language); /language
    # overrides it per chat. A catalog name of bot.i18n: "en" or "zh_Hans".
    bot_language: str = "en"
    # deployment (bot/webhook.py, bot/health.py, bot/error_report.py)
    webhook_url: str | None = None  # set: updates arrive by webhook instead of long polling
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8443)
    webhook_secret: str | None = None
    health_listen: tuple[str, int] | None = None  # /healthz and /metrics
    health_max_silence: int = 60  # /healthz: 503 when no Bot API call succeeded for this long
    error_chat: ChatTarget | None = None  # where handler errors and failed pushes are reported
    # a digest above either is refused by name (bot/digest/limits.py)
    max_digest_bytes: int = MAX_DIGEST_BYTES
    max_digest_messages: int = MAX_DIGEST_MESSAGES
    log_payloads: bool = False  # DEBUG lines with whole Bot API payloads (message texts)

    @property
    def size_limits(self) -> SizeLimits:
        return SizeLimits(self.max_digest_bytes, self.max_digest_messages)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: Path | None = Path(".env"),
        require_token: bool = True,
    ) -> Settings:
        """Read settings; real environment variables win over the `.env` file."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls._parse(values, require_token=require_token)

    @classmethod
    def _parse(cls, env: Mapping[str, str], *, require_token: bool) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is None and require_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN", MISSING_TOKEN)
        if token is not None and not _TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN", "does not look like a bot token (123456:ABC...)"
            )

        base_url = get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise ConfigError("TELEGRAM_API_BASE_URL", f"{base_url!r} is not an http(s) URL")

        admin_ids: set[int] = set()
        for part in (get("ADMIN_IDS") or "").split(","):
            if part.strip():
                if not re.fullmatch(r"\d+", part.strip()):
                    raise ConfigError("ADMIN_IDS", f"{part.strip()!r} is not a numeric user id")
                admin_ids.add(int(part.strip()))

        chats = tuple(
            ChatTarget.parse(part)
            for part in (get("DIGEST_CHATS") or "").split(",")
            if part.strip()
        )

        layout = (get("DIGEST_LAYOUT") or cls.digest_layout).lower()
        if layout not in LAYOUT_NAMES:
            raise ConfigError(
                "DIGEST_LAYOUT", f"{layout!r} is not a layout (use {', '.join(LAYOUT_NAMES)})"
            )

        schedule = get("PUSH_SCHEDULE") or cls.push_schedule
        tz_name = get("TIMEZONE") or "UTC"
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("TIMEZONE", f"{tz_name!r} is not an IANA time zone name") from None
        try:
            CronTrigger.from_crontab(schedule, timezone=timezone)
        except ValueError as exc:
            raise ConfigError(
                "PUSH_SCHEDULE", f"{schedule!r} is not a cron expression ({exc})"
            ) from None

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError("LOG_LEVEL", f"{log_level!r} is not DEBUG, INFO, WARNING or ERROR")

        bot_language = "en"
        if get("BOT_LANGUAGE"):
            parsed = parse_language(get("BOT_LANGUAGE") or "")
            if parsed is None:
                raise ConfigError(
                    "BOT_LANGUAGE", f"{get('BOT_LANGUAGE')!r} is not a language (en or zh)"
                )
            bot_language = parsed
        webhook_url, webhook_listen, webhook_secret = _webhook(get)
        health_raw = get("HEALTH_LISTEN")
        error_raw = get("ERROR_CHAT_ID")

        return cls(
            token=token,
            api_base_url=base_url,
            content_dir=Path(get("CONTENT_DIR") or "content"),
            database_path=Path(get("DATABASE_PATH") or "data/digestbot.sqlite3"),
            admin_ids=frozenset(admin_ids),
            digest_chats=chats,
            digest_layout=layout,
            push_schedule=schedule,
            timezone=timezone,
            log_level=log_level,
            push_grace_minutes=_int(env, "PUSH_GRACE_MINUTES", cls.push_grace_minutes),
            wait_for_digest_minutes=_int(
                env, "WAIT_FOR_DIGEST_MINUTES", cls.wait_for_digest_minutes
            ),
            link_previews=_bool(env, "LINK_PREVIEWS", cls.link_previews),
            pin_first_message=_bool(env, "PIN_FIRST_MESSAGE", cls.pin_first_message),
            rescan_seconds=_int(env, "RESCAN_SECONDS", cls.rescan_seconds),
            corrections=_choice(env, "CORRECTIONS", ("edit", "off"), cls.corrections),
            correction_window_hours=_int(
                env, "CORRECTION_WINDOW_HOURS", cls.correction_window_hours
            ),
            bot_language=bot_language,
            webhook_url=webhook_url,
            webhook_listen=webhook_listen,
            webhook_secret=webhook_secret,
            health_listen=listen_address(health_raw, "HEALTH_LISTEN") if health_raw else None,
            health_max_silence=_positive(env, "HEALTH_MAX_SILENCE", cls.health_max_silence),
            error_chat=ChatTarget.parse(error_raw, "ERROR_CHAT_ID") if error_raw else None,
            max_digest_bytes=_positive(env, "MAX_DIGEST_BYTES", cls.max_digest_bytes),
            max_digest_messages=_positive(env, "MAX_DIGEST_MESSAGES", cls.max_digest_messages),
            log_payloads=_bool(env, "LOG_PAYLOADS", cls.log_payloads),
        )

    @property
    def webhook_path(self) -> str:
        """The path the webhook listens on: WEBHOOK_URL's own (a TLS proxy passes it through)."""
        return urlsplit(self.webhook_url or "").path or "/"


# Telegram's rules for setWebhook: secret_token 1-256 characters A-Z a-z 0-9 _ -; the URL
# must be HTTPS on one of these ports.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = (443, 80, 88, 8443)


def listen_address(raw: str, variable: str) -> tuple[str, int]:
    """`host:port` (IPv6 in brackets: `[::1]:8080`) -> (host, port); port 0 = any free one."""
    address = parse_listen(raw)
    if address is None:
        raise ConfigError(
            variable,
            f"{raw.strip()!r} is not host:port (127.0.0.1:8080, "
            "0.0.0.0:8443 in a container, [::1]:8080)",
        )
    return address


def _webhook(get: Callable[[str], str | None]) -> tuple[str | None, tuple[str, int], str | None]:
    url, listen, secret = get("WEBHOOK_URL"), get("WEBHOOK_LISTEN"), get("WEBHOOK_SECRET")
    if url is None:
        for name, value in (("WEBHOOK_LISTEN", listen), ("WEBHOOK_SECRET", secret)):
            if value is not None:
                raise ConfigError(name, "is only used with WEBHOOK_URL (unset: long polling)")
        return None, Settings.webhook_listen, None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            "WEBHOOK_URL",
            f"{url!r} is not an https:// URL (Telegram only "
            "delivers to HTTPS; terminate TLS in a proxy)",
        )
    try:
        port = parts.port or 443
    except ValueError:
        raise ConfigError("WEBHOOK_URL", f"{url!r} has a bad port") from None
    if port not in WEBHOOK_PORTS:
        raise ConfigError(
            "WEBHOOK_URL",
            f"port {port}: Telegram delivers only to ports " + ", ".join(map(str, WEBHOOK_PORTS)),
        )
    if secret is None:
        raise ConfigError(
            "WEBHOOK_SECRET",
            "is required with WEBHOOK_URL (1-256 characters "
            "A-Z a-z 0-9 _ -; Telegram sends it with every update)",
        )
    if not _SECRET_RE.match(secret):
        raise ConfigError("WEBHOOK_SECRET", "must be 1-256 characters A-Z a-z 0-9 _ -")
    address = (
        listen_address(listen, "WEBHOOK_LISTEN") if listen is not None else Settings.webhook_listen
    )
    return url, address, secret


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"\d+", raw):
        raise ConfigError(name, f"{raw!r} is not a whole number >= 0")
    return int(raw)


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(name, f"{raw!r} is not one of {', '.join(allowed)}")
    return raw


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(name, "must be at least 1")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"{raw!r} is not true or false")
