"""Helpers shared by the reader handlers: chat kind, arguments, keyboards, sending a digest."""

from __future__ import annotations

import functools
import re
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

from bot.delivery.outbox import Send
from bot.delivery.sender import SendOptions, send_part
from bot.digest.limits import DigestTooLarge
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


# C0 control characters (NUL, ESC, ...) and DEL, except tab and newline
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """User text without control characters: a NUL echoed back can break clients and logs."""
    return _CONTROLS.sub("", text)


def echo(value: str, max_chars: int = 100) -> str:
    """User text shown back to them: control characters removed, shortened, HTML-escaped."""
    return html_text(shorten(strip_controls(value), max_chars))


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


STILL_SENDING = "Still sending your previous request: one moment, please."
OUTBOX_FULL = "I'm still sending you earlier replies: please wait a moment and ask again."


def request_key(update: Update) -> tuple[object, ...]:
    """What makes two requests "the same": the same user asking the same thing in that chat."""
    user = update.effective_user.id if update.effective_user else None
    if update.callback_query is not None:
        return (user, "button", update.callback_query.data)
    text = update.effective_message.text if update.effective_message else None
    words = (text or "").split()
    if words:  # "/today@digest_bot" and "/TODAY" ask the same
        words[0] = words[0].split("@", 1)[0].lower()
    return (user, "text", " ".join(words))


def _has_callback_buttons(markup: InlineKeyboardMarkup | None) -> bool:
    return markup is not None and any(
        b.callback_data is not None for row in markup.inline_keyboard for b in row)


def reply_later(update: Update, context: BotContext, sends: list[Send]) -> None:
    """Hand a reply to the chat's outbox (see bot/delivery/outbox.py) and return at once; a
    repeated identical request or a full outbox gets one short notice instead."""
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    outbox = context.services.outbox
    key = request_key(update)
    verdict = outbox.submit(chat.id, sends, key=key, update_id=update.update_id)
    if verdict == "queued":
        return
    if verdict == "duplicate" and not outbox.mark_noticed(chat.id, key):
        return  # told once for this request already
    text = STILL_SENDING if verdict == "duplicate" else OUTBOX_FULL
    outbox.notice_once(chat.id, ("notice", verdict), lambda: context.bot.send_message(
        chat.id, text, message_thread_id=thread))


async def show(update: Update, context: BotContext, text: str,
               markup: InlineKeyboardMarkup | None = None) -> None:
    """Reply to a command (through the outbox), or, for a button press, edit the message the
    button sits on (edits are not paced: at once)."""
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
    store = context.services.store

    async def send() -> None:
        sent = await message.reply_text(text, reply_markup=markup)
        if _has_callback_buttons(markup):  # its buttons may edit it later (handlers.guard)
            await store.remember_interactive(sent.chat_id, sent.message_id)

    reply_later(update, context, [send])


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
    """Open a digest where the user asked: whole in private, one card in a group. The messages
    leave through the chat's outbox (the handler does not wait for them)."""
    chat = update.effective_chat
    assert chat is not None
    if is_group(chat):
        text, markup = await card(context, chat, record, note)
        await show(update, context, text, markup)
        return
    svc = context.services
    options = SendOptions(notify=True, link_previews=svc.settings.link_previews)
    try:
        parts = await svc.catalog.messages_async(record)
    except DigestTooLarge as exc:  # over MAX_DIGEST_MESSAGES: say so, send nothing
        await show(update, context, f"Sorry, I cannot send that digest: {html_text(exc.reason)}")
        return
    sends: list[Send] = []
    if note:
        sends.append(lambda: context.bot.send_message(chat.id, note))
    for part in parts:
        sends.append(functools.partial(send_part, context.bot, chat.id, None, part, options))
    reply_later(update, context, sends)
