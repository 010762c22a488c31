"""Load + render + split every digest of a folder; print files/s, messages and the slowest file.

Usage: .venv/bin/python benchmarks/render.py [FOLDER]   (default: ../shared/corpus)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.digest.loader import iter_digest_files, load_digest
from bot.digest.model import DigestError
from bot.digest.split import build_messages

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not root.is_dir():
        print(f"no such folder: {root}", file=sys.stderr)
        return 2
    files = iter_digest_files(root)
    messages = refused = continued = 0
    slowest = (0.0, Path())
    start = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        try:
            digest = load_digest(path, root)
        except DigestError:
            refused += 1
            continue
        out = build_messages(digest)
        elapsed = time.perf_counter() - t0
        messages += len(out)
        sections = [m.section for m in out if m.section is not None]
        continued += len(sections) != len(set(sections))
        slowest = max(slowest, (elapsed, path))
    total = time.perf_counter() - start
    print(f"folder:            {root}")
    print(f"files:             {len(files)} ({refused} refused by the loader)")
    print(f"total time:        {total:.3f} s")
    print(f"files/s:           {len(files) / total:.1f}")
    print(f"messages:          {messages}")
    print(f"digests with continued sections: {continued}")
    print(f"slowest file:      {slowest[1]} ({slowest[0] * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
