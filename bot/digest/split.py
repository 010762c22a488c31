"""Rendered digest -> the list of Telegram messages to send, each within Telegram's limits.

Message 1 is the header (title, date, hashtags, summary), as a photo caption when there is a cover
image and it fits. Then one message per `##` section, continued in further messages when too big:
cut between blocks first, then at line ends, sentence ends, spaces, and only as a last resort
between two grapheme clusters; never inside a tag, an escape, a surrogate pair or an emoji
sequence. Tags open at a cut are closed and reopened in the next message.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram.constants import MessageLimit
from wcwidth import iter_graphemes

from bot.digest.autodetect import auto_entity_starts
from bot.digest.links import safe_href
from bot.digest.model import Digest, OutgoingMessage
from bot.digest.render import RenderedDigest, render_blocks, render_digest
from bot.digest.tags import hashtag
from bot.digest.tghtml import (
    NO_DETECTION_TAGS,
    Measure,
    Token,
    close_tags,
    measure,
    open_tags_after,
    reopen_tags,
    tokenize,
    utf16_len,
)
from bot.textcut import truncate

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096 UTF-16 code units
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)  # 1024
ENTITY_LIMIT = int(MessageLimit.MESSAGE_ENTITIES)  # 100
MARKER_TITLE_MAX = 48  # continuation markers repeat the title: keep them short
PHOTO_TITLE_MAX = 200

_CJK_RE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_SENTENCE_END_WIDE = frozenset("。．！？；…")  # end a sentence with or without a following space
_SENTENCE_END_ASCII = frozenset(".!?;")  # only before whitespace: "e.g.", "3.14" are not ends
_BOLD_TAG_RE = re.compile(r"</?b>")
_PRE_TAGS = frozenset({"pre", "code"})

# Cut classes, best first.
_LINE, _SENTENCE, _SPACE, _GRAPHEME = range(4)


def _truncate(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units of `text`, cut between grapheme clusters, with '…'."""
    return truncate(text, limit, size=utf16_len)


def continuation_parts(title: str) -> tuple[str, str]:
    """The (shortened title, suffix) a continued section opens with, in every layout: the
    suffix follows the title's language, as the message's own text does."""
    short = _truncate(" ".join(title.split()), MARKER_TITLE_MAX)
    return short, "（续）" if _CJK_RE.search(short) else " (continued)"


def continuation_marker(title: str) -> str:
    """HTML line opening a continued message: the section title, bold, then '(continued)'."""
    short, suffix = continuation_parts(title)
    return (
        f"<b>{html.escape(short, quote=False)}</b>{suffix}\n\n"
        if short
        else f"{suffix.strip()}\n\n"
    )


# ---------------------------------------------------------------- cutting one block


@dataclass(frozen=True)
class _Atom:
    raw: str
    kind: str  # text / entity / open / close
    visible: str
    tok: Token | None = None  # the tag token, for open/close


def _atoms(fragment: str) -> list[_Atom]:
    """Tags and escapes whole, text as grapheme clusters: the only places a cut may fall."""
    out: list[_Atom] = []
    for tok in tokenize(fragment):
        if tok.kind in ("open", "close"):
            out.append(_Atom(tok.raw, tok.kind, "", tok))
        elif tok.kind == "entity":
            out.append(_Atom(tok.raw, "entity", tok.visible))
        else:
            for g in iter_graphemes(tok.raw):
                # A pathological cluster (thousands of combining marks) could outgrow a message;
                # only then fall back to code points, which never splits a surrogate in Python.
                parts = [g] if len(g) <= 32 else list(g)
                out.extend(_Atom(p, "text", p) for p in parts)
    return out


def _cut_class(prev: str, nxt: str) -> int:
    if prev == "\n":
        return _LINE
    if prev in _SENTENCE_END_WIDE or (prev in _SENTENCE_END_ASCII and (not nxt or nxt.isspace())):
        return _SENTENCE
    if prev.isspace():
        return _SPACE
    return _GRAPHEME


