"""Load + render + split every digest of a folder; print files/s, messages and the slowest file.

Usage: .venv/bin/python benchmarks/render.py [FOLDER] [--baseline CHECKOUT] [--rounds N]
  (default FOLDER: ../shared/corpus)

--baseline runs the same measurement with the code of another checkout (e.g. a `git worktree`
of the previous commit) in alternating rounds within this run, and reports the ratio of the
median CPU times: on a busy machine a same-run comparison is the only fair one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DEFAULT = HERE.parent / "shared" / "corpus"


def measure(root: Path) -> dict[str, object]:
    """One pass over the folder with the code importable from sys.path."""
    from bot.digest.loader import iter_digest_files, load_digest
    from bot.digest.model import DigestError
    from bot.digest.split import build_messages

    files = iter_digest_files(root)
    messages = refused = continued = 0
    slowest = (0.0, "")
    start, cpu_start = time.perf_counter(), time.process_time()
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
        slowest = max(slowest, (elapsed, str(path)))
    return {
        "files": len(files),
        "refused": refused,
        "messages": messages,
        "continued": continued,
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu_start,
        "slowest": slowest,
    }


def _run(checkout: Path, root: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, __file__, str(root), "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
    ).stdout
    return json.loads(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv[1:])
    root = args.folder
    if not root.is_dir():
        print(f"no such folder: {root}", file=sys.stderr)
        return 2
    if args.json:
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(HERE)).split(os.pathsep)[0])
        print(json.dumps(measure(root)))
        return 0
    if args.baseline is None:
        sys.path.insert(0, str(HERE))
        r = measure(root)
        print(f"folder:            {root}")
        print(f"files:             {r['files']} ({r['refused']} refused by the loader)")
        print(f"total time:        {r['wall']:.3f} s ({r['cpu']:.3f} s CPU)")
        print(f"files/s:           {r['files'] / r['wall']:.1f}")  # type: ignore[operator]
        print(f"messages:          {r['messages']}")
        print(f"digests with continued sections: {r['continued']}")
        slow_s, slow_path = r["slowest"]  # type: ignore[misc]
        print(f"slowest file:      {slow_path} ({slow_s * 1000:.1f} ms)")
        return 0
    base_cpu, this_cpu = [], []
    for _ in range(args.rounds):  # alternate, so load changes hit both sides alike
        base = _run(args.baseline.resolve(), root)
        this = _run(HERE, root)
        base_cpu.append(base["cpu"])
        this_cpu.append(this["cpu"])
    b, t = statistics.median(base_cpu), statistics.median(this_cpu)  # type: ignore[type-var]
    print(f"folder:            {root} ({this['files']} files)")
    print(
        f"baseline:          {args.baseline}  {base['messages']} messages, "
        f"median CPU {b:.3f} s ({[round(x, 3) for x in base_cpu]})"
    )  # type: ignore[arg-type]
    print(
        f"this checkout:     {HERE}  {this['messages']} messages, "
        f"median CPU {t:.3f} s ({[round(x, 3) for x in this_cpu]})"
    )  # type: ignore[arg-type]
    print(f"files/s (CPU):     baseline {this['files'] / b:.1f}, this {this['files'] / t:.1f}")
    print(f"ratio this/base:   {t / b:.3f} (above 1: slower)")
    # Interference only ever adds CPU time (cache misses, a neighbour's load): the fastest round
    # of each side is the least disturbed one, so the ratio of minima is a second, steadier view.
    pairs = sorted(x / y for x, y in zip(this_cpu, base_cpu, strict=True))
    print(
        f"ratio of minima:   {min(this_cpu) / min(base_cpu):.3f}; per round: "
        f"{[round(p, 3) for p in pairs]} (sorted)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
