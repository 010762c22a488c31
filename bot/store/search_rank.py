"""Search ranking buckets, a SQL function on every store connection (`digestbot_rank_bucket`)."""

from __future__ import annotations

import math

# scores within ~10% of each other are a tie, broken by recency: bm25 differs by small amounts
# between items of similar length, which should not outrank a newer digest. Relative, because
# bm25's scale depends on the corpus (tiny when a word is in half the items).
BUCKET_RATIO = 1.1


def rank_bucket(score: float | None) -> int:
    """bm25 score (negative, lower = better) -> a bucket number, lower = better."""
    if score is None or score >= 0:
        return 0
    return -math.floor(math.log(-score) / math.log(BUCKET_RATIO))