@dataclass(frozen=True)
class _Cut:
    index: int  # atoms[:index] go to the current message
    length: int
    cls: int


def _detected_starts(atoms: list[_Atom]) -> list[int]:
    """Per atom, how many entities Telegram detects by itself starting in it (see autodetect)."""
    masked: list[str] = []
    offsets: list[int] = []
    depth = pos = 0
    for atom in atoms:
        offsets.append(pos)
        if atom.kind == "open":
            depth += atom.tok is not None and atom.tok.name in NO_DETECTION_TAGS
        elif atom.kind == "close":
            depth -= atom.tok is not None and atom.tok.name in NO_DETECTION_TAGS and depth > 0
        else:
            masked.append("\n" * len(atom.visible) if depth else atom.visible)
            pos += len(atom.visible)
    counts = [0] * len(atoms)
    starts = auto_entity_starts("".join(masked))
    if starts:
        index = 0
        for start in starts:
            while index + 1 < len(atoms) and offsets[index + 1] <= start:
                index += 1
            # an atom with no visible text shares its offset with the next: count on the text
            while atoms[index].kind in ("open", "close") and index + 1 < len(atoms):
                index += 1
            counts[index] += 1
    return counts


def _label_line_ends(atoms: list[_Atom]) -> set[int]:
    """Atom indices just past the "\n" that ends a line holding only bold text (a label).

    A cut there would leave the label as the last line of a message, its content in the next.
    """
    ends: set[int] = set()
    state, depth = "start", 0  # start -> bold -> done (the line is one bold run) | other
    for i, atom in enumerate(atoms):
        if atom.kind == "text" and atom.visible == "\n":
            if state == "done":
                ends.add(i + 1)
            state = "start" if state != "bold" else "other"
        elif atom.kind == "open":
            if state == "bold":
                depth += 1
            else:
                state, depth = ("bold", 1) if state == "start" and _is_bold(atom) else ("other", 0)
        elif atom.kind == "close":
            if state == "bold":
                depth -= 1
                state = "done" if depth == 0 else state
            elif state != "other":
                state = "other"
        elif not atom.visible.isspace() and state in ("start", "done"):
            state = "other"
    return ends


def _is_bold(atom: _Atom) -> bool:
    return atom.tok is not None and atom.tok.name == "b"


def _cut(fragment: str, room: int, entity_room: int) -> tuple[str, str] | None:
    """Split `fragment` so the head fits `room` UTF-16 units / `entity_room` entities.

    Returns (head, tail) with tags closed at the end of head and reopened at the start of tail,
    or None if not even one grapheme fits.
    """
    atoms = _atoms(fragment)
    detected = _detected_starts(atoms)
    cuts: list[_Cut] = []
    length = entities = 0
    content = False  # head has non-whitespace text
    last_char = ""  # last visible character before the boundary
    for i, atom in enumerate(atoms):
        # Never right after an open tag or right before a close tag: that would leave an
        # empty entity on one side of the cut.
        if content and atoms[i - 1].kind != "open" and atom.kind != "close":
            cuts.append(_Cut(i, length, _cut_class(last_char, atom.visible[:1])))
        entities += detected[i]
        if atom.kind == "open":
            entities += 1
        if entities > entity_room:
            break
        if atom.kind in ("text", "entity"):
            length += utf16_len(atom.visible)
            if length > room:
                break
            content = content or not atom.visible.isspace()
            last_char = atom.visible[-1]
    else:
        return fragment, ""
    if not cuts:
        return None
    labels = _label_line_ends(atoms)
    if labels:  # a bold label line never ends a message: cut before it instead
        kept = [c for c in cuts if c.index not in labels and not _ends_in_label(c, labels, atoms)]
        cuts = kept or cuts
    chosen = cuts[-1]
    # Best class whose last cut still fills half the room; else the last possible cut.
    for cls in (_LINE, _SENTENCE, _SPACE):
        good = [c for c in cuts if c.cls <= cls]
        if good and good[-1].length >= room // 2:
            chosen = good[-1]
            break
    head_atoms, tail_atoms = atoms[: chosen.index], atoms[chosen.index :]
    stack = open_tags_after([a.tok for a in head_atoms if a.tok is not None])
    in_pre = any(t.name in _PRE_TAGS for t in stack)
    if not in_pre:  # whitespace at a cut carries nothing (but indents code lines in a <pre>)
        while tail_atoms and tail_atoms[0].kind == "text" and tail_atoms[0].visible.isspace():
            tail_atoms.pop(0)
    head = "".join(a.raw for a in head_atoms) + close_tags(stack)
    tail = "".join(a.raw for a in tail_atoms)
    return head, (reopen_tags(stack) + tail if tail.strip() else "")


