"""Full-text search over items: FTS5 trigram for words of 3+ characters, LIKE below that.

Hits are ranked by FTS5's bm25 over the item's title, body and section (weights below), the
newer digest first among equal scores. Only a query made solely of common 1-2 character words
(no index expression at all) falls back to newest first."""

from __future__ import annotations

import re

from bot.store.base import StoreBase
from bot.store.index import NEWEST_FIRST, RECORD_COLUMNS, record_from_row
from bot.store.records import Page, SearchHit
from bot.textcut import truncate

MAX_TERMS = 8  # bounds the cost of one query; more words add little
MAX_QUERY_CHARS = 256
SNIPPET_CHARS = 120
TRIGRAM = 3  # the trigram tokenizer cannot match anything shorter
COUNT_CAP = 1000  # search totals are exact up to here, then shown as "1000+"
MAX_EXPANSION = 200  # trigrams a 1-2 character word may stand for in an FTS query (see below)
# bm25 column weights (title, body, section): a word in an item's title says most about it; one
# only in the section heading ("## Rust") says little about the item itself
BM25 = "bm25(items_fts, 5.0, 1.0, 0.2)"
# scores within ~10% of each other tie (bot/store/search_rank.py), broken by recency
RANKED = f"digestbot_rank_bucket({BM25})"


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
    # the window ends on a grapheme edge (no half emoji sequence); "…" marks cut-off ends
    piece = truncate(flat[start:], width, ellipsis="")
    return ("…" if start > 0 else "") + piece + ("…" if start + len(piece) < len(flat) else "")


class SearchMixin(StoreBase):
    async def search(self, query: str, offset: int = 0, limit: int = 10) -> Page[SearchHit]:
        """Items whose title, text or section contain every word of `query`, most relevant
        first (bm25; newer digests first among equals). Case-insensitive; never raises.

        `total` is exact up to COUNT_CAP matches (or offset + limit, when paging deeper);
        beyond that the page says `capped` and `total` is a lower bound."""
        terms = split_terms(query)
        if not terms:
            return Page([], 0)
        offset, limit = max(offset, 0), max(limit, 0)
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        like_sql = [
            "(i.title || char(10) || i.text || char(10) || ifnull(i.section, ''))"
            " LIKE ? ESCAPE '\\'"
            for t in terms
            if len(t) < TRIGRAM
        ]
        like_params: list[object] = [like_pattern(t) for t in terms if len(t) < TRIGRAM]
        groups = [fts_phrase(t) for t in long_terms]
        for term in terms:
            if len(term) < TRIGRAM:
                expansion = await self._short_term_trigrams(term)
                if expansion == []:
                    return Page([], 0)  # no trigram starts with it: no item contains it
                if expansion:
                    groups.append("(" + " OR ".join(fts_phrase(t) for t in expansion) + ")")
        match = " AND ".join(groups)
        # count at most this many matches: enough for the pager to offer a next page
        count_limit = max(COUNT_CAP, offset + limit + 1)

        fts_matches = None
        if groups:
            # cheap: FTS5 stops after count_limit + 1 rowids
            row = await self._one(
                "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
                (match, count_limit + 1),
            )
            fts_matches = int(row[0]) if row else 0
            if fts_matches == 0:
                return Page([], 0)

        if groups:
            # Ranked: every FTS match gets a bm25 score (FTS5 computes it from its own index,
            # no text is read); LIKE stays the exact test for 1-2 character words.
            source = (
                "items_fts JOIN items i ON i.id = items_fts.rowid"
                " JOIN digests d ON d.id = i.digest_id"
            )
            where = " AND ".join(["items_fts MATCH ?", *like_sql])
            params: list[object] = [match, *like_params]
            order = f"score, {NEWEST_FIRST}, i.position"
            score = f"{RANKED} AS score"
        else:
            # Only common 1-2 character words (too many trigrams to expand): walk the items
            # newest first (digests_by_date, then items_by_digest) and stop at offset + limit,
            # instead of collecting and sorting every match. CROSS JOIN pins that loop order.
            source = "digests d CROSS JOIN items i ON i.digest_id = d.id"
            where = " AND ".join(like_sql)
            params = list(like_params)
            order = f"{NEWEST_FIRST}, i.position"
            score = "0 AS score"
        # pick the page's item ids first: the record columns (tags subquery, texts) are then
        # built for `limit` rows only
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS}, i.section, i.title, i.text, i.url, i.position FROM"
            f" (SELECT i.id AS item_id, {score} FROM {source} WHERE {where}"
            f"  ORDER BY {order} LIMIT ? OFFSET ?) AS hit"
            f" JOIN items i ON i.id = hit.item_id JOIN digests d ON d.id = i.digest_id"
            f" ORDER BY hit.score, {NEWEST_FIRST}, i.position",
            [*params, limit, offset],
        )
        total, capped = await self._search_total(
            source,
            where,
            params,
            len(rows),
            offset,
            limit,
            count_limit,
            fts_only_dense=fts_matches is not None and fts_matches > count_limit and not like_sql,
        )
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
        return Page(hits, total, capped)

    async def _short_term_trigrams(self, term: str) -> list[str] | None:
        """The indexed trigrams beginning with a 1-2 character `term`, or None: use LIKE alone.

        Every item containing `term` holds one of them (items_doc ends each part with a
        newline), so an OR of them narrows the items down through the index; the LIKE stays as
        the exact test. Only for terms whose case folding is plain (ASCII, or caseless like
        Chinese), so the index's folding and ours agree. A common character has many trigrams:
        then None, and the newest-first walk with LIKE finds a page quickly anyway."""
        if not all(ch.isascii() or ch.lower() == ch == ch.upper() for ch in term):
            return None
        folded = term.lower()
        rows = await self._all(
            "SELECT term FROM items_vocab WHERE term >= ? AND term < ? LIMIT ?",
            (folded, folded + "\U0010ffff", MAX_EXPANSION + 1),
        )
        if len(rows) > MAX_EXPANSION:
            return None
        return [r[0] for r in rows]

    async def _search_total(
        self,
        source: str,
        where: str,
        params: list[object],
        found: int,
        offset: int,
        limit: int,
        count_limit: int,
        *,
        fts_only_dense: bool,
    ) -> tuple[int, bool]:
        """(total, capped) for a search page, counting as little as possible."""
        if limit and (0 < found < limit or (found == 0 and offset == 0)):
            return offset + found, False  # the page ran out: everything is known
        if fts_only_dense:
            return count_limit, True  # the FTS count already passed the cap
        row = await self._one(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT ?)",
            [*params, count_limit + 1],
        )
        counted = int(row[0]) if row else 0
        if counted > count_limit:
            return count_limit, True
        return counted, False
