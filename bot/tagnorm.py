"""The comparison form of a tag, shared by the parser side (bot.digest) and the store (SQL).

Its own module so bot.store needs nothing from bot.digest.
"""

from __future__ import annotations

import re
import unicodedata

LEADING_HASHES = re.compile(r"^[\s#＃]+")


def normalize_tag(tag: str) -> str:
    """Comparison form of a tag: stripped, leading '#'s dropped, casefolded.

    `normalize_tag("#AI 日报 ") == normalize_tag("ai 日报")`. Idempotent.
    """
    # NFKC + casefold so full-width '＃'/letters and case variants compare equal; repeated until
    # stable because casefolding can un-normalise a few characters (keeps this idempotent).
    text = tag
    for _ in range(4):
        folded = LEADING_HASHES.sub("", unicodedata.normalize("NFKC", text.casefold())).rstrip()
        if folded == text:
            break
        text = folded
    return text
