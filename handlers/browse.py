"""/archive, /tags and /tag <name>: paged lists whose buttons edit the same message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import _
from bot.reader.keys import tag_key
from bot.reader.views import ARCHIVE_PAGE, TAGS_PAGE, records_page_html, tags_page_html
from bot.services import BotContext
from bot.store import DigestRecord, Page
from bot.textcut import shorten
from handlers.buttons import ArchivePage, TagPage, TagsPage
from handlers.common import (
    NEW_MESSAGES,
    button,
    command_argument,
    echo,
    keyboard,
    open_button,
    pager_row,
    show,
)


def _records_keyboard(page: Page[DigestRecord], pager: list[InlineKeyboardButton]):
    return keyboard([*([open_button(r)] for r in page.items), pager])


async def _archive(update: Update, context: BotContext, offset: int) -> None:
    page = await context.services.reader.page(offset, ARCHIVE_PAGE)
    if offset and not page.items and page.total:  # the archive shrank under the pager
        offset = max((page.total - 1) // ARCHIVE_PAGE * ARCHIVE_PAGE, 0)
        page = await context.services.reader.page(offset, ARCHIVE_PAGE)
    text = records_page_html(_("<b>Archive</b>"), page, offset)
    await show(
        update,
        context,
        text,
        _records_keyboard(page, pager_row(ArchivePage, offset, page.total, ARCHIVE_PAGE)),
    )


async def archive(update: Update, context: BotContext) -> None:
    await _archive(update, context, 0)


async def archive_pressed(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    pressed = ArchivePage.unpack(update.callback_query.data)
    if pressed is not None:
        await _archive(update, context, pressed.offset)


async def _tags(update: Update, context: BotContext, offset: int) -> None:
    counts = await context.services.reader.tag_counts()
    shown = counts[offset : offset + TAGS_PAGE]
    buttons = [button(f"{shorten(tag, 30)} ({n})", TagPage(0, tag_key(tag))) for tag, n in shown]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append(
        pager_row(TagsPage, offset, len(counts), TAGS_PAGE, arrows=(_("« Prev"), _("Next »")))
    )
    await show(update, context, tags_page_html(shown, offset, len(counts)), keyboard(rows))


async def tags(update: Update, context: BotContext) -> None:
    await _tags(update, context, 0)


async def tags_pressed(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    pressed = TagsPage.unpack(update.callback_query.data)
    if pressed is not None:
        await _tags(update, context, pressed.offset)


async def _tag_page(update: Update, context: BotContext, tag: str, offset: int) -> bool:
    """Show one page of a tag's issues; False if no issue carries that tag."""
    page = await context.services.reader.by_tag(tag, offset, ARCHIVE_PAGE)
    if not page.total:
        return False
    heading = _("<b>Tag</b> “{tag}”").format(tag=echo(tag, 60))
    key = tag_key(tag)
    pager = pager_row(lambda at: TagPage(at, key), offset, page.total, ARCHIVE_PAGE)
    await show(
        update, context, records_page_html(heading, page, offset), _records_keyboard(page, pager)
    )
    return True


async def tag(update: Update, context: BotContext) -> None:
    name = command_argument(update.effective_message)
    if not name:
        await show(update, context, _("Which tag? Send <code>/tag name</code>, or see /tags."))
        return
    if await _tag_page(update, context, name, 0):
        return
    similar = await context.services.store.similar_tags(name, limit=5)
    if not similar:
        await show(
            update,
            context,
            _("No issue has the tag “{tag}”. See /tags for all tags.").format(tag=echo(name)),
        )
        return
    buttons = [[button(shorten(t, 40), TagPage(0, tag_key(t)))] for t in similar]
    await show(
        update,
        context,
        _("No issue has the tag “{tag}”. Did you mean:").format(tag=echo(name)),
        keyboard(buttons),
    )


async def tag_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = TagPage.unpack(query.data)
    if pressed is None:  # forged or broken data
        await query.answer()
        return
    name = await context.services.reader.resolve_tag(pressed.key)
    if name is None:
        await query.answer(_("That tag is gone."), show_alert=True)
        return
    await query.answer()
    if not await _tag_page(update, context, name, pressed.offset):
        await show(
            update, context, _("No issue has the tag “{tag}” any more.").format(tag=echo(name))
        )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("archive", archive, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("tags", tags, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("tag", tag, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(archive_pressed, pattern=ArchivePage.pattern()))
    app.add_handler(CallbackQueryHandler(tags_pressed, pattern=TagsPage.pattern()))
    app.add_handler(CallbackQueryHandler(tag_pressed, pattern=TagPage.pattern()))
