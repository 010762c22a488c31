"""Telegram handlers, one module per feature; `register_all` wires every one of them.

Each feature module has `register(application)` and a list of (command, description) for menus.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    admin,
    browse,
    chat_settings,
    errors,
    reader,
    search,
    start,
    subscriptions,
)
from handlers.instrument import instrument

# What /help shows and setMyCommands sets, per audience.
READER_MENU = [*reader.COMMANDS, *browse.COMMANDS, *search.COMMANDS]
PRIVATE_MENU = [*start.COMMANDS, *READER_MENU, *chat_settings.COMMANDS]
GROUP_MENU = [("help", "The commands you can use"), *READER_MENU, *chat_settings.COMMANDS]
CHAT_ADMIN_MENU = [*GROUP_MENU, *subscriptions.SUBSCRIPTION_COMMANDS,
                   *chat_settings.ADMIN_COMMANDS]
ADMIN_MENU = [*admin.ADMIN_COMMANDS, *subscriptions.SUBSCRIPTION_COMMANDS]


def register_all(application: Application) -> None:
    for module in (start, reader, browse, search, admin, subscriptions, chat_settings, errors):
        module.register(application)
    instrument(application)  # language + one log line per update, around every handler
