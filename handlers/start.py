"""/start (with deep links that open a digest) and /help."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from handlers.common import NEW_MESSAGES, command_argument, deliver, is_group, services, show

COMMANDS = [
    ("start", "What this bot does"),
    ("help", "The commands you can use"),
]

# deep-link payloads are [A-Za-z0-9_-]{1,64} (Telegram's rule for the start parameter)
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

GREETING = ("Hello! I publish a daily news digest. Read today's issue with /today, "
            "browse past ones with /archive and /tags, or look for something with /search.")


def help_text(member: list[tuple[str, str]], admin: list[tuple[str, str]]) -> str:
    lines = ["<b>Commands</b>", *(f"/{c} — {d}" for c, d in member)]
    if admin:
        lines += ["", "<b>Admin commands</b>", *(f"/{c} — {d}" for c, d in admin)]
    return "\n".join(lines)


def _help_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    from handlers import ADMIN_MENU, GROUP_MENU, PRIVATE_MENU  # the menus, defined once

    user = update.effective_user
    admin = ADMIN_MENU if services(context).is_admin(user.id if user else None) else []
    member = GROUP_MENU if is_group(update.effective_chat) else PRIVATE_MENU
    return help_text(member, [c for c in admin if c not in member])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = command_argument(update.effective_message)
    if payload and _PAYLOAD.match(payload):
        record = await services(context).store.get_digest(payload)
        if record is not None:
            await deliver(update, context, record)
            return
        await show(update, context, "That digest is no longer available. " + GREETING)
        return
    await show(update, context, GREETING + "\n\n" + _help_for(update, context))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show(update, context, _help_for(update, context))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGES))
