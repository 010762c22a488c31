"""Rich sections -> rich messages, each within one rich message's limits.

Limits (../shared/telegram-rich-messages.md §4.1), counted on the safe side the file gives:
* text 32,768: code points of the whole HTML *source* (markup included), always >= the text
  Telegram counts, whatever its unit turns out to be (§8 q2, unsettled);
* 500 blocks: every block element at any depth, each list, list item, table and table row too;
* depth 16: nesting of elements of any kind (the renderer keeps to it, checked here again);
* 50 media: media elements (only the cover photo today).

Packing: whole sections in order while they fit; a section that does not fit the current
message starts the next one; a section too big for a message of its own is cut between its
top-level blocks, and a block too big alone is cut between its children (list items, table
rows, quote blocks, lines of code, words of text), each piece keeping its wrapper; the next
message then opens with the section's continued heading, `Title (continued)`, as in classic.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from wcwidth import iter_graphemes

from bot.digest.model import Digest
from bot.digest.rich import MAX_DEPTH, El, RichSection, render_rich
from bot.digest.split import continuation_parts

MAX_TEXT = 32768
MAX_BLOCKS = 500
MAX_MEDIA = 50

BLOCK_TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "footer",
        "hr",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "aside",
        "figure",
        "img",
        "video",
        "audio",
        "tg-document",
        "tg-map",
        "table",
        "tr",
        "details",
        "tg-collage",
        "tg-slideshow",
        "tg-button-row",
        "tg-math-block",
    }
)
MEDIA_TAGS = frozenset({"img", "video", "audio", "tg-document", "tg-map"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class Cost:
    text: int = 0
    blocks: int = 0
    depth: int = 0
    media: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.text + other.text,
            self.blocks + other.blocks,
            max(self.depth, other.depth),
            self.media + other.media,
        )

    def fits(self) -> bool:
        return (
            self.text <= MAX_TEXT
            and self.blocks <= MAX_BLOCKS
            and self.depth <= MAX_DEPTH
            and self.media <= MAX_MEDIA
        )


def cost(el: El, depth: int = 1) -> Cost:
    """What one top-level block costs a rich message."""
    return Cost(len(el.html()), 0, 0, 0) + _structure(el, depth)


def _structure(el: El, depth: int) -> Cost:
    total = Cost(0, int(el.tag in BLOCK_TAGS), depth, int(el.tag in MEDIA_TAGS))
    for child in el.children:
        if isinstance(child, El):
            total = total + _structure(child, depth + 1)
    return total


@dataclass(frozen=True)
class RichMessage:
    """One sendRichMessage: its HTML and the `##` titles it holds (None: the header)."""

    html: str
    sections: tuple[str | None, ...]
    cost: Cost


# ---------------------------------------------------------------- cutting a block too big


def _split_text(text: str, room: int) -> list[str]:
    """Cut a text run into pieces of at most `room` escaped characters: at line ends, else
    spaces, else between grapheme clusters (never inside an emoji sequence)."""
    pieces: list[str] = []
    while len(html.escape(text, quote=False)) > room:
        cut = _cut_point(text, room)
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


def _cut_point(text: str, room: int) -> int:
    ends: list[int] = []  # grapheme boundaries whose prefix fits
    used = at = 0
    for cluster in iter_graphemes(text):
        used += len(html.escape(cluster, quote=False))
        if used > room:
            break
        at += len(cluster)
        ends.append(at)
    if not ends:  # a cluster longer than a message (thousands of marks): code points
        return max(1, room // 5)
    hi = ends[-1]
    for sep in ("\n", " "):
        found = text.rfind(sep, 0, hi)
        if found >= hi // 2:
            return found + 1
    return hi


def _pieces(el: El, depth: int, outer: Cost = Cost()) -> list[El]:
    """`el` as one or more elements of the same kind, each fitting an empty message inside
    its ancestors' wrappers (`outer`: their tags' cost)."""
    if (outer + cost(el, depth)).fits():
        return [el]
    wrapper = outer + cost(el.copy_with([]), depth)
    parts: list[El | str] = []
    for child in el.children:
        if isinstance(child, El):
            parts.extend(_pieces(child, depth + 1, wrapper))
        else:
            parts.extend(_split_text(child, MAX_TEXT - wrapper.text))
    out: list[El] = []
    current: list[El | str] = []
    used = wrapper
    for part in parts:
        part_cost = (
            cost(part, depth + 1)
            if isinstance(part, El)
            else Cost(len(html.escape(part, quote=False)))
        )
        if current and not (used + part_cost).fits():
            out.append(_piece(el, current, out))
            current, used = [], wrapper
        current.append(part)
        used = used + part_cost
    if current:
        out.append(_piece(el, current, out))
    return out


def _piece(el: El, children: list[El | str], before: list[El]) -> El:
    piece = el.copy_with(children)
    if el.tag == "ol" and before:  # a continued numbered list goes on counting
        start = int(dict(el.attrs).get("start") or 1) + sum(
            sum(1 for c in b.children if isinstance(c, El) and c.tag == "li") for b in before
        )
        kept = tuple((k, v) for k, v in el.attrs if k != "start")
        piece.attrs = (*kept, ("start", str(start)))
    return piece


# ---------------------------------------------------------------- packing


def continued_heading(title: str) -> El:
    """The heading a section cut across two messages goes on under: `Title (continued)`, as in
    the classic layout (a reader opening the second message sees where it belongs)."""
    short, suffix = continuation_parts(title)
    return El("h2", (), [short + suffix if short else suffix.strip()])


class _Packer:
    def __init__(self) -> None:
        self.messages: list[RichMessage] = []
        self._blocks: list[str] = []
        self._sections: list[str | None] = []
        self._cost = Cost()
        # which add_section call is running, and which one the last block came from: titles
        # can repeat, so "the same section goes on" is told by call, not by title
        self._serial = self._tail = 0

    def _flush(self) -> None:
        if self._blocks:
            self.messages.append(
                RichMessage("".join(self._blocks), tuple(self._sections), self._cost)
            )
        self._blocks, self._sections, self._cost = [], [], Cost()

    def _make_room(self, needed: Cost, section: str | None) -> None:
        """Start the next message unless `needed` fits this one; a section cut there goes on
        under its continued heading (its pieces were cut with room for it)."""
        if not self._blocks or (self._cost + needed).fits():
            return
        continuing = self._tail == self._serial  # this section already has blocks out
        self._flush()
        if continuing and section:
            marker = continued_heading(section)
            self._append(marker.html(), cost(marker), section)

    def _append(self, html: str, block_cost: Cost, section: str | None) -> None:
        self._blocks.append(html)
        self._cost = self._cost + block_cost
        self._tail = self._serial
        if not self._sections or self._sections[-1] != section:
            self._sections.append(section)

    def _add(self, html: str, block_cost: Cost, section: str | None) -> None:
        self._make_room(block_cost, section)
        self._append(html, block_cost, section)

    def add_section(self, section: RichSection) -> None:
        self._serial += 1
        blocks = [(b.html(), cost(b)) for b in section.blocks]
        whole = sum((c for _, c in blocks), Cost())
        if not blocks:
            return
        if whole.fits():  # a section is cut only when it cannot fit a message alone
            self._make_room(whole, section.title)
            for html, block_cost in blocks:
                self._add(html, block_cost, section.title)
            return
        # Too big for one message: cut between blocks, a block too big alone between its
        # children; a heading always goes with the content after it, never ends a message.
        # Every piece leaves room for the continued heading a next message may open with.
        reserve = cost(continued_heading(section.title)) if section.title else Cost()
        carried: list[El] = []
        for block in section.blocks:
            if block.tag in _HEADINGS:
                carried.append(block)
                continue
            carry_cost = sum((cost(h) for h in carried), Cost())
            for index, piece in enumerate(_pieces(block, 1, carry_cost + reserve)):
                if index == 0 and carried:
                    self._make_room(carry_cost + cost(piece), section.title)
                    for heading in carried:
                        self._add(heading.html(), cost(heading), section.title)
                    carried = []
                self._add(piece.html(), cost(piece), section.title)
        for heading in carried:  # headings at the very end of a section: nothing to keep with
            self._add(heading.html(), cost(heading), section.title)

    def finish(self) -> list[RichMessage]:
        self._flush()
        return self.messages


def build_rich_messages(
    digest: Digest, sections: list[RichSection] | None = None
) -> list[RichMessage]:
    """All rich messages of one digest, in sending order (one, unless it is very long)."""
    packer = _Packer()
    for section in sections if sections is not None else render_rich(digest):
        packer.add_section(section)
    return packer.finish()


__all__ = ["Cost", "RichMessage", "build_rich_messages", "continued_heading", "cost"]
