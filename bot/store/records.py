"""Records returned by the Store. Frozen: callers can share and cache them freely."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
TargetSource = Literal["config", "subscribe"]


@dataclass(frozen=True)
class DigestRecord:
    """One indexed digest (no body: the caller loads the file when it needs to render)."""

    id: str
    path: str  # relative to the content folder, POSIX separators
    date: dt.date
    title: str
    tags: tuple[str, ...]  # display forms
    summary: str | None
    content_hash: str  # sha256 hex of the file bytes
    sections: tuple[str, ...]  # plain titles of the `##` sections, in order
    published_at: dt.datetime | None = None
    category: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result: `items` plus the `total` number of matches."""

    items: list[T]
    total: int
    # True: `total` is a lower bound ("at least total matches"). Search stops counting at a cap,
    # since an exact count of a common word costs more than finding the page itself.
    capped: bool = False


@dataclass(frozen=True)
class SearchHit:
    """One matching item: plain text (the caller escapes it for HTML)."""

    digest: DigestRecord
    section: str | None
    item_title: str
    snippet: str
    url: str | None = None
    position: int = 0  # order of the item inside its digest (0 = the digest's title/summary)


@dataclass(frozen=True)
class BadFile:
    path: str  # relative to the content folder
    reason: str


@dataclass(frozen=True)
class SyncReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    # files that failed to load in THIS sync (a still-broken, untouched file is not re-parsed and
    # not repeated here; `Store.bad_files()` lists every currently broken file)
    errors: list[BadFile] = field(default_factory=list)
    seconds: float = 0.0
    # files marked `draft: true` found in THIS sync (not published, not errors: Store.drafts())
    drafts: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.errors or self.drafts)


@dataclass(frozen=True)
class Target:
    """A push destination. `thread_id` is the forum topic (None: the chat itself)."""

    chat_id: int | str
    thread_id: int | None
    source: TargetSource
    active: bool
    title: str | None = None
    deactivated_reason: str | None = None


@dataclass(frozen=True)
class PushSummary:
    """What /status shows per target: its latest digest push and how it went."""

    target: Target
    digest_id: str | None  # digest of the latest delivery or failure (None: never pushed)
    parts_delivered: int  # messages of that digest delivered to this target
    last_sent_at: dt.datetime | None  # time of the latest delivered message (any digest)
    failures: int  # failures recorded for that digest and target
    last_error: str | None  # latest failure of this target (any digest)