def _ends_in_label(cut: _Cut, labels: set[int], atoms: list[_Atom]) -> bool:
    """True when only whitespace lies between a label line's end and the cut."""
    i = cut.index
    while i > 0 and atoms[i - 1].kind == "text" and atoms[i - 1].visible.isspace():
        if i in labels:
            return True
        i -= 1
    return i in labels


# ---------------------------------------------------------------- packing blocks into messages


class _Packer:
    """Fills messages with blocks, cutting a block only when it cannot fit a message of its own."""

    def __init__(self, limit: int = TEXT_LIMIT) -> None:
        self.limit = limit
        self.messages: list[tuple[str, str | None]] = []  # (html, section)
        self._parts: list[str] = []
        self._length = self._entities = 0
        self._content = False
        self._bare_ok = False  # a message holding only its prefix (a section title) is sent
        self._section: str | None = None
        self._marker = ""
        self._pending: list[str] = []  # heading blocks waiting for the block they introduce

    def start(self, prefix: str, section: str | None, marker_title: str) -> None:
        """Begin a new message (flushing any open one) that opens with `prefix`."""
        self.flush()
        self._section = section
        self._marker = continuation_marker(marker_title)
        m = measure(prefix)
        # Absurd title (very long, or dozens of links): an ordinary, cuttable block, else the
        # prefix alone could break the length or the 100-entity limit of its message.
        if m.utf16 > self.limit // 4 or m.entities > ENTITY_LIMIT // 4:
            self._begin("")
            self.add(prefix)
        else:
            self._begin(prefix)
            self._bare_ok = bool(prefix.strip())

    def take_pending(self) -> str:
        """Headings still waiting for a block (they end the preamble): the caller places them."""
        heads, self._pending = "".join(self._pending), []
        return heads

    def _begin(self, prefix: str) -> None:
        self._parts = [prefix] if prefix else []
        m = measure(prefix)
        self._length, self._entities = m.utf16, m.entities
        self._content = False

    def flush(self) -> None:
        if self._pending:  # headings that end a section: nothing to travel with
            heads, self._pending = "".join(self._pending), []
            self._place(heads)
        html = "".join(self._parts).rstrip()
        if html.strip() and (self._content or self._bare_ok):
            self.messages.append((html, self._section))
        self._parts, self._length, self._entities = [], 0, 0
        self._content = self._bare_ok = False

    def _continue(self) -> None:
        self.flush()
        self._begin(self._marker)

    def _fits(self, m: Measure) -> bool:
        return self._length + m.utf16 <= self.limit and self._entities + m.entities <= ENTITY_LIMIT

    def add(self, block: str) -> None:
        """Add a block; a heading waits for the block after it, so no message ends on one."""
        if is_heading_block(block):
            self._pending.append(block)
            return
        if not self._pending:
            self._place(block)
            return
        heads, self._pending = "".join(self._pending), []
        together = measure(heads + block)
        if self._fits(together):
            self._place(heads + block)
            return
        if self._content:  # headings move on with their block, to a fresh message
            self._continue()
        self._place(heads)
        self._place(block, fill=True)  # at least its start shares the headings' message

    def _place(self, block: str, fill: bool = False) -> None:
        """Append a block; cut it only when it cannot fit a message of its own (or `fill`)."""
        while block:
            m = measure(block)
            if self._fits(m):
                self._parts.append(block)
                self._length += m.utf16
                self._entities += m.entities
                self._content = self._content or bool(block.strip())
                return
            if self._content and not fill:  # the block may fit a fresh message: cut between
                self._continue()
                continue
            cut = _cut(block, self.limit - self._length, ENTITY_LIMIT - self._entities)
            if cut is None:
                if fill and self._content:  # no room left after the headings at all
                    fill = False
                    self._continue()
                    continue
                raise ValueError("a continuation marker leaves no room for text")
            fill = False
            head, block = cut
            self._parts.append(head)
            self._content = True
            if block:
                self._continue()
            else:
                m = measure(head)
                self._length += m.utf16
                self._entities += m.entities


