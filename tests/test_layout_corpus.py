"""Every digest of the real corpus (../shared/corpus beside the checkout, skipped when absent)
renders in all three layouts: each rich message passes the fake server's validator with all the
text and links, each compact message is valid Telegram HTML carrying exactly what `sections`
carries, and `sections` itself is the classic path (tests/test_corpus_render.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.calls import LAYOUTS, build_calls
from bot.digest.loader import iter_digest_files, load_digest
from bot.digest.model import DigestError
from tests.layout_checks import check_compact, check_rich

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")


def _files() -> list[Path]:
    return iter_digest_files(CORPUS) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_renders_in_every_layout(path: Path) -> None:
    try:
        digest = load_digest(path, CORPUS)
    except DigestError:
        return  # refused files are tests/test_corpus_render.py's subject
    check_rich(digest)
    check_compact(digest)
    counts = {layout: len(build_calls(digest, layout)) for layout in LAYOUTS}
    assert counts["rich"] <= counts["compact"] <= counts["sections"]
