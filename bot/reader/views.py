"""Reader views: the HTML of cards and paged lists (archive, tags, search results).

Pure functions of store records, no Telegram objects (handlers add keyboards), so property tests
can throw arbitrary titles at them. Every line closes its own tags, so fit_lines may drop whole
lines to stay within one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram.constants import MessageLimit

from bot.digest.tghtml import utf16_len
from bot.highlight import highlight_html
from bot.i18n import _, format_date
from bot.reader_text import posted_line, summary_lines
from bot.store import DigestRecord, Page, SearchHit
from bot.store.search import split_terms
from bot.textcut import shorten

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
ARCHIVE_PAGE = 10  # issues per /archive and /tag page
SEARCH_PAGE = 5  # hits per /search page (each hit is several lines)
TAGS_PAGE = 30  # tags per /tags page


def html_text(value: object) -> str:
    """Text for an HTML text node (only &, <, > need escaping there)."""
    return escape(str(value), quote=False)


def message_link(
    chat_id: int, username: str | None, thread_id: int | None, message_id: int
) -> str | None:
    """t.me link to a message in a group or channel, or None where Telegram has none."""
    if username:
        base = f"https://t.me/{username}"
    elif str(chat_id).startswith("-100"):
        base = f"https://t.me/c/{str(chat_id)[4:]}"  # supergroup/channel internal id
    else:
        return None  # basic groups and private chats have no message links
    return f"{base}/{thread_id}/{message_id}" if thread_id else f"{base}/{message_id}"


def fit_lines(head: list[str], lines: Sequence[str], tail: list[str], more: str) -> str:
    """Join head + as many `lines` as fit in one message + tail (with `more` when some are left).

    `more` may contain `{n}` for the number of lines left out. Sizes are those of the HTML
    source, never less than the visible text Telegram counts, so the result always fits; and it
    is cut only between lines, never inside a tag or an escape.
    """
    fixed = utf16_len("\n".join(head + tail)) + 2 + utf16_len(more) + 8
    kept: list[str] = []
    used = fixed
    for line in lines:
        size = utf16_len(line) + 1
        if used + size > TEXT_LIMIT:
            break
        kept.append(line)
        used += size
    extra = [more.format(n=len(lines) - len(kept))] if len(kept) < len(lines) else []
    return "\n".join(part for part in [*head, *kept, *extra, *tail] if part is not None)


def digest_line(record: DigestRecord) -> str:
    return f"<b>{format_date(record.date)}</b> · {html_text(shorten(record.title, 120))}"


def page_range(first: int, last: int, total: str | int) -> str:
    """`1–10 of 42` / `第 1–10 条，共 42 条`."""
    return _("{first}–{last} of {total}").format(first=first, last=last, total=total)


def card_html(
    record: DigestRecord, *, note: str | None = None, posted: Sequence[tuple[str, str | None]] = ()
) -> str:
    """The compact card a group gets: title, date, summary, sections (and where it was posted).

    `note` is already HTML; `posted` are (part label, message link) of the parts this chat got
    (link None: posted, but the chat has no message links).
    """
    head = [note, ""] if note else []
    head.append(f"<b>{html_text(shorten(record.title, 200))}</b>")
    meta = format_date(record.date)
    if record.tags:
        meta += " · " + html_text(shorten(", ".join(record.tags), 150))
    head.append(meta)
    if record.summary:
        head += ["", *summary_lines(record.summary)]
    tail: list[str] = []
    if posted:
        tail = ["", posted_line(posted)]
    sections = [f"• {html_text(shorten(s, 100))}" for s in record.sections]
    if sections:
        head += ["", _("<b>Sections ({n})</b>").format(n=len(sections))]
    return fit_lines(head, sections, tail, _("• … and {n} more"))


def records_page_html(heading: str, page: Page[DigestRecord], offset: int) -> str:
    """A numbered page of issues, newest first (heading is already HTML)."""
    if not page.items:
        return f"{heading}\n\n" + _("Nothing here.")
    last = offset + len(page.items)
    head = [f"{heading} — {page_range(offset + 1, last, page.total)}", ""]
    lines = [f"{offset + n}. {digest_line(r)}" for n, r in enumerate(page.items, 1)]
    return fit_lines(head, lines, [], "…")


def tags_page_html(tags: Sequence[tuple[str, int]], offset: int, total: int) -> str:
    if not tags:
        return _("No tags yet.")
    head = [_("<b>Tags</b>") + " — " + page_range(offset + 1, offset + len(tags), total), ""]
    lines = [f"{html_text(shorten(tag, 60))} — {count}" for tag, count in tags]
    tail = ["", _("Tap a tag to list its issues, or send /tag &lt;name&gt;.")]
    return fit_lines(head, lines, tail, "…")


def _without_prefix(snippet: str, title: str) -> str:
    """An item's text starts with its heading, which the hit already shows as its title."""
    text, title = " ".join(snippet.split()), " ".join(title.split())
    return text[len(title) :].strip() if title and text.startswith(title) else text


def search_page_html(query: str, page: Page[SearchHit], offset: int) -> str:
    """Hits most relevant first: the item's title linking to the item, where it appeared
    (digest, date, section), and a snippet with the matched words in bold."""
    quoted = html_text(shorten(query, 100))
    if not page.items:
        return _("No items match “{query}”.").format(query=quoted)
    total = f"{page.total}+" if page.capped else str(page.total)  # search counts up to a cap
    head = [
        _("<b>Search</b> “{query}”").format(query=quoted)
        + " — "
        + page_range(offset + 1, offset + len(page.items), total),
        "",
    ]
    terms = split_terms(query)
    blocks = []
    for n, hit in enumerate(page.items, offset + 1):
        title = html_text(shorten(hit.item_title or hit.digest.title, 150))
        link = (
            f'<a href="{escape(hit.url)}">{title}</a>'
            if hit.url and hit.url.startswith(("http://", "https://"))
            else f"<b>{title}</b>"
        )
        where = [html_text(shorten(hit.digest.title, 60)), format_date(hit.digest.date)]
        if hit.section:
            where.append(html_text(shorten(hit.section, 60)))
        lines = [f"{n}. {link}", "<i>" + " · ".join(where) + "</i>"]
        snippet = _without_prefix(hit.snippet, hit.item_title or hit.digest.title)
        if snippet:
            lines.append(highlight_html(shorten(snippet, 300), terms))
        blocks.append("\n".join(lines) + "\n")
    return fit_lines(head, blocks, [], "…")
