"""Files the scan cannot look at are named, never skipped silently: symlink loops, broken
symlinks, unreadable folders - in `digestbot check` and in /status (issue 7)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.digest.loader import scan_digest_files
from tests.delivery_helpers import write_digest
from tests.harness import running_bot

ADMIN = 42


def _tangled(content: Path) -> None:
    write_digest(content, dt.date(2026, 11, 25), sections=1)
    (content / "sub").mkdir()
    (content / "a.md").symlink_to("b.md")  # a -> b -> a
    (content / "b.md").symlink_to("a.md")
    (content / "sub" / "up").symlink_to("..")  # a folder that leads back to its parent
    (content / "gone.md").symlink_to("nowhere.md")


def test_scan_names_every_link_it_cannot_follow(tmp_path: Path) -> None:
    _tangled(tmp_path)
    (tmp_path / "fine.md").symlink_to("2026-11-25-test.md")  # a link to a file: a file
    files, problems = scan_digest_files(tmp_path)
    assert [f.name for f in files] == ["2026-11-25-test.md", "fine.md"]
    reasons = {Path(p.path).relative_to(tmp_path).as_posix(): p.reason for p in problems}
    assert reasons["a.md"].startswith("symlink loop") and reasons["b.md"].startswith("symlink")
    assert reasons["sub/up"].startswith("symlink loop")
    assert reasons["gone.md"] == "broken symlink (to nowhere.md)"
    assert set(reasons) == {"a.md", "b.md", "sub/up", "gone.md"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    write_digest(locked, dt.date(2026, 11, 25))
    locked.chmod(0)
    try:
        _, problems = scan_digest_files(tmp_path)
    finally:
        locked.chmod(0o755)
    assert [(p.path, p.reason.split(" (")[0]) for p in problems] == [
        (str(locked), "cannot read folder")
    ]


def test_check_lists_the_links_it_cannot_follow(tmp_path: Path, monkeypatch, capsys) -> None:
    _tangled(tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(tmp_path / "content")]) == 1
    out = capsys.readouterr().out
    for name in ("a.md", "b.md", "sub/up", "gone.md"):
        assert f"{tmp_path / 'content' / name}: " in out, name
    assert "symlink loop" in out and "broken symlink" in out


async def test_status_lists_them_and_resyncs_stay_quiet(fast_telegram, tmp_path):
    tg = fast_telegram
    tg.add_private_chat(ADMIN, "Admin")
    _tangled(tmp_path / "content")
    async with running_bot(tg, tmp_path, admins=[ADMIN]) as bot:
        (status,) = await bot.ask(ADMIN, ADMIN, "/status")
        text = status.parsed_text
        assert "Bad files: 4" in text
        # grouped by reason (bot/admin_views.bad_files_lines): "• symlink loop … — 1 file: a.md"
        assert re.search(r"• symlink loop[^\n]* — 2 files: a\.md, b\.md", text), text
        assert re.search(r"• symlink loop[^\n]* — 1 file: sub/up", text), text
        assert "• broken symlink (to nowhere.md) — 1 file: gone.md" in text
        # the next sync neither re-reports them nor drops them
        from bot.ingest import sync_content

        report = await sync_content(bot.services.store, bot.content_dir)
        assert report.errors == [] and not report.touched
        assert len(await bot.services.store.bad_files()) == 4
