"""/start (with deep links that open a digest) and /help."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application

from bot.i18n import N_, _
from bot.reader_text import help_examples
from bot.services import BotContext
from handlers.common import add_reader_handlers, command_argument, deliver, is_group, show
from handlers.menus import help_for

# deep-link payloads are [A-Za-z0-9_-]{1,64} (Telegram's rule for the start parameter)
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

GREETING = N_(
    "Hello! I publish a daily news digest. Read today's issue with /today, "
    "browse past ones with /archive and /tags, or look for something with /search."
)


async def _help_for(update: Update, context: BotContext) -> str:
    """The commands, then examples that work with the content now (newest date, its tag)."""
    user = update.effective_user
    text = help_for(
        is_admin=context.services.is_admin(user.id if user else None),
        in_group=is_group(update.effective_chat),
    )
    newest = await context.services.catalog.newest()
    examples = help_examples(newest.date, newest.title, newest.tags) if newest else []
    return "\n".join([text, *examples])


async def start(update: Update, context: BotContext) -> None:
    payload = command_argument(update.effective_message)
    if payload and _PAYLOAD.match(payload):
        record = await context.services.catalog.get(payload)
        if record is not None:
            await deliver(update, context, record)
            return
        await show(update, context, _("That digest is no longer available.") + " " + _(GREETING))
        return
    await show(update, context, _(GREETING) + "\n\n" + await _help_for(update, context))


async def help_command(update: Update, context: BotContext) -> None:
    await show(update, context, await _help_for(update, context))


def register(app: Application) -> None:
    add_reader_handlers(app, {"start": start, "help": help_command})
