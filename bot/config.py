"""Settings from the environment (and a `.env` file in the working directory).

A missing or malformed value raises ConfigError naming the variable; the CLI prints that one
line and exits with status 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from dotenv import dotenv_values

from bot.digest.limits import MAX_DIGEST_BYTES, MAX_DIGEST_MESSAGES, SizeLimits

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_CHAT_RE = re.compile(r"^(?P<chat>-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31})(?::(?P<thread>\d+))?$")


class ConfigError(Exception):
    """One bad setting. str() is the single line shown to the operator."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


@dataclass(frozen=True)
class ChatTarget:
    """A push destination: a chat id (or @channel) and, for forum topics, a thread id."""

    chat_id: int | str
    thread_id: int | None = None

    @classmethod
    def parse(cls, raw: str, variable: str = "DIGEST_CHATS") -> ChatTarget:
        match = _CHAT_RE.match(raw.strip())
        if not match:
            raise ConfigError(
                variable,
                f"{raw.strip()!r} is not a chat "
                "(-1001234567890, @channelname or -100123:42 for a topic)",
            )
        chat = match["chat"]
        thread = match["thread"]
        return cls(chat if chat.startswith("@") else int(chat), int(thread) if thread else None)

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
    # a digest above either is refused by name (bot/digest/limits.py)
    max_digest_bytes: int = MAX_DIGEST_BYTES
    max_digest_messages: int = MAX_DIGEST_MESSAGES
    log_payloads: bool = False  # DEBUG lines with whole Bot API payloads (message texts)

    @property
    def size_limits(self) -> SizeLimits:
        return SizeLimits(self.max_digest_bytes, self.max_digest_messages)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env"),
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
            raise ConfigError("TELEGRAM_BOT_TOKEN", "is required (the token from @BotFather)")
        if token is not None and not _TOKEN_RE.match(token):
            raise ConfigError("TELEGRAM_BOT_TOKEN",
                              "does not look like a bot token (123456:ABC...)")

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
            for part in (get("DIGEST_CHATS") or "").split(",") if part.strip()
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
                "PUSH_SCHEDULE", f"{schedule!r} is not a cron expression ({exc})") from None

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError("LOG_LEVEL", f"{log_level!r} is not DEBUG, INFO, WARNING or ERROR")

        return cls(
            token=token,
            api_base_url=base_url,
            content_dir=Path(get("CONTENT_DIR") or "content"),
            database_path=Path(get("DATABASE_PATH") or "data/digestbot.sqlite3"),
            admin_ids=frozenset(admin_ids),
            digest_chats=chats,
            push_schedule=schedule,
            timezone=timezone,
            log_level=log_level,
            push_grace_minutes=_int(env, "PUSH_GRACE_MINUTES", cls.push_grace_minutes),
            wait_for_digest_minutes=_int(env, "WAIT_FOR_DIGEST_MINUTES",
                                         cls.wait_for_digest_minutes),
            link_previews=_bool(env, "LINK_PREVIEWS", cls.link_previews),
            pin_first_message=_bool(env, "PIN_FIRST_MESSAGE", cls.pin_first_message),
            rescan_seconds=_int(env, "RESCAN_SECONDS", cls.rescan_seconds),
            corrections=_choice(env, "CORRECTIONS", ("edit", "off"), cls.corrections),
            correction_window_hours=_int(env, "CORRECTION_WINDOW_HOURS",
                                         cls.correction_window_hours),
            max_digest_bytes=_positive(env, "MAX_DIGEST_BYTES", cls.max_digest_bytes),
            max_digest_messages=_positive(env, "MAX_DIGEST_MESSAGES", cls.max_digest_messages),
            log_payloads=_bool(env, "LOG_PAYLOADS", cls.log_payloads),
        )


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
