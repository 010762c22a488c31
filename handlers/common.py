"""Helpers shared by the reader handlers: chat kind, arguments, keyboards, sending a digest."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from bot.delivery.sender import SendOptions, send_part
from bot.digest.tghtml import escape
from bot.library import card_html, message_link, shorten
from bot.services import Services, get_services
from bot.store import DigestRecord

# New messages only: an edited "/today" must not send the digest again.
NEW_MESSAGES = filters.UpdateType.MESSAGE

OPEN = "o"  # o:<digest id>            open a digest (private: whole; group: card)
DAY = "d"  # d:<yyyymmdd>              open a day (one edition) or choose among several
ARCHIVE = "a"  # a:<offset>
TAGS = "g"  # g:<offset>
TAG = "t"  # t:<offset>:<tag key>
SEARCH = "s"  # s:<offset>:<query key>
NOOP = "n"  # the page counter button


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return get_services(context.bot_data)


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP,
                                              ChatType.CHANNEL)


def command_argument(message: Message | None) -> str:
    """Everything the user wrote after the command (inner spaces kept, ends stripped)."""
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


# Offsets come back in callback data, which a modified client can forge: a huge number would
# overflow SQLite's 64-bit integers (OverflowError) and a long one the 64-byte callback limit.
MAX_OFFSET = 1_000_000


def offset_arg(data: str | None, index: int = 1) -> int:
    """The page offset at `index` of "prefix:offset:..." callback data, within [0, MAX_OFFSET]."""
    try:
        return min(max(int((data or "").split(":")[index]), 0), MAX_OFFSET)
    except (IndexError, ValueError):
        return 0


def echo(text: str, max_chars: int = 100) -> str:
    """User text shown back to them: shortened and HTML-escaped."""
    return escape(shorten(text, max_chars))


def deep_link(bot_username: str, digest_id: str) -> str:
    return f"https://t.me/{bot_username}?start={digest_id}"


def callback(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    # Telegram's limit; every caller passes short keys, this guards against a regression
    assert len(data.encode("utf-8")) <= 64, data
    return data


def open_button(record: DigestRecord, label: str | None = None) -> InlineKeyboardButton:
    text = label or f"{record.date:%Y-%m-%d} · {shorten(record.title, 40)}"
    return InlineKeyboardButton(text, callback_data=callback(OPEN, record.id))


def pager_row(prefix: str, offset: int, total: int, size: int,
              *suffix: str) -> list[InlineKeyboardButton]:
    """« prev | page x/y | next » (only the buttons that lead somewhere)."""
    if total <= size:
        return []
    row = []
    if offset > 0:
        row.append(InlineKeyboardButton("« Newer" if prefix != TAGS else "« Prev",
                                        callback_data=callback(prefix, max(offset - size, 0),
                                                               *suffix)))
    row.append(InlineKeyboardButton(f"{offset // size + 1}/{(total + size - 1) // size}",
                                    callback_data=NOOP))
    if offset + size < total:
        row.append(InlineKeyboardButton("Older »" if prefix != TAGS else "Next »",
                                        callback_data=callback(prefix, offset + size, *suffix)))
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


async def send_whole(context: ContextTypes.DEFAULT_TYPE, chat_id: int, thread_id: int | None,
                     record: DigestRecord) -> None:
    """The digest as the engine's messages, in order (used in private chats)."""
    svc = services(context)
    options = SendOptions(notify=True, link_previews=svc.settings.link_previews)
    for part in await svc.library.messages(record):
        await send_part(context.bot, chat_id, thread_id, part, options)


async def card(context: ContextTypes.DEFAULT_TYPE, chat: Chat, record: DigestRecord,
               note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """A group's compact card: text plus the button that opens the digest in a private chat."""
    store = services(context).store
    deliveries = list(await store.deliveries_in_chat(record.id, chat.id))
    if chat.username:  # pushed to "@name" targets are journaled under that name
        deliveries += await store.deliveries_in_chat(record.id, f"@{chat.username}")
    posted = [message_link(chat.id, chat.username, thread, msg) for thread, msg in deliveries]
    text = card_html(record, note=note, posted=posted)
    button = InlineKeyboardButton("Read it here in full",
                                  url=deep_link(context.bot.username, record.id))
    return text, InlineKeyboardMarkup([[button]])


async def deliver(update: Update, context: ContextTypes.DEFAULT_TYPE, record: DigestRecord,
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
