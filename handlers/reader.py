"""/today, /latest, /digest <date>, and the buttons that open a digest or a day."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.reader.service import DayResult, parse_date_arg
from bot.services import BotContext
from bot.textcut import shorten
from handlers.buttons import OpenDay, OpenDigest
from handlers.common import (
    NEW_MESSAGES,
    button,
    command_argument,
    deliver,
    echo,
    keyboard,
    open_button,
    show,
)

NO_DIGESTS = "There are no digests yet."


async def today(update: Update, context: BotContext) -> None:
    svc = context.services
    day = dt.datetime.now(svc.settings.timezone).date()
    found = await svc.reader.day(day)
    if found.editions:
        await _open_day(update, context, found)
        return
    newest = await svc.catalog.newest()
    if newest is None:
        await show(update, context, f"No digest for today ({day:%Y-%m-%d}) yet, and none before.")
        return
    note = (f"No digest for today ({day:%Y-%m-%d}) yet. "
            f"The newest is from <b>{newest.date:%Y-%m-%d}</b>:")
    await deliver(update, context, newest, note)


async def latest(update: Update, context: BotContext) -> None:
    newest = await context.services.catalog.newest()
    if newest is None:
        await show(update, context, NO_DIGESTS)
        return
    await deliver(update, context, newest)


async def digest(update: Update, context: BotContext) -> None:
    arg = command_argument(update.effective_message)
    if not arg:
        await show(update, context, "Which day? Send <code>/digest 2026-01-25</code> "
                                    "(or <code>/digest 20260125</code>).")
        return
    day = parse_date_arg(arg)
    if day is None:
        await show(update, context,
                   f"“{echo(arg)}” is not a date. Send <code>/digest 2026-01-25</code> "
                   "(or <code>/digest 20260125</code>).")
        return
    await _open_day(update, context, await context.services.reader.day(day))


async def _open_day(update: Update, context: BotContext, found: DayResult) -> None:
    """One edition: open it; several: let the user choose; none: offer the nearest days."""
    if len(found.editions) == 1:
        await deliver(update, context, found.editions[0])
        return
    if found.editions:
        rows = [[open_button(r, shorten(r.title, 60) or r.id)] for r in found.editions]
        await show(update, context,
                   f"{len(found.editions)} editions on <b>{found.day:%Y-%m-%d}</b>. Which one?",
                   keyboard(rows))
        return
    if not found.nearest:
        await show(update, context, NO_DIGESTS)
        return
    row = [button(f"{d:%Y-%m-%d}", OpenDay(d)) for d in sorted(found.nearest)]
    await show(update, context,
               f"No digest on <b>{found.day:%Y-%m-%d}</b>. The nearest days with one:",
               keyboard([row]))


async def open_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = OpenDigest.unpack(query.data)
    record = await context.services.catalog.get(pressed.digest_id) if pressed else None
    if record is None:
        await query.answer("That digest is no longer available.", show_alert=True)
        return
    await query.answer()
    await deliver(update, context, record)


async def day_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = OpenDay.unpack(query.data)
    if pressed is None:
        await query.answer()
        return
    found = await context.services.reader.day(pressed.day)
    if not found.editions:
        await query.answer("That day has no digest any more.", show_alert=True)
        return
    await query.answer()
    await _open_day(update, context, found)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("today", today, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("latest", latest, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("digest", digest, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(open_pressed, pattern=OpenDigest.pattern()))
    app.add_handler(CallbackQueryHandler(day_pressed, pattern=OpenDay.pattern()))
