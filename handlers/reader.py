"""/today, /latest, /digest <date>, and the buttons that open a digest or a day."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import Application

from bot.i18n import N_, _, format_date, ngettext
from bot.reader.service import DayResult, parse_date_arg
from bot.services import BotContext
from bot.textcut import shorten
from handlers.buttons import OpenDay, OpenDigest
from handlers.common import (
    add_reader_handlers,
    button,
    command_argument,
    deliver,
    echo,
    keyboard,
    open_button,
    show,
)

NO_DIGESTS = N_("There are no digests yet.")


async def today(update: Update, context: BotContext) -> None:
    svc = context.services
    day = dt.datetime.now(svc.settings.timezone).date()
    found = await svc.reader.day(day)
    if found.editions:
        await _open_day(update, context, found)
        return
    newest = await svc.catalog.newest()
    if newest is None:
        await show(
            update,
            context,
            _("No digest for today ({day}) yet, and none before.").format(day=format_date(day)),
        )
        return
    note = _("No digest for today ({day}) yet. The newest is from <b>{newest}</b>:").format(
        day=format_date(day), newest=format_date(newest.date)
    )
    await deliver(update, context, newest, note)


async def latest(update: Update, context: BotContext) -> None:
    newest = await context.services.catalog.newest()
    if newest is None:
        await show(update, context, _(NO_DIGESTS))
        return
    await deliver(update, context, newest)


async def digest(update: Update, context: BotContext) -> None:
    arg = command_argument(update.effective_message)
    if not arg:
        await show(
            update,
            context,
            _(
                "Which day? Send <code>/digest {day:%Y-%m-%d}</code> "
                "(or <code>/digest {day:%Y%m%d}</code>)."
            ).format(day=await _example_day(context)),
        )
        return
    day = parse_date_arg(arg)
    if day is None:
        await show(
            update,
            context,
            _(
                "“{text}” is not a date. Send <code>/digest {day:%Y-%m-%d}</code> "
                "(or <code>/digest {day:%Y%m%d}</code>)."
            ).format(text=echo(arg), day=await _example_day(context)),
        )
        return
    await _open_day(update, context, await context.services.reader.day(day))


async def _open_day(update: Update, context: BotContext, found: DayResult) -> None:
    """One edition: open it; several: let the user choose; none: offer the nearest days."""
    if len(found.editions) == 1:
        await deliver(update, context, found.editions[0])
        return
    if found.editions:
        rows = [[open_button(r, shorten(r.title, 60) or r.id)] for r in found.editions]
        n = len(found.editions)
        await show(
            update,
            context,
            ngettext(
                "{n} edition on <b>{day}</b>. Which one?",
                "{n} editions on <b>{day}</b>. Which one?",
                n,
            ).format(n=n, day=format_date(found.day)),
            keyboard(rows),
        )
        return
    if not found.nearest:
        await show(update, context, _(NO_DIGESTS))
        return
    row = [button(format_date(d), OpenDay(d)) for d in sorted(found.nearest)]
    await show(
        update,
        context,
        _("No digest on <b>{day}</b>. The nearest days with one:").format(
            day=format_date(found.day)
        ),
        keyboard([row]),
    )


async def open_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = OpenDigest.unpack(query.data)
    record = await context.services.catalog.get(pressed.digest_id) if pressed else None
    if record is None:
        await query.answer(_("That digest is no longer available."), show_alert=True)
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
        await query.answer(_("That day has no digest any more."), show_alert=True)
        return
    await query.answer()
    await _open_day(update, context, found)


async def _example_day(context: BotContext) -> dt.date:
    """A date that works as an example: the newest digest's (today's when there is none)."""
    newest = await context.services.catalog.newest()
    return newest.date if newest is not None else dt.date.today()


def register(app: Application) -> None:
    add_reader_handlers(
        app,
        {"today": today, "latest": latest, "digest": digest},
        {OpenDigest: open_pressed, OpenDay: day_pressed},
    )
