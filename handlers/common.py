"""Helpers shared by the reader handlers: chat kind, arguments, keyboards, sending a digest."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters
from telegram.helpers import create_deep_linked_url

from bot.delivery.layouts import FALLBACK, reader_sends
from bot.delivery.outbox import Send
from bot.delivery.sender import SendOptions
from bot.digest.limits import DigestTooLarge
from bot.i18n import N_, _, format_date
from bot.reader.views import card_html, html_text, message_link
from bot.reader_text import part_label
from bot.services import BotContext
from bot.store import DigestRecord
from bot.textcut import shorten
from handlers.buttons import (
    ArchivePage,
    Button,
    OpenDigest,
    PageCounter,
    SearchPage,
    TagPage,
    TagsPage,
)

# New messages only: an edited "/today" must not send the digest again.
NEW_MESSAGES = filters.UpdateType.MESSAGE

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]  # what PTB handlers take


def add_reader_handlers(
    app: Application,
    commands: Mapping[str, Callback],
    presses: Mapping[type[Button], Callback] | None = None,
) -> None:
    """Reader commands answer new messages only (NEW_MESSAGES); a button kind's presses go to
    its handler (matched by the kind's prefix: unpack() validates the rest)."""
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES))
    for kind, pressed in (presses or {}).items():
        app.add_handler(CallbackQueryHandler(pressed, pattern=kind.pattern()))


def on_page_press(
    kind: type[ArchivePage] | type[TagsPage],
    show_page: Callable[[Update, BotContext, int], Awaitable[None]],
) -> Callback:
    """The handler of a pager button of `kind`: answered at once, then the page at its offset
    (forged or broken data: answered, nothing shown)."""

    async def pressed(update: Update, context: BotContext) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        button = kind.unpack(update.callback_query.data)
        if button is not None:
            await show_page(update, context, button.offset)

    return pressed


async def resolve_keyed_press(
    update: Update,
    kind: type[TagPage] | type[SearchPage],
    resolve: Callable[[str], Awaitable[str | None]],
    gone: str,
) -> tuple[str, int] | None:
    """A pressed button carrying a key (a tag's, a query's): (the text the key stands for, the
    offset), with the press answered; None after answering why not (`gone`: the store no
    longer knows the key; forged or broken data: a silent answer)."""
    query = update.callback_query
    assert query is not None
    pressed = kind.unpack(query.data)
    if pressed is None:  # forged or broken data
        await query.answer()
        return None
    text = await resolve(pressed.key)
    if text is None:
        await query.answer(gone, show_alert=True)
        return None
    await query.answer()
    return text, pressed.offset


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL)


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
    return button(
        label or f"{format_date(record.date)} · {shorten(record.title, 40)}", OpenDigest(record.id)
    )


def pager_row(
    page: Callable[[int], Button],
    offset: int,
    total: int,
    size: int,
    *,
    arrows: tuple[str, str] | None = None,
) -> list[InlineKeyboardButton]:
    """« prev | page x/y | next » (only the buttons that lead somewhere); `page(offset)` is the
    button data of the page at that offset."""
    if total <= size:
        return []
    arrows = arrows or (_("« Newer"), _("Older »"))
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


STILL_SENDING = N_("Still sending your previous request: one moment, please.")
OUTBOX_FULL = N_("I'm still sending you earlier replies: please wait a moment and ask again.")


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
        b.callback_data is not None for row in markup.inline_keyboard for b in row
    )


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
    template = STILL_SENDING if verdict == "duplicate" else OUTBOX_FULL
    text = _(template)
    outbox.notice_once(
        chat.id,
        ("notice", verdict),
        lambda: context.bot.send_message(chat.id, text, message_thread_id=thread),
    )


async def show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
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


async def card(
    context: BotContext, chat: Chat, record: DigestRecord, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """A group's compact card: text plus the button that opens the digest in a private chat."""
    text = card_html(record, note=note, posted=await posted_parts(context, chat, record))
    button = InlineKeyboardButton(
        _("Read it in full in a private chat"),
        url=create_deep_linked_url(context.bot.username, record.id),
    )
    return text, InlineKeyboardMarkup([[button]])


async def posted_parts(
    context: BotContext, chat: Chat, record: DigestRecord
) -> list[tuple[str, str | None]]:
    """(part label, message link) of each part of `record` this chat already received: the
    header and each section by name, so a reader can jump to the one they want."""
    store = context.services.store
    keys: list[int | str] = [chat.id]
    if chat.username:  # pushed to "@name" targets are journaled under that name
        keys.append(f"@{chat.username}")
    posted: list[tuple[str, str | None]] = []
    messages = None
    for key in keys:
        for thread, _first in await store.deliveries_in_chat(record.id, key):
            if messages is None:
                messages = await context.services.catalog.messages_async(record)
            parts = await store.delivered_parts(record.id, key, thread)
            for part, message_id in sorted(parts.items()):
                section = messages[part].section if part < len(messages) else None
                posted.append(
                    (
                        part_label(part, section),
                        message_link(chat.id, chat.username, thread, message_id),
                    )
                )
    return posted


async def deliver(
    update: Update, context: BotContext, record: DigestRecord, note: str | None = None
) -> None:
    """Open a digest where the user asked: whole in private, one card in a group. The messages
    leave through the chat's outbox (the handler does not wait for them)."""
    chat = update.effective_chat
    assert chat is not None
    if is_group(chat):
        text, markup = await card(context, chat, record, note)
        query = update.callback_query
        if query is not None and isinstance(query.message, Message):
            # chosen from a list (search results, an archive page): the card comes as a new
            # reply, the list stays for the next choice
            await query.message.reply_text(text, reply_markup=markup)
            return
        await show(update, context, text, markup)
        return
    svc = context.services
    options = SendOptions(notify=True, link_previews=svc.settings.link_previews)
    layout = await svc.delivery.layouts.for_target(chat.id, None)  # the reader's /layout
    try:
        calls = await svc.catalog.calls_async(record, layout=layout)
    except DigestTooLarge as exc:  # over MAX_DIGEST_MESSAGES: say so, send nothing
        await show(
            update,
            context,
            _("Sorry, I cannot send that digest: {reason}").format(reason=html_text(exc.reason)),
        )
        return
    sends: list[Send] = []
    if note:
        sends.append(lambda: context.bot.send_message(chat.id, note))
    sends += reader_sends(
        context.bot,
        svc.delivery.layouts,
        chat.id,
        None,
        calls,
        options,
        layout=layout,
        retry=svc.delivery.retry,
        fallback=lambda: svc.catalog.calls_async(record, layout=FALLBACK),
    )
    reply_later(update, context, sends)
