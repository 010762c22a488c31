"""/archive, /tags and /tag <name>: paged lists whose buttons edit the same message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application

from bot.i18n import _
from bot.reader.keys import tag_key
from bot.reader.views import ARCHIVE_PAGE, TAGS_PAGE, records_page_html, tags_page_html
from bot.services import BotContext
from bot.store import DigestRecord, Page
from bot.textcut import shorten
from handlers.buttons import ArchivePage, TagPage, TagsPage
from handlers.common import (
    add_reader_handlers,
    button,
    command_argument,
    echo,
    keyboard,
    on_page_press,
    open_button,
    pager_row,
    resolve_keyed_press,
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


archive_pressed = on_page_press(ArchivePage, _archive)


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


tags_pressed = on_page_press(TagsPage, _tags)


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
    found = await resolve_keyed_press(
        update, TagPage, context.services.reader.resolve_tag, _("That tag is gone.")
    )
    if found is None:
        return
    name, offset = found
    if not await _tag_page(update, context, name, offset):
        await show(
            update, context, _("No issue has the tag “{tag}” any more.").format(tag=echo(name))
        )


def register(app: Application) -> None:
    add_reader_handlers(
        app,
        {"archive": archive, "tags": tags, "tag": tag},
        {ArchivePage: archive_pressed, TagsPage: tags_pressed, TagPage: tag_pressed},
    )
