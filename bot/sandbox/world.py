"""The sandbox's Telegram: who is in it, which chats exist, and the bot's settings for it.

Two people take turns at the keyboard: a member and an admin (in ADMIN_IDS and admin of every
group), each with a private chat with the bot. A basic group, a forum supergroup with two topics
and a channel complete the chat list; all of them (and the member's private chat) are the push
targets, so one push shows every kind of delivery.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import ChatTarget, Settings
from bot.standin import FakeTelegram

MEMBER = 1001
ADMIN = 1002
GROUP = -4001001
FORUM = -1001002
NEWS_TOPIC = 2
TALK_TOPIC = 3
CHANNEL = -1001003
CHANNEL_NAME = "sandbox_digest"
PREVIEW_CHAT = 1003  # `digestbot preview`: one private chat that receives the digest


@dataclass(frozen=True)
class Persona:
    id: int
    name: str
    role: str  # "member" | "admin"


PERSONAS = (Persona(MEMBER, "Mia", "member"), Persona(ADMIN, "Adam", "admin"))
PUSH_TARGETS = (
    ChatTarget(GROUP),
    ChatTarget(FORUM, NEWS_TOPIC),
    ChatTarget(f"@{CHANNEL_NAME}"),
    ChatTarget(MEMBER),
)


BOT_ID = 7000000001


def made_up_token() -> str:
    """A token of the right shape for the stand-in (never a real bot's)."""
    return f"{BOT_ID}:AA{secrets.token_urlsafe(24)[:33]}"


BOT_NAME = "Digest Bot"
BOT_USERNAME = "digest_sandbox_bot"


def populate(tg: FakeTelegram) -> None:
    """The chats of the sandbox (the fake server validates every call against them)."""
    tg.bot.first_name = BOT_NAME
    for person in PERSONAS:
        tg.add_private_chat(person.id, person.name, username=person.name.lower())
    tg.add_group(GROUP, "Readers' group", {MEMBER: "member", ADMIN: "creator"})
    tg.add_supergroup(
        FORUM,
        "Digest forum",
        {MEMBER: "member", ADMIN: "creator"},
        topics={NEWS_TOPIC: "News", TALK_TOPIC: "Discussion"},
        bot_status="administrator",
    )
    tg.add_channel(CHANNEL, "Digest channel", username=f"@{CHANNEL_NAME}")


def bundled_content() -> Path:
    """The sample digests shipped beside the package (a source checkout / `pip install -e .`)."""
    return Path(__file__).resolve().parents[2] / "content"


def sandbox_settings(
    base: Settings, tg: FakeTelegram, *, content_dir: Path | None, content_from_env: bool
) -> Settings:
    """The real settings, pointed at the stand-in: its token, its chats, a database of its own
    (so a sandbox push is never journaled as a real one). Deployment settings of a real .env are
    dropped: a webhook would send the stand-in's updates to the real URL, an error chat is not
    among the stand-in's chats, and the page is the only listener the sandbox opens."""
    content = content_dir or base.content_dir
    if content_dir is None and not content_from_env and not content.is_dir():
        content = bundled_content()
    return dataclasses.replace(
        base,
        token=tg.token,
        api_base_url=tg.base_url,
        content_dir=content,
        database_path=base.database_path.parent / "sandbox.sqlite3",
        admin_ids=frozenset({ADMIN}),
        digest_chats=PUSH_TARGETS,
        webhook_url=None,
        webhook_secret=None,
        health_listen=None,
        error_chat=None,
    )


def start_offset(
    newest: dt.date | None, settings: Settings, first_fire: dt.datetime | None, now: dt.datetime
) -> dt.timedelta:
    """Where the sandbox clock starts: when the newest digest is dated before today (the bundled
    samples are), a few minutes before that day's first push, so "next push" delivers it;
    otherwise the real time."""
    if newest is None or first_fire is None:
        return dt.timedelta()
    today = now.astimezone(settings.timezone).date()
    if newest >= today:
        return dt.timedelta()
    return first_fire - dt.timedelta(minutes=5) - now
