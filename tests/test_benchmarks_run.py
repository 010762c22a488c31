"""The command-latency benchmark still runs against today's bot (it broke twice as the bot grew:
a removed attribute, then replies moving to the outbox). Figures are not checked here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_commands_benchmark_runs_and_prints_its_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/commands.py",
            "--count",
            "30",
            "--users",
            "2",
            "--rounds",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("digestbot:", "floor (bare PTB bot", "/today", "/search"):
        assert line in done.stdout, done.stdout
