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
from bot.i18n import MENU_LANGUAGE_CODES, N_, _, available_languages, use_language

log = logging.getLogger("digestbot.menus")

Menu = list[tuple[str, str]]  # (command, description)

# Descriptions are source strings marked with N_ and translated where shown (help, menus).
# Examples that depend on the content (a date, a tag) are in /help's "Try" lines, not here.
START_COMMANDS: Menu = [
    ("start", N_("What this bot does")),
    ("help", N_("The commands you can use")),
]
READER_COMMANDS: Menu = [
    ("today", N_("Today's digest")),
    ("latest", N_("The newest digest")),
    ("digest", N_("A past issue by date: /digest YYYY-MM-DD")),
]
BROWSE_COMMANDS: Menu = [
    ("archive", N_("All issues, newest first")),
    ("tags", N_("Tags and how many issues carry each")),
    ("tag", N_("Issues with a tag: /tag name")),
]
SEARCH_COMMANDS: Menu = [("search", N_("Find items in all issues: /search words"))]
ID_COMMANDS: Menu = [("id", N_("Your user id and this chat's id (for ADMIN_IDS, DIGEST_CHATS)"))]
SUBSCRIPTION_COMMANDS: Menu = [
    ("subscribe", N_("Deliver the daily digest to this group, channel or topic")),
    ("unsubscribe", N_("Stop the daily digest here")),
    ("language", N_("Set this chat's language: /language zh or /language en")),
    ("layout", N_("How digests arrive here: sections, compact or rich")),
]
LAYOUT_COMMAND: Menu = [("layout", N_("How digests arrive for you: sections, compact or rich"))]
ADMIN_COMMANDS: Menu = [
    ("post", N_("Push a digest now: /post [date] [here]")),
    ("preview", N_("The digest as it would be pushed, to you: /preview [date] [layout]")),
    ("status", N_("Next push, last push per target, index")),
    ("reload", N_("Rescan the content folder now")),
]

# What /help shows and setMyCommands sets, per audience.
READER_MENU: Menu = [*READER_COMMANDS, *BROWSE_COMMANDS, *SEARCH_COMMANDS]
PRIVATE_MENU: Menu = [*START_COMMANDS, *READER_MENU, *ID_COMMANDS, *LAYOUT_COMMAND]
GROUP_MENU: Menu = [("help", N_("The commands you can use")), *READER_MENU, *ID_COMMANDS]
CHAT_ADMIN_MENU: Menu = [*GROUP_MENU, *SUBSCRIPTION_COMMANDS]
ADMIN_MENU: Menu = [*ADMIN_COMMANDS, *SUBSCRIPTION_COMMANDS]


def help_text(member: Menu, admin: Menu) -> str:
    """The command list in the current language."""
    lines = [_("<b>Commands</b>"), *(f"/{c} — {_(d)}" for c, d in member)]
    if admin:
        lines += ["", _("<b>Admin commands</b>"), *(f"/{c} — {_(d)}" for c, d in admin)]
    return "\n".join(lines)


def help_for(*, is_admin: bool, in_group: bool) -> str:
    admin = ADMIN_MENU if is_admin else []
    member = GROUP_MENU if in_group else PRIVATE_MENU
    shown = {command for command, _ in member}
    return help_text(member, [c for c in admin if c[0] not in shown])


def _commands(menu: Menu) -> list[BotCommand]:
    """The menu in the current language."""
    seen: dict[str, str] = {}
    for command, description in menu:
        seen.setdefault(command, _(description))
    return [BotCommand(c, d) for c, d in seen.items()]


async def set_menus(bot: ExtBot, settings: Settings) -> None:
    """Command menus per audience and per language (setMyCommands' language_code: none for
    everyone without a menu of their own, 'zh' for Chinese clients); a failure is logged, never
    fatal."""
    scopes = [
        (BotCommandScopeAllPrivateChats(), PRIVATE_MENU),
        (BotCommandScopeAllGroupChats(), GROUP_MENU),
        (BotCommandScopeAllChatAdministrators(), CHAT_ADMIN_MENU),
        # each configured admin's private chat: everything (fails until they /start the bot)
        *(
            (BotCommandScopeChat(admin), [*PRIVATE_MENU, *ADMIN_MENU])
            for admin in sorted(settings.admin_ids)
        ),
    ]
    for language in available_languages():
        code = MENU_LANGUAGE_CODES.get(language)
        if code is None:
            continue
        with use_language(language):
            for scope, menu in scopes:
                try:
                    await bot.set_my_commands(
                        _commands(menu), scope=scope, language_code=code or None
                    )
                except TelegramError as exc:
                    log.warning("setMyCommands for %s (%s) failed: %s", scope.type, language, exc)
