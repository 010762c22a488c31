"""Telegram handlers, one module per feature; `register_all` wires every one of them.

Each feature module has `register(application)`; the command menus live in handlers.menus.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import admin, browse, errors, guard, reader, search, start, subscriptions


def register_all(application: Application) -> None:
    for module in (guard, start, reader, browse, search, admin, subscriptions, errors):
        module.register(application)
