"""Size limits for a digest (MAX_DIGEST_BYTES, MAX_DIGEST_MESSAGES): a file above them is refused
with its name and the limit, instead of rendering to thousands of messages.

The loader checks the byte size before reading and the part count it can see cheaply (one
message per `##` section, plus the header); a file over EXACT_COUNT_BYTES is also rendered
right away to count its parts exactly. Smaller files are counted when they are rendered (push,
reader, `check`): rendering every file while indexing would double the cold index time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.digest.model import Digest, DigestError, OutgoingMessage

MAX_DIGEST_BYTES = 2 * 1024 * 1024
MAX_DIGEST_MESSAGES = 60
# above this the loader renders to count parts: such a file takes ~5 ms per 32 KB to render
EXACT_COUNT_BYTES = 64 * 1024


@dataclass(frozen=True)
class SizeLimits:
    max_bytes: int = MAX_DIGEST_BYTES
    max_messages: int = MAX_DIGEST_MESSAGES


_current = SizeLimits()


def set_limits(limits: SizeLimits) -> None:
    """The process-wide limits (from Settings, at start); parse workers get them passed."""
    global _current
    _current = limits


def current_limits() -> SizeLimits:
    return _current


class DigestTooLarge(DigestError):
    """Over MAX_DIGEST_BYTES or MAX_DIGEST_MESSAGES."""


def check_bytes(path: Path, size: int, limits: SizeLimits | None = None) -> None:
    limit = (limits or _current).max_bytes
    if size > limit:
        raise DigestTooLarge(
            path, f"file is {size:,} bytes, over the limit MAX_DIGEST_BYTES ({limit:,} bytes)"
        )


def check_messages(path: Path | str, count: int, limits: SizeLimits | None = None) -> None:
    limit = (limits or _current).max_messages
    if count > limit:
        raise DigestTooLarge(
            path, f"renders to {count} messages, over the limit MAX_DIGEST_MESSAGES ({limit})"
        )


def limited_messages(digest: Digest, limits: SizeLimits | None = None) -> list[OutgoingMessage]:
    """build_messages(digest), refused (DigestError) above MAX_DIGEST_MESSAGES."""
    from bot.digest.split import build_messages  # split imports the loader's neighbours

    messages = build_messages(digest)
    check_messages(digest.path, len(messages), limits)
    return messages
