"""Command menus: every command with its description, per audience, for /help and the client's
command menu (setMyCommands). Defined once here; feature modules only handle the commands."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.config import Settings

log = logging.getLogger("digestbot")

Menu = list[tuple[str, str]]  # (command, description)

START_COMMANDS: Menu = [
    ("start", "What this bot does"),
    ("help", "The commands you can use"),
]
READER_COMMANDS: Menu = [
    ("today", "Today's digest"),
    ("latest", "The newest digest"),
    ("digest", "A past issue: /digest 2026-01-25"),
]
BROWSE_COMMANDS: Menu = [
    ("archive", "All issues, newest first"),
    ("tags", "Tags and how many issues carry each"),
    ("tag", "Issues with a tag: /tag rust"),
]
SEARCH_COMMANDS: Menu = [("search", "Find items in all issues: /search rust async")]
SUBSCRIPTION_COMMANDS: Menu = [
    ("subscribe", "deliver the daily digest to this group, channel or topic"),
    ("unsubscribe", "stop the daily digest here"),
]
ADMIN_COMMANDS: Menu = [
    ("post", "push a digest now: /post [date] [here]"),
    ("preview", "the digest as it would be pushed, to you: /preview [date]"),
    ("status", "next push, last push per target, index"),
    ("reload", "rescan the content folder now"),
]

# What /help shows and setMyCommands sets, per audience.
READER_MENU: Menu = [*READER_COMMANDS, *BROWSE_COMMANDS, *SEARCH_COMMANDS]
PRIVATE_MENU: Menu = [*START_COMMANDS, *READER_MENU]
GROUP_MENU: Menu = [("help", "The commands you can use"), *READER_MENU]
CHAT_ADMIN_MENU: Menu = [*GROUP_MENU, *SUBSCRIPTION_COMMANDS]
ADMIN_MENU: Menu = [*ADMIN_COMMANDS, *SUBSCRIPTION_COMMANDS]


def help_text(member: Menu, admin: Menu) -> str:
    lines = ["<b>Commands</b>", *(f"/{c} — {d}" for c, d in member)]
    if admin:
        lines += ["", "<b>Admin commands</b>", *(f"/{c} — {d}" for c, d in admin)]
    return "\n".join(lines)


def help_for(*, is_admin: bool, in_group: bool) -> str:
    admin = ADMIN_MENU if is_admin else []
    member = GROUP_MENU if in_group else PRIVATE_MENU
    return help_text(member, [c for c in admin if c not in member])


def _commands(menu: Menu) -> list[BotCommand]:
    seen: dict[str, str] = {}
    for command, description in menu:
        seen.setdefault(command, description)
    return [BotCommand(c, d) for c, d in seen.items()]


async def set_menus(bot: ExtBot, settings: Settings) -> None:
    """Command menus per audience; a failure here is logged, never fatal."""
    scopes = [
        (BotCommandScopeAllPrivateChats(), PRIVATE_MENU),
        (BotCommandScopeAllGroupChats(), GROUP_MENU),
        (BotCommandScopeAllChatAdministrators(), CHAT_ADMIN_MENU),
        # each configured admin's private chat: everything (fails until they /start the bot)
        *((BotCommandScopeChat(admin), [*PRIVATE_MENU, *ADMIN_MENU])
          for admin in sorted(settings.admin_ids)),
    ]
    for scope, menu in scopes:
        try:
            await bot.set_my_commands(_commands(menu), scope=scope)
        except TelegramError as exc:
            log.warning("setMyCommands for %s failed: %s", scope.type, exc)
