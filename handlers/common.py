"""Helpers shared by the reader handlers: chat kind, arguments, keyboards, sending a digest."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import filters
from telegram.helpers import create_deep_linked_url

from bot.delivery.layouts import FALLBACK, send_calls
from bot.delivery.sender import SendOptions
from bot.reader.views import card_html, html_text, message_link
from bot.services import BotContext
from bot.store import DigestRecord
from bot.textcut import shorten
from handlers.buttons import Button, OpenDigest, PageCounter

# New messages only: an edited "/today" must not send the digest again.
NEW_MESSAGES = filters.UpdateType.MESSAGE

def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP,
                                              ChatType.CHANNEL)


def command_argument(message: Message | None) -> str:
    """Everything the user wrote after the command (inner spaces kept, ends stripped)."""
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def echo(value: str, max_chars: int = 100) -> str:
    """User text shown back to them: shortened and HTML-escaped."""
    return html_text(shorten(value, max_chars))


def button(label: str, data: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


def open_button(record: DigestRecord, label: str | None = None) -> InlineKeyboardButton:
    return button(label or f"{record.date:%Y-%m-%d} · {shorten(record.title, 40)}",
                  OpenDigest(record.id))


def pager_row(page: Callable[[int], Button], offset: int, total: int, size: int, *,
              arrows: tuple[str, str] = ("« Newer", "Older »")) -> list[InlineKeyboardButton]:
    """« prev | page x/y | next » (only the buttons that lead somewhere); `page(offset)` is the
    button data of the page at that offset."""
    if total <= size:
        return []
    row = []
    if offset > 0:
        row.append(button(arrows[0], page(max(offset - size, 0))))
    row.append(button(f"{offset // size + 1}/{(total + size - 1) // size}", PageCounter()))
    if offset + size < total:
        row.append(button(arrows[1], page(offset + size)))
    return row


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(rows) if rows else None


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Reply to a command, or, for a button press, edit the message the button sits on."""
    query = update.callback_query
    if query is not None and query.message is not None and query.message.is_accessible:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():  # same page pressed twice: fine
                raise
        return
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=markup)


async def send_whole(context: BotContext, chat_id: int, thread_id: int | None,
                     record: DigestRecord) -> None:
    """The digest in the chat's layout (a private reader's /layout), in order."""
    svc = context.services
    options = SendOptions(notify=True, link_previews=svc.settings.link_previews)
    layout = await svc.delivery.layouts.for_target(chat_id, thread_id)
    calls = await svc.catalog.calls_async(record, layout=layout)
    await send_calls(context.bot, svc.delivery.layouts, chat_id, thread_id, calls, options,
                     layout=layout, retry=svc.delivery.retry,
                     fallback=lambda: svc.catalog.calls_async(record, layout=FALLBACK))


async def card(context: BotContext, chat: Chat, record: DigestRecord,
               note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """A group's compact card: text plus the button that opens the digest in a private chat."""
    store = context.services.store
    deliveries = list(await store.deliveries_in_chat(record.id, chat.id))
    if chat.username:  # pushed to "@name" targets are journaled under that name
        deliveries += await store.deliveries_in_chat(record.id, f"@{chat.username}")
    posted = [message_link(chat.id, chat.username, thread, msg) for thread, msg in deliveries]
    text = card_html(record, note=note, posted=posted)
    button = InlineKeyboardButton("Read it here in full",
                                  url=create_deep_linked_url(context.bot.username, record.id))
    return text, InlineKeyboardMarkup([[button]])


async def deliver(update: Update, context: BotContext, record: DigestRecord,
                  note: str | None = None) -> None:
    """Open a digest where the user asked: whole in private, one card in a group."""
    chat = update.effective_chat
    assert chat is not None
    if is_group(chat):
        text, markup = await card(context, chat, record, note)
        await show(update, text, markup)
        return
    if note:
        await context.bot.send_message(chat.id, note)
    await send_whole(context, chat.id, None, record)
