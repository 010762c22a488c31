"""Store schema: versioned migrations upgrade an existing database in place, keeping data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import bot.store.base as base_module
from bot.ingest import sync_content
from bot.store import Store
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION, V1


def make_v1(db: Path, content: Path) -> None:
    """A database as the first release left it, with data in every table."""
    page = content / "2026-01-05-old.md"
    page.write_text(
        "---\ntitle: Old digest\ndate: 2026-01-05\ntags: [Rust]\n---\n"
        "## News\n\n### Ferris learns trigram search\n\nSome body.\n",
        encoding="utf-8",
    )
    with sqlite3.connect(db) as conn:
        conn.executescript(V1 + "\nPRAGMA user_version = 1;")
        conn.execute(
            "INSERT INTO digests VALUES ('20260105-aaaaaaaa', '2026-01-05-old.md', '2026-01-05',"
            " NULL, 'Old digest', NULL, NULL, 'abc', ?, ?, '[\"News\"]', '2026-01-05T00:00:00')",
            (page.stat().st_mtime_ns, page.stat().st_size),
        )
        conn.execute("INSERT INTO digest_tags VALUES ('20260105-aaaaaaaa', 'rust', 'Rust')")
        conn.execute(
            "INSERT INTO targets (chat_id, thread_id, source, active, title, created_at)"
            " VALUES (-100777, 0, 'config', 1, 'Old chat', '2026-01-01T00:00:00')"
        )
        conn.execute(
            "INSERT INTO deliveries VALUES ('20260105-aaaaaaaa', -100777, 0, 0, 42,"
            " '2026-01-05T08:00:00')"
        )
    conn.close()


async def test_fresh_database_is_current(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "deep" / "dir" / "db.sqlite3")  # dirs are created
    assert await store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    row = await store._one("PRAGMA journal_mode")
    assert row is not None and row[0] == "wal"
    row = await store._one("PRAGMA foreign_keys")
    assert row is not None and row[0] == 1
    await store.close()


async def test_v1_database_upgrades_in_place_and_keeps_data(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    db = tmp_path / "db.sqlite3"
    make_v1(db, content)

    store = await Store.open(db)
    assert await store.schema_version() == SCHEMA_VERSION
    # v1 data is still there
    record = await store.get_digest("20260105-aaaaaaaa")
    assert record is not None and record.title == "Old digest" and record.tags == ("Rust",)
    (target,) = await store.active_targets()
    assert (target.chat_id, target.title, target.deactivated_reason) == (-100777, "Old chat", None)
    assert await store.delivered_parts("20260105-aaaaaaaa", -100777, None) == {0: 42}

    # new features work on the upgraded database
    await store.deactivate_target(-100777, None, "kicked")
    assert (await store.get_target(-100777, None)).deactivated_reason == "kicked"  # type: ignore[union-attr]
    await store.record_failure("20260105-aaaaaaaa", -100777, None, 1, "boom")
    # v1 had no items: the upgrade made the next sync parse the old file again
    report = await sync_content(store, content)
    assert report.changed + report.added == 1
    hits = await store.search("trigram", 0, 5)
    assert [h.item_title for h in hits.items] == ["Ferris learns trigram search"]
    await store.close()

    store = await Store.open(db)  # reopening a current database changes nothing
    assert await store.schema_version() == SCHEMA_VERSION
    assert (await store.search("Ferris", 0, 5)).total == 1
    await store.close()


async def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "db.sqlite3"
    store = await Store.open(db)
    await store.upsert_target(-1, None, "config")
    await store.close()
    broken = "CREATE TABLE extra (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(base_module, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError):
        await Store.open(db)
    monkeypatch.undo()
    store = await Store.open(db)
    assert await store.schema_version() == SCHEMA_VERSION
    assert await store._one("SELECT name FROM sqlite_master WHERE name = 'extra'") is None
    assert len(await store.active_targets()) == 1
    await store.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        await Store.open(db)


async def test_v4_tag_keys_are_rewritten_and_search_ranks_after_upgrade(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """v7: tags stored under v4's keys ('ai 日报') answer the new ones ('ai日报'); two
    spellings of one tag in one digest become one row; the index is searchable at once."""
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:  # a database as v4 left it
        conn.executescript("\n".join(MIGRATIONS[:4]) + "\nPRAGMA user_version = 4;")
        conn.execute(
            "INSERT INTO digests VALUES ('20260105-aaaaaaaa', 'a.md', '2026-01-05', NULL, 'A',"
            " NULL, NULL, 'abc', 1, 1, '[\"News\"]', '2026-01-05T00:00:00')"
        )
        conn.executemany(
            "INSERT INTO digest_tags VALUES ('20260105-aaaaaaaa', ?, ?, ?)",
            [("ai 日报", "AI 日报", 0), ("ai-日报", "AI-日报", 1)],
        )
        conn.execute(
            "INSERT INTO items (digest_id, position, section, title, text, url) VALUES"
            " ('20260105-aaaaaaaa', 1, 'News', 'Ferris ranks', 'Ferris ranks\nBody',"
            " NULL)"
        )
    conn.close()
    with caplog.at_level("INFO", logger="digestbot.store"):
        store = await Store.open(db)
    try:
        assert [r.getMessage() for r in caplog.records if "schema" in r.getMessage()] == [
            f"database {db}: schema v4 -> v{SCHEMA_VERSION}"
        ]  # one line
        page = await store.by_tag("#AI日报", 0, 5)
        assert page.total == 1
        assert await store.tag_counts() == [("AI 日报", 1)]
        assert (await store.search("ferris", 0, 5)).total == 1
        assert await store.chat_language(-100) is None
        await store.set_chat_language(-100, "zh_Hans")
    finally:
        await store.close()
    store = await Store.open(db)  # the chat's language is stored, not only cached
    try:
        assert await store.chat_language("-100") == "zh_Hans"
    finally:
        await store.close()


async def test_v10_upgrade_turns_drafts_listed_as_bad_files_into_drafts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before v10 a `draft: true` file was a bad file; after the upgrade the next sync lists it
    as a draft (rows written before could not tell, so they are read again), the rest stays."""
    content = tmp_path / "content"
    content.mkdir()
    draft = content / "2026-01-06-draft.md"
    draft.write_text("---\ntitle: Later\ndate: 2026-01-06\ndraft: true\n---\n## A\n", "utf-8")
    broken = content / "2026-01-07-broken.md"
    broken.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    db = tmp_path / "db.sqlite3"
    monkeypatch.setattr(base_module, "MIGRATIONS", MIGRATIONS[:9])
    store = await Store.open(db)
    assert await store.schema_version() == 9
    await store.close()
    monkeypatch.undo()
    with sqlite3.connect(db) as conn:  # what a v9 sync wrote for the two files
        for path, reason in ((draft, "draft (draft: true in the front matter)"), (broken, "YAML")):
            st = path.stat()
            conn.execute(
                "INSERT INTO bad_files VALUES (?, ?, ?, ?, 'h', '2026-01-06T00:00:00')",
                (path.name, reason, st.st_mtime_ns, st.st_size),
            )
    conn.close()

    store = await Store.open(db)
    assert await store.schema_version() == SCHEMA_VERSION
    report = await sync_content(store, content)
    assert report.drafts == [draft.name] and [b.path for b in report.errors] == [broken.name]
    assert await store.drafts() == [draft.name]
    assert [b.path for b in await store.bad_files()] == [broken.name]
    # published at last: no longer a draft, and in the index
    draft.write_text("---\ntitle: Later\ndate: 2026-01-06\n---\n## A\n\ntext\n", "utf-8")
    report = await sync_content(store, content)
    assert report.added == 1 and report.drafts == [] and await store.drafts() == []
    await store.close()
