"""/search <words>: matching items across all issues, most relevant first, paged in one
message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.i18n import _
from bot.reader.views import SEARCH_PAGE, search_page_html
from bot.services import BotContext
from handlers.buttons import SearchPage
from handlers.common import (
    add_reader_handlers,
    command_argument,
    keyboard,
    open_button,
    pager_row,
    resolve_keyed_press,
    show,
)

MAX_QUERY = 200  # characters; longer queries are cut (FTS cost grows with the query)


async def _results(update: Update, context: BotContext, query: str, offset: int) -> None:
    reader = context.services.reader
    page = await reader.search(query, offset, SEARCH_PAGE)
    seen: set[str] = set()
    rows = []
    for hit in page.items:  # one open button per issue on this page
        if hit.digest.id not in seen:
            seen.add(hit.digest.id)
            rows.append([open_button(hit.digest)])
    key = await reader.remember_query(query)  # kept in the store: the pager outlives a restart
    rows.append(pager_row(lambda at: SearchPage(at, key), offset, page.total, SEARCH_PAGE))
    await show(update, context, search_page_html(query, page, offset), keyboard(rows))


async def search(update: Update, context: BotContext) -> None:
    query = command_argument(update.effective_message)[:MAX_QUERY]
    if not query:
        await show(update, context, _("Search for what? Send <code>/search words</code>."))
        return
    await _results(update, context, query, 0)


async def search_pressed(update: Update, context: BotContext) -> None:
    found = await resolve_keyed_press(  # None: the store has let a long unused query go
        update,
        SearchPage,
        context.services.reader.resolve_query,
        _("This search has expired: send /search again."),
    )
    if found is not None:
        await _results(update, context, *found)


def register(app: Application) -> None:
    add_reader_handlers(app, {"search": search}, {SearchPage: search_pressed})
