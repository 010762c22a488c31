"""/layout [sections|compact|rich]: how digests arrive in this chat or topic, or for a private
reader (their /today, /digest, deep links and subscription).

In a group, channel or topic only its administrators (or ADMIN_IDS) may choose: the same check
as /subscribe (handlers.permissions), asked again when a button is pressed (anyone in the chat
can press one). The choice is stored per chat/topic and applies from the next digest: a push
under way finishes in the layout it started with.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.delivery.notify import esc
from bot.digest.calls import LAYOUTS
from bot.i18n import N_, _
from bot.services import BotContext
from handlers.buttons import ChooseLayout
from handlers.common import command_argument, echo
from handlers.permissions import may_change_chat_settings

EXPLAINED = {
    "sections": N_("one message per section (the classic layout)"),
    "compact": N_("whole sections packed into as few messages as Telegram allows"),
    "rich": N_("one rich message: real headings, lists and tables"),
}
# shared file §6: no app signals rich support, and these show a placeholder instead
RICH_WARNING = N_(
    "Rich messages are not shown by Telegram Web and some other apps "
    '(they see "this message is not supported").'
)
REFUSED = N_("Sorry, only an administrator of this chat can choose the layout.")


def _where(update: Update) -> tuple[int, int | None]:
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return chat.id, thread


def layout_text(current: str, *, private: bool, rich_off: str | None) -> str:
    head = (
        _("Your layout: {layout} (your /today, /digest, links and subscription)")
        if private
        else _("Layout here: {layout} (applies from the next digest)")
    )
    lines = [head.format(layout=f"<b>{esc(current)}</b>"), ""]
    lines += [f"<b>{name}</b> — {_(EXPLAINED[name])}" for name in LAYOUTS]
    lines += ["", f"⚠️ {_(RICH_WARNING)}"]
    if rich_off:
        lines.append(_("This bot's server cannot send rich messages now: rich arrives as compact."))
    return "\n".join(lines)


def layout_keyboard(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if name == current else "") + name,
                    callback_data=ChooseLayout(name).pack(),
                )
                for name in LAYOUTS
            ]
        ]
    )


async def _current(context: BotContext, chat_id: int, thread: int | None) -> str:
    return await context.services.delivery.layouts.chosen(chat_id, thread)


async def layout_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    private = chat.type == ChatType.PRIVATE
    if not await may_change_chat_settings(update, context):
        await message.reply_text(_(REFUSED))
        return
    chat_id, thread = _where(update)
    wanted = command_argument(message).lower()
    if wanted:
        if wanted not in LAYOUTS:
            await message.reply_text(
                _("Unknown layout {name}: use {layouts}.").format(
                    name=echo(wanted, 20), layouts=", ".join(LAYOUTS)
                ),
                parse_mode=ParseMode.HTML,
            )
            return
        user = update.effective_user
        await context.services.store.set_layout(
            chat_id, thread, wanted, chosen_by=user.id if user else None
        )
    current = wanted or await _current(context, chat_id, thread)
    rich_off = context.services.delivery.layouts.rich_unsupported
    sent = await message.reply_text(
        layout_text(current, private=private, rich_off=rich_off),
        parse_mode=ParseMode.HTML,
        reply_markup=layout_keyboard(current),
    )
    # its buttons may edit it (handlers.guard lets presses through on such messages only)
    await context.services.store.remember_interactive(sent.chat_id, sent.message_id)


async def layout_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = ChooseLayout.unpack(query.data)
    if pressed is None or pressed.layout not in LAYOUTS:
        await query.answer(_("This button is not valid any more."))
        return
    if not await may_change_chat_settings(update, context):  # the presser, not the message
        await query.answer(_(REFUSED), show_alert=True)
        return
    chat_id, thread = _where(update)
    await context.services.store.set_layout(
        chat_id, thread, pressed.layout, chosen_by=query.from_user.id
    )
    await query.answer(_("Layout: {layout}").format(layout=pressed.layout))
    chat = update.effective_chat
    text = layout_text(
        pressed.layout,
        private=chat is not None and chat.type == ChatType.PRIVATE,
        rich_off=context.services.delivery.layouts.rich_unsupported,
    )
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=layout_keyboard(pressed.layout)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():  # the same button pressed twice: fine
            raise


def register(application: Application) -> None:
    where = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(CommandHandler("layout", layout_command, filters=where))
    application.add_handler(CallbackQueryHandler(layout_pressed, pattern=ChooseLayout.pattern()))
