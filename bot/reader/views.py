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
from bot.store import DigestRecord, Page, SearchHit
from bot.textcut import shorten

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
ARCHIVE_PAGE = 10  # issues per /archive and /tag page
SEARCH_PAGE = 5  # hits per /search page (each hit is several lines)
TAGS_PAGE = 30  # tags per /tags page


def html_text(value: object) -> str:
    """Text for an HTML text node (only &, <, > need escaping there)."""
    return escape(str(value), quote=False)


def message_link(chat_id: int, username: str | None, thread_id: int | None,
                 message_id: int) -> str | None:
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
    return f"<b>{record.date:%Y-%m-%d}</b> · {html_text(shorten(record.title, 120))}"


def card_html(record: DigestRecord, *, note: str | None = None,
              posted: Sequence[str | None] = ()) -> str:
    """The compact card a group gets: title, date, summary, sections (and where it was posted).

    `note` is already HTML; `posted` are message links (None: posted, but no link exists).
    """
    head = [note, ""] if note else []
    head.append(f"<b>{html_text(shorten(record.title, 200))}</b>")
    meta = f"{record.date:%Y-%m-%d}"
    if record.tags:
        meta += " · " + html_text(shorten(", ".join(record.tags), 150))
    head.append(meta)
    if record.summary:
        head += ["", html_text(shorten(record.summary, 700))]
    tail: list[str] = []
    if posted:
        links = [f'<a href="{escape(url)}">{n}</a>' if url else str(n)
                 for n, url in enumerate(posted[:20], 1)]
        tail = ["", "Already posted here: " + ", ".join(links)]
    sections = [f"• {html_text(shorten(s, 100))}" for s in record.sections]
    if sections:
        head += ["", f"<b>Sections ({len(sections)})</b>"]
    return fit_lines(head, sections, tail, "• … and {n} more")


def records_page_html(heading: str, page: Page[DigestRecord], offset: int) -> str:
    """A numbered page of issues, newest first (heading is already HTML)."""
    if not page.items:
        return f"{heading}\n\nNothing here."
    last = offset + len(page.items)
    head = [f"{heading} — {offset + 1}–{last} of {page.total}", ""]
    lines = [f"{offset + n}. {digest_line(r)}" for n, r in enumerate(page.items, 1)]
    return fit_lines(head, lines, [], "…")


def tags_page_html(tags: Sequence[tuple[str, int]], offset: int, total: int) -> str:
    if not tags:
        return "No tags yet."
    head = [f"<b>Tags</b> — {offset + 1}–{offset + len(tags)} of {total}", ""]
    lines = [f"{html_text(shorten(tag, 60))} — {count}" for tag, count in tags]
    tail = ["", "Tap a tag to list its issues, or send /tag &lt;name&gt;."]
    return fit_lines(head, lines, tail, "…")


def _without_prefix(snippet: str, title: str) -> str:
    """An item's text starts with its heading, which the hit already shows as its title."""
    text, title = " ".join(snippet.split()), " ".join(title.split())
    return text[len(title):].strip() if title and text.startswith(title) else text


def search_page_html(query: str, page: Page[SearchHit], offset: int) -> str:
    quoted = html_text(shorten(query, 100))
    if not page.items:
        return f"No items match “{quoted}”."
    total = f"{page.total}+" if page.capped else str(page.total)  # search counts up to a cap
    head = [f"<b>Search</b> “{quoted}” — {offset + 1}–{offset + len(page.items)} of {total}", ""]
    blocks = []
    for n, hit in enumerate(page.items, offset + 1):
        where = f" · <i>{html_text(shorten(hit.section, 60))}</i>" if hit.section else ""
        title = html_text(shorten(hit.item_title or hit.digest.title, 150))
        link = (f'<a href="{escape(hit.url)}">{title}</a>'
                if hit.url and hit.url.startswith(("http://", "https://")) else title)
        lines = [f"{n}. <b>{hit.digest.date:%Y-%m-%d}</b>{where}", link]
        snippet = _without_prefix(hit.snippet, hit.item_title or hit.digest.title)
        if snippet:
            lines.append(html_text(shorten(snippet, 300)))
        blocks.append("\n".join(lines) + "\n")
    return fit_lines(head, blocks, [], "…")
