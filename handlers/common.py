"""Helpers shared by the reader handlers: chat kind, arguments, keyboards, sending a digest."""

from __future__ import annotations

import functools
import re
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

from bot.delivery.outbox import Send
from bot.delivery.sender import SendOptions, send_part
from bot.digest.limits import DigestTooLarge
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


# C0 control characters (NUL, ESC, ...) and DEL, except tab and newline
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """User text without control characters: a NUL echoed back can break clients and logs."""
    return _CONTROLS.sub("", text)


def echo(text: str, max_chars: int = 100) -> str:
    """User text shown back to them: control characters removed, shortened, HTML-escaped."""
    return escape(shorten(strip_controls(text), max_chars))


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
        button.callback_data is not None for row in markup.inline_keyboard for button in row)


def reply_later(update: Update, context: ContextTypes.DEFAULT_TYPE, sends: list[Send]) -> None:
    """Hand a reply to the chat's outbox (see bot/delivery/outbox.py) and return at once; a
    repeated identical request or a full outbox gets one short notice instead."""
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    outbox = services(context).outbox
    key = request_key(update)
    verdict = outbox.submit(chat.id, sends, key=key, update_id=update.update_id)
    if verdict == "queued":
        return
    if verdict == "duplicate" and not outbox.mark_noticed(chat.id, key):
        return  # told once for this request already
    text = STILL_SENDING if verdict == "duplicate" else OUTBOX_FULL
    outbox.notice_once(chat.id, ("notice", verdict), lambda: context.bot.send_message(
        chat.id, text, message_thread_id=thread))


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
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
    store = services(context).store

    async def send() -> None:
        sent = await message.reply_text(text, reply_markup=markup)
        if _has_callback_buttons(markup):  # its buttons may edit it later (see guard)
            await store.remember_interactive(sent.chat_id, sent.message_id)

    reply_later(update, context, [send])


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
        await show(update, context, text, markup)
        return
    svc = services(context)
    options = SendOptions(notify=True, link_previews=svc.settings.link_previews)
    sends: list[Send] = []
    if note:
        sends.append(lambda: context.bot.send_message(chat.id, note))
    try:
        parts = await svc.library.messages(record)
    except DigestTooLarge as exc:  # over MAX_DIGEST_MESSAGES: say so, send nothing
        await show(update, context, f"Sorry, I cannot send that digest: {escape(exc.reason)}")
        return
    for part in parts:
        sends.append(functools.partial(send_part, context.bot, chat.id, None, part, options))
    reply_later(update, context, sends)
