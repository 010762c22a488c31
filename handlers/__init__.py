"""Telegram handlers, one module per feature; `register_all` wires every one of them.

Each feature module has `register(application)`; the command menus live in handlers.menus.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    admin,
    browse,
    chat_settings,
    errors,
    guard,
    layout,
    reader,
    search,
    start,
    subscriptions,
)
from handlers.instrument import instrument


def register_all(application: Application) -> None:
    for module in (
        guard,
        start,
        reader,
        browse,
        search,
        admin,
        subscriptions,
        chat_settings,
        layout,
        errors,
    ):
        module.register(application)
    instrument(application)  # language + one log line per update, around every handler
