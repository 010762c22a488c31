"""/search <words>: matching items across all issues, newest first, paged in one message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.library import SEARCH_PAGE, search_page_html, short_key
from handlers.common import (
    NEW_MESSAGES,
    SEARCH,
    command_argument,
    keyboard,
    offset_arg,
    open_button,
    pager_row,
    services,
    show,
)

COMMANDS = [("search", "Find items in all issues: /search rust async")]

MAX_QUERY = 200  # characters; longer queries are cut (FTS cost grows with the query)
KEPT_QUERIES = 5000  # short key -> query entries kept for the paging buttons


def remember(context: ContextTypes.DEFAULT_TYPE, query: str) -> str:
    """Keep the query under a short key: callback_data has 64 bytes, a query may be longer."""
    keys = services(context).callback_keys
    key = short_key(query)
    keys.pop(key, None)
    keys[key] = query
    while len(keys) > KEPT_QUERIES:  # dicts keep insertion order: drop the oldest
        del keys[next(iter(keys))]
    return key


async def _results(update: Update, context: ContextTypes.DEFAULT_TYPE, query: str,
                   offset: int) -> None:
    page = await services(context).library.search(query, offset, SEARCH_PAGE)
    seen: set[str] = set()
    rows = []
    for hit in page.items:  # one open button per issue on this page
        if hit.digest.id not in seen:
            seen.add(hit.digest.id)
            rows.append([open_button(hit.digest)])
    rows.append(pager_row(SEARCH, offset, page.total, SEARCH_PAGE, remember(context, query)))
    await show(update, context, search_page_html(query, page, offset), keyboard(rows))


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = command_argument(update.effective_message)[:MAX_QUERY]
    if not query:
        await show(update, context, "Search for what? Send <code>/search words</code>.")
        return
    await _results(update, context, query, 0)


async def search_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    callback = update.callback_query
    assert callback is not None and callback.data is not None
    key = callback.data.split(":", 2)[2]
    query = services(context).callback_keys.get(key)
    if query is None:  # the bot restarted since: the query text is gone
        await callback.answer("This search has expired: send /search again.", show_alert=True)
        return
    await callback.answer()
    await _results(update, context, query, offset_arg(callback.data))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("search", search, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(search_pressed, pattern=rf"^{SEARCH}:\d+:\w+$"))
