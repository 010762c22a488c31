"""/archive, /tags and /tag <name>: paged lists whose buttons edit the same message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.library import (
    ARCHIVE_PAGE,
    TAGS_PAGE,
    records_page_html,
    shorten,
    tag_key,
    tags_page_html,
)
from bot.store import DigestRecord, Page
from handlers.common import (
    ARCHIVE,
    NEW_MESSAGES,
    TAG,
    TAGS,
    callback,
    command_argument,
    echo,
    keyboard,
    offset_arg,
    open_button,
    pager_row,
    services,
    show,
)

COMMANDS = [
    ("archive", "All issues, newest first"),
    ("tags", "Tags and how many issues carry each"),
    ("tag", "Issues with a tag: /tag rust"),
]


def _records_keyboard(page: Page[DigestRecord], pager: list[InlineKeyboardButton]):
    return keyboard([*([open_button(r)] for r in page.items), pager])


async def _archive(update: Update, context: ContextTypes.DEFAULT_TYPE, offset: int) -> None:
    page = await services(context).library.page(offset, ARCHIVE_PAGE)
    if offset and not page.items and page.total:  # the archive shrank under the pager
        offset = max((page.total - 1) // ARCHIVE_PAGE * ARCHIVE_PAGE, 0)
        page = await services(context).library.page(offset, ARCHIVE_PAGE)
    text = records_page_html("<b>Archive</b>", page, offset)
    await show(update, context, text, _records_keyboard(
        page, pager_row(ARCHIVE, offset, page.total, ARCHIVE_PAGE)))


async def archive(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _archive(update, context, 0)


async def archive_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _archive(update, context, offset_arg(update.callback_query.data))


async def _tags(update: Update, context: ContextTypes.DEFAULT_TYPE, offset: int) -> None:
    counts = await services(context).library.tag_counts()
    shown = counts[offset:offset + TAGS_PAGE]
    buttons = [InlineKeyboardButton(f"{shorten(tag, 30)} ({n})",
                                    callback_data=callback(TAG, 0, tag_key(tag)))
               for tag, n in shown]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append(pager_row(TAGS, offset, len(counts), TAGS_PAGE))
    await show(update, context, tags_page_html(shown, offset, len(counts)), keyboard(rows))


async def tags(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _tags(update, context, 0)


async def tags_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _tags(update, context, offset_arg(update.callback_query.data))


async def _tag_page(update: Update, context: ContextTypes.DEFAULT_TYPE, tag: str,
                    offset: int) -> bool:
    """Show one page of a tag's issues; False if no issue carries that tag."""
    page = await services(context).library.by_tag(tag, offset, ARCHIVE_PAGE)
    if not page.total:
        return False
    heading = f"<b>Tag</b> “{echo(tag, 60)}”"
    pager = pager_row(TAG, offset, page.total, ARCHIVE_PAGE, tag_key(tag))
    await show(update, context,
               records_page_html(heading, page, offset), _records_keyboard(page, pager))
    return True


async def tag(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = command_argument(update.effective_message)
    if not name:
        await show(update, context, "Which tag? Send <code>/tag name</code>, or see /tags.")
        return
    if await _tag_page(update, context, name, 0):
        return
    similar = await services(context).store.similar_tags(name, limit=5)
    if not similar:
        await show(update, context, f"No issue has the tag “{echo(name)}”. See /tags for all tags.")
        return
    buttons = [[InlineKeyboardButton(shorten(t, 40), callback_data=callback(TAG, 0, tag_key(t)))]
               for t in similar]
    await show(update, context,
               f"No issue has the tag “{echo(name)}”. Did you mean:", keyboard(buttons))


async def tag_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    name = await services(context).library.resolve_tag(query.data.split(":")[-1])
    if name is None:
        await query.answer("That tag is gone.", show_alert=True)
        return
    await query.answer()
    if not await _tag_page(update, context, name, offset_arg(query.data)):
        await show(update, context, f"No issue has the tag “{echo(name)}” any more.")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("archive", archive, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("tags", tags, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("tag", tag, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(archive_pressed, pattern=rf"^{ARCHIVE}:"))
    app.add_handler(CallbackQueryHandler(tags_pressed, pattern=rf"^{TAGS}:"))
    app.add_handler(CallbackQueryHandler(tag_pressed, pattern=rf"^{TAG}:"))
