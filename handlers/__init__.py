"""Telegram handlers, one module per feature; `register_all` wires every one of them.

Each feature module has `register(application)` and a list of (command, description) for menus.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import admin, browse, errors, guard, reader, search, start, subscriptions

# What /help shows and setMyCommands sets, per audience.
READER_MENU = [*reader.COMMANDS, *browse.COMMANDS, *search.COMMANDS]
PRIVATE_MENU = [*start.COMMANDS, *READER_MENU]
GROUP_MENU = [("help", "The commands you can use"), *READER_MENU]
CHAT_ADMIN_MENU = [*GROUP_MENU, *subscriptions.SUBSCRIPTION_COMMANDS]
ADMIN_MENU = [*admin.ADMIN_COMMANDS, *subscriptions.SUBSCRIPTION_COMMANDS]


def register_all(application: Application) -> None:
    for module in (guard, start, reader, browse, search, admin, subscriptions, errors):
        module.register(application)
