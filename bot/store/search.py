"""Full-text search over items: FTS5 trigram for words of 3+ characters, LIKE below that."""

from __future__ import annotations

import re

from bot.store.base import StoreBase
from bot.store.index import NEWEST_FIRST, RECORD_COLUMNS, record_from_row
from bot.store.records import Page, SearchHit

MAX_TERMS = 8  # bounds the cost of one query; more words add little
MAX_QUERY_CHARS = 256
SNIPPET_CHARS = 120
TRIGRAM = 3  # the trigram tokenizer cannot match anything shorter


def split_terms(query: str) -> list[str]:
    """Words of a query; characters SQLite cannot take (NUL, lone surrogates) dropped."""
    clean = "".join(
        ch for ch in query[:MAX_QUERY_CHARS] if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF
    )
    terms: list[str] = []
    for term in clean.split():
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts_phrase(term: str) -> str:
    """One term as an FTS5 string: inside double quotes every character is literal text, so
    operators (OR, NEAR(, *, ^, :, parentheses) in the user's query are just searched for."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards escaped (ESCAPE '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A one-line window of `text` around the first match of any term."""
    flat = " ".join(text.split())
    first: int | None = None
    for term in terms:
        m = re.search(re.escape(term), flat, re.IGNORECASE)
        if m and (first is None or m.start() < first):
            first = m.start()
    if len(flat) <= width:
        return flat
    start = 0 if first is None else max(0, min(first - width // 4, len(flat) - width))
    piece = flat[start : start + width]
    # Python strs hold code points, so no surrogate pair can be cut; a cut emoji ZWJ sequence
    # would leave a dangling joiner/variation selector: drop those
    piece = piece.rstrip("\u200d\ufe0f")
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")


class SearchMixin(StoreBase):
    async def search(self, query: str, offset: int = 0, limit: int = 10) -> Page[SearchHit]:
        """Items whose title, text or section contain every word of `query`, newest digest
        first (items in document order). Case-insensitive; never raises on odd input."""
        terms = split_terms(query)
        if not terms:
            return Page([], 0)
        where: list[str] = []
        params: list[object] = []
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        if long_terms:
            where.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(" ".join(fts_phrase(t) for t in long_terms))  # space = AND in FTS5
        for term in terms:
            if len(term) < TRIGRAM:
                where.append(
                    "(i.title || char(10) || i.text || char(10) || ifnull(i.section, ''))"
                    " LIKE ? ESCAPE '\\'"
                )
                params.append(like_pattern(term))
        condition = " AND ".join(where)
        # pick the page's item ids first: the record columns (tags subquery, texts) are then
        # built for `limit` rows only, not for every match that has to be sorted
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS}, i.section, i.title, i.text, i.url, i.position FROM"
            f" (SELECT i.id AS item_id FROM items i JOIN digests d ON d.id = i.digest_id"
            f"  WHERE {condition} ORDER BY {NEWEST_FIRST}, i.position LIMIT ? OFFSET ?) AS hit"
            f" JOIN items i ON i.id = hit.item_id JOIN digests d ON d.id = i.digest_id"
            f" ORDER BY {NEWEST_FIRST}, i.position",
            [*params, limit, max(offset, 0)],
        )
        total = await self._one(f"SELECT count(*) FROM items i WHERE {condition}", params)
        hits = [
            SearchHit(
                digest=record_from_row(row[:10]),
                section=row[10],
                item_title=row[11],
                snippet=make_snippet(row[12] or row[11], terms),
                url=row[13],
                position=row[14],
            )
            for row in rows
        ]
        return Page(hits, int(total[0]) if total else 0)
