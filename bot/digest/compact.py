"""The `compact` layout: the header, then whole `##` sections packed into as few messages as fit.

Built from the `sections` layout's own messages (split.build_messages), so both layouts share one
renderer and one cutting rule: a section that fits one message (4096 UTF-16 units, 100 entities
counting the ones Telegram detects by itself) is never cut and goes into the current message when
it fits beside what is there; a section that needs several messages is cut exactly as `sections`
cuts it, and the next sections may join its last part.
"""

from __future__ import annotations

from bot.digest.model import Digest, OutgoingMessage
from bot.digest.render import RenderedDigest, render_digest
from bot.digest.split import ENTITY_LIMIT, TEXT_LIMIT, build_messages
from bot.digest.tghtml import measure

SECTION_GAP = "\n\n"  # between two packed sections, as between blocks of one section


def fits(html: str) -> bool:
    """Whether `html` is one valid sendMessage: length and entities, the ones Telegram detects
    by itself included (tghtml.measure counts them, see bot/digest/autodetect.py)."""
    size = measure(html)
    return size.utf16 <= TEXT_LIMIT and size.entities <= ENTITY_LIMIT


def _header(digest: Digest, rendered: RenderedDigest) -> tuple[list[OutgoingMessage], int]:
    """The header messages (with the text before the first `##`) and the count of the bare
    header, which every per-section build repeats first."""
    with_preamble = build_messages(digest, RenderedDigest(rendered.preamble, []))
    bare = build_messages(digest, RenderedDigest([], []))
    return with_preamble, len(bare)


def build_compact_messages(
    digest: Digest, rendered: RenderedDigest | None = None
) -> list[OutgoingMessage]:
    """All messages of one digest in the compact layout, in sending order."""
    rendered = rendered if rendered is not None else render_digest(digest)
    out, skip = _header(digest, rendered)
    current: OutgoingMessage | None = None
    for section in rendered.sections:
        parts = build_messages(digest, RenderedDigest([], [section]))[skip:]
        if not parts:
            continue
        first = parts[0]
        if current is not None and len(parts) == 1:
            joined = current.html + SECTION_GAP + first.html
            if fits(joined):
                current = OutgoingMessage("sendMessage", joined, section=current.section)
                continue
        if current is not None:
            out.append(current)
        out.extend(parts[:-1])
        current = parts[-1]
    if current is not None:
        out.append(current)
    return out


__all__ = ["build_compact_messages", "fits"]
