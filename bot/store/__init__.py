"""digestbot's store: one SQLite file (aiosqlite) for the digest index, search, targets, journal."""

from bot.store.db import Store
from bot.store.records import (
    BadFile,
    DigestRecord,
    Page,
    PushSummary,
    SearchHit,
    SyncReport,
    Target,
)

__all__ = [
    "BadFile",
    "DigestRecord",
    "Page",
    "PushSummary",
    "SearchHit",
    "Store",
    "SyncReport",
    "Target",
]