def is_heading_block(block: str) -> bool:
    """A block that is one bold line: a `###` heading or a bold label (`**要点：**`)."""
    html = block.strip()
    return (
        html.startswith("<b>")
        and html.endswith("</b>")
        and "\n" not in html
        and html.count("<b>") == 1
    )


# ---------------------------------------------------------------- the digest


def header_blocks(digest: Digest) -> list[str]:
    """Title, date and hashtags, summary: the blocks of message 1."""
    tags = " ".join(t for t in (hashtag(tag) for tag in digest.tags) if t)
    meta = digest.date.isoformat() + (f"\n{tags}" if tags else "")
    blocks = [f"<b>{html.escape(digest.title, quote=False)}</b>\n", meta + "\n\n"]
    if digest.summary and digest.summary.strip():
        blocks.extend(render_blocks(digest.summary))  # markdown, like the body
    return blocks


def _photo_messages(digest: Digest, photo: str, header: list[str]) -> list[OutgoingMessage]:
    """The cover photo: with the whole header as caption if it fits, else with the bold title."""
    caption = "".join(header).rstrip()
    m = measure(caption)
    if m.utf16 <= CAPTION_LIMIT and m.entities <= ENTITY_LIMIT:
        return [OutgoingMessage("sendPhoto", caption, photo=photo)]
    short = f"<b>{html.escape(_truncate(digest.title.strip(), PHOTO_TITLE_MAX), quote=False)}</b>"
    return [OutgoingMessage("sendPhoto", short, photo=photo)]


def build_messages(digest: Digest, rendered: RenderedDigest | None = None) -> list[OutgoingMessage]:
    """All messages of one digest, in sending order."""
    rendered = rendered if rendered is not None else render_digest(digest)
    header = header_blocks(digest)
    out: list[OutgoingMessage] = []
    cover = (digest.cover_image or "").strip()
    web = cover.lower().startswith(("http://", "https://"))
    photo = cover if web and safe_href(cover) else None
    packer = _Packer()
    packer.start("", None, digest.title)
    if photo is not None:
        out.extend(_photo_messages(digest, photo, header))
        if out[0].html != "".join(header).rstrip():  # caption was shortened: send the header too
            for block in header:
                packer.add(block)
    else:
        for block in header:
            packer.add(block)
    for block in rendered.preamble:
        packer.add(block)
    # A heading ending the preamble introduces the sections: it opens the first one's message.
    carried = packer.take_pending() if rendered.sections else ""
    for section in rendered.sections:
        # The title is bold as a whole; inner <b> would nest the same entity twice.
        inner = _BOLD_TAG_RE.sub("", section.title_html)
        title = f"<b>{inner}</b>\n\n" if section.title_text else ""
        packer.start(carried + title, section.title_text, section.title_text or digest.title)
        carried = ""
        for block in section.blocks:
            packer.add(block)
    packer.flush()
    out.extend(OutgoingMessage("sendMessage", html, section=sec) for html, sec in packer.messages)
    return out


__all__ = ["build_messages", "continuation_marker", "continuation_parts", "header_blocks"]
