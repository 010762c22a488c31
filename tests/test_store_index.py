"""Store: the digest index follows the content folder (sync_content) and answers queries."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

import bot.ingest as index_module
import bot.store.base as index_module_base
from bot.ingest import sync_content, watch
from bot.store import BadFile, Store


def write(
    root: Path,
    name: str,
    *,
    title: str,
    date: str,
    tags: list[str] | None = None,
    body: str = "## News\n\n### Item\n\nSome text.\n",
    summary: str | None = None,
) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {title}", f"date: {date}"]
    if tags is not None:
        lines.append("tags: [" + ", ".join(f'"{t}"' for t in tags) + "]")
    if summary:
        lines.append(f"summary: {summary}")
    lines.append("---")
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return path


def write_days(root: Path, month: str, count: int, body: Callable[[int], str]) -> None:
    """`count` digests from 2026-`month`-01 on, one a day, "Day n" with `body(n)`."""
    for n in range(count):
        day = f"2026-{month}-0{n + 1}"
        write(root, f"{day}.md", title=f"Day {n}", date=day, body=body(n))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "data" / "db.sqlite3")
    yield s
    await s.close()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    return root


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every call the index makes to the loader."""
    calls: list[Path] = []
    real = index_module.load_digest

    def counting(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
        calls.append(Path(path))
        return real(path, root)

    monkeypatch.setattr(index_module, "load_digest", counting)
    return calls


async def test_sync_add_change_delete_and_unchanged_not_reparsed(
    store: Store, content: Path, load_calls: list[Path]
) -> None:
    a = write(content, "2026-01-01-a.md", title="A", date="2026-01-01")
    write(content, "sub/2026-01-02-b.md", title="B", date="2026-01-02")
    report = await sync_content(store, content)
    assert (report.added, report.changed, report.removed, report.unchanged) == (2, 0, 0, 0)
    assert len(load_calls) == 2
    assert await store.digest_count() == 2

    load_calls.clear()
    report = await sync_content(store, content)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 2)
    assert load_calls == []  # same mtime and size: not parsed again

    # touched but same bytes: hashed, not parsed
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 5_000_000_000))
    report = await sync_content(store, content)
    assert report.unchanged == 2 and report.changed == 0 and load_calls == []
    report = await sync_content(store, content)  # and the new stamp was remembered
    assert report.unchanged == 2 and load_calls == []

    write(content, "2026-01-01-a.md", title="A edited", date="2026-01-01")
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 10_000_000_000))
    write(content, "2026-01-03-c.md", title="C", date="2026-01-03")
    (content / "sub" / "2026-01-02-b.md").unlink()
    report = await sync_content(store, content)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 0)
    assert sorted(p.name for p in load_calls) == ["2026-01-01-a.md", "2026-01-03-c.md"]
    titles = [r.title for r in (await store.page(0, 10)).items]
    assert titles == ["C", "A edited"]
    # the changed digest's items were replaced, not duplicated
    assert (await store.search("Some text", 0, 10)).total == 2


async def test_record_fields(store: Store, content: Path) -> None:
    write(
        content,
        "2026-01-25-x.md",
        title="Title X",
        date="2026-01-25 08:30",
        tags=["AI", "#Rust"],
        summary="Short summary",
        body="## One\n\n### a\n\nx\n\n## Two\n\ntext\n",
    )
    await sync_content(store, content)
    rec = await store.latest()
    assert rec is not None
    assert rec.path == "2026-01-25-x.md" and rec.title == "Title X"
    assert rec.date == dt.date(2026, 1, 25)
    assert rec.published_at == dt.datetime(2026, 1, 25, 8, 30)
    assert rec.tags == ("AI", "Rust") and rec.summary == "Short summary"
    assert rec.sections == ("One", "Two")
    assert len(rec.content_hash) == 64
    assert await store.get_digest(rec.id) == rec
    assert await store.get_digest("nope") is None


async def test_bad_file_logged_recorded_skipped_and_cleared(
    store: Store, content: Path, caplog: pytest.LogCaptureFixture, load_calls: list[Path]
) -> None:
    write(content, "2026-01-01-good.md", title="Good", date="2026-01-01")
    bad = content / "2026-01-02-bad.md"
    bad.write_text("---\ntitle: [unclosed\ndate: 2026-01-02\n---\nbody\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="digestbot.store"):
        report = await sync_content(store, content)
    assert report.added == 1
    assert [e.path for e in report.errors] == ["2026-01-02-bad.md"]
    assert "YAML" in report.errors[0].reason
    assert any(
        "2026-01-02-bad.md" in r.getMessage() and r.name == "digestbot.store"
        for r in caplog.records
    )
    assert await store.bad_files() == report.errors
    assert await store.digest_count() == 1

    load_calls.clear()
    report = await sync_content(store, content)  # untouched bad file: not parsed, not repeated
    assert load_calls == [] and report.errors == []
    assert len(await store.bad_files()) == 1

    write(content, "2026-01-02-bad.md", title="Fixed", date="2026-01-02")
    os.utime(bad, ns=(bad.stat().st_atime_ns, bad.stat().st_mtime_ns + 10**10))
    report = await sync_content(store, content)
    assert report.added == 1 and await store.bad_files() == []

    bad.write_text("", encoding="utf-8")  # a good file that breaks leaves the index
    report = await sync_content(store, content)
    assert [e.path for e in report.errors] == ["2026-01-02-bad.md"]
    assert [r.title for r in (await store.page(0, 5)).items] == ["Good"]
    bad.unlink()
    await sync_content(store, content)
    assert await store.bad_files() == []


async def test_loader_crash_is_a_bad_file(
    store: Store, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(content, "2026-01-01-a.md", title="A", date="2026-01-01")

    def boom(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
        raise RuntimeError("loader bug")

    monkeypatch.setattr(index_module, "load_digest", boom)
    report = await sync_content(store, content)
    assert report.errors == [BadFile("2026-01-01-a.md", "internal error: RuntimeError: loader bug")]


async def test_many_files_across_batches(
    store: Store, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "BATCH_SIZE", 7)
    for n in range(30):
        day = f"2026-02-{n % 28 + 1:02d}"
        write(content, f"{day}-{n}.md", title=f"D{n}", date=day)
    report = await sync_content(store, content)
    assert report.added == 30 and await store.digest_count() == 30


async def test_on_date_editions_nearest_dates_and_paging(store: Store, content: Path) -> None:
    write(content, "2026-03-01-evening.md", title="Evening", date="2026-03-01 18:00")
    write(content, "2026-03-01-morning.md", title="Morning", date="2026-03-01 08:00")
    write(content, "2026-03-05.md", title="Fifth", date="2026-03-05")
    write(content, "2026-02-20.md", title="Feb", date="2026-02-20")
    await sync_content(store, content)

    editions = await store.on_date(dt.date(2026, 3, 1))
    assert [e.title for e in editions] == ["Morning", "Evening"]
    assert await store.on_date(dt.date(2026, 3, 2)) == []
    assert await store.nearest_dates(dt.date(2026, 3, 3)) == [
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 1),
        dt.date(2026, 2, 20),
    ]  # tie: later day first
    assert await store.nearest_dates(dt.date(2026, 3, 4), limit=1) == [dt.date(2026, 3, 5)]

    first = await store.page(0, 2)
    second = await store.page(2, 2)
    assert first.total == second.total == 4
    assert [r.title for r in first.items] == ["Fifth", "Evening"]
    assert [r.title for r in second.items] == ["Morning", "Feb"]
    assert (await store.page(4, 2)).items == []
    assert (await store.latest()).title == "Fifth"  # type: ignore[union-attr]


async def test_tags_merge_case_insensitively(store: Store, content: Path) -> None:
    write(content, "2026-01-01.md", title="One", date="2026-01-01", tags=["AI", "Rust"])
    write(content, "2026-01-02.md", title="Two", date="2026-01-02", tags=["ai", "Python"])
    write(content, "2026-01-03.md", title="Three", date="2026-01-03", tags=["Ai", "#AI日报"])
    write(content, "2026-01-04.md", title="Four", date="2026-01-04", tags=["rust", "AI"])
    await sync_content(store, content)
    counts = await store.tag_counts()
    assert counts[0] == ("AI", 4)  # "AI" is the most used spelling
    # case variants merged; a tie between spellings goes to the one sorting first
    assert counts == [("AI", 4), ("Rust", 2), ("AI日报", 1), ("Python", 1)]

    page = await store.by_tag("#ai", 0, 2)
    assert page.total == 4 and [r.title for r in page.items] == ["Four", "Three"]
    assert [r.title for r in (await store.by_tag("AI", 2, 5)).items] == ["Two", "One"]
    assert (await store.by_tag("ＲＵＳＴ", 0, 5)).total == 2  # full-width folds too
    assert (await store.by_tag("nothing", 0, 5)).total == 0

    assert (await store.similar_tags("rst"))[0].casefold() == "rust"
    assert "Python" in await store.similar_tags("pyton")
    assert "AI日报" in await store.similar_tags("日报")
    assert await store.similar_tags("zzzzzz") == []


async def test_store_reopen_keeps_index_and_warm_sync_parses_nothing(
    tmp_path: Path, content: Path, load_calls: list[Path]
) -> None:
    write(content, "2026-01-01.md", title="One", date="2026-01-01")
    db = tmp_path / "db.sqlite3"
    s = await Store.open(db)
    await sync_content(s, content)
    await s.close()
    load_calls.clear()
    s = await Store.open(db)
    report = await sync_content(s, content)
    assert report.unchanged == 1 and load_calls == []
    assert (await s.latest()).title == "One"  # type: ignore[union-attr]
    await s.close()


async def test_missing_content_dir_keeps_index_empty_dir_clears_it(
    store: Store, content: Path
) -> None:
    write(content, "2026-01-01.md", title="One", date="2026-01-01")
    await sync_content(store, content)
    report = await sync_content(store, content / "nowhere")
    assert report.removed == 0 and len(report.errors) == 1
    assert await store.digest_count() == 1
    (content / "2026-01-01.md").unlink()
    report = await sync_content(store, content)
    assert report.removed == 1 and await store.digest_count() == 0


async def test_bulk_sync_in_worker_processes_builds_search_index(
    store: Store, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cold-start path: worker processes parse, the search index is rebuilt at the end."""
    monkeypatch.setattr(index_module, "PROCESS_POOL_MIN_FILES", 1)
    monkeypatch.setattr(index_module, "BULK_MIN_FILES", 1)
    monkeypatch.setattr(index_module, "BATCH_SIZE", 3)
    assert index_module._pool_workers(10) > 0 or (os.cpu_count() or 1) < 2
    write_days(content, "04", 8, lambda n: f"## S\n\n### Item {n}\n\nunique{n}word and 共同文本\n")
    (content / "2026-04-09-bad.md").write_text("no front matter, no title", encoding="utf-8")
    report = await sync_content(store, content)
    assert report.added == 8 and [e.path for e in report.errors] == ["2026-04-09-bad.md"]
    assert (await store.search("unique3word", 0, 5)).total == 1
    assert (await store.search("共同文本", 0, 20)).total == 8
    state = await store._one("SELECT bulk FROM fts_state")
    assert state is not None and state[0] == 0

    # after bulk mode the triggers keep the index current again
    (content / "2026-04-01.md").unlink()
    await sync_content(store, content)
    assert (await store.search("共同文本", 0, 20)).total == 7
    assert (await store.search("unique0word", 0, 5)).total == 0


async def _fts_matches_items(store: Store) -> None:
    """FTS5's own check of the external-content index against `items_doc` (raises if not)."""
    async with store.transaction() as db:
        await db.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")


async def test_cold_bulk_sync_indexes_per_batch_and_later_bulk_syncs_rebuild(
    store: Store, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold bulk sync adds each batch to the search index (no rebuild at the end); a bulk
    sync that replaces items rebuilds. Either way the index is exactly the items."""
    monkeypatch.setattr(index_module, "BULK_MIN_FILES", 1)
    monkeypatch.setattr(index_module, "BATCH_SIZE", 2)
    rebuilds: list[bool] = []
    end_bulk = Store.end_bulk

    async def spy(self: Store, rebuild: bool = True) -> None:
        rebuilds.append(rebuild)
        await end_bulk(self, rebuild)

    monkeypatch.setattr(Store, "end_bulk", spy)
    write_days(
        content,
        "05",
        5,
        lambda n: f"## S\n\n### Item {n}\n\nfirst{n}word 共同\n\n- **粗体{n}**：正文\n",
    )
    assert (await sync_content(store, content)).added == 5
    assert rebuilds == [False]
    await _fts_matches_items(store)
    assert (await store.search("first3word", 0, 5)).total == 1
    assert (await store.search("粗体4", 0, 5)).total == 1

    # every file changes: bulk again, now replacing items
    write_days(content, "05", 5, lambda n: f"## S\n\n### Item {n}\n\nsecond{n}word\n")
    assert (await sync_content(store, content)).changed == 5
    assert rebuilds == [False, True]
    await _fts_matches_items(store)
    assert (await store.search("first3word", 0, 5)).total == 0
    assert (await store.search("second3word", 0, 5)).total == 1


async def test_cold_bulk_sync_rebuilds_if_items_appeared_from_elsewhere(
    store: Store, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's items (its triggers paused by our bulk flag) are not lost."""
    monkeypatch.setattr(index_module, "BULK_MIN_FILES", 1)
    monkeypatch.setattr(index_module, "BATCH_SIZE", 2)
    write_batch = Store.write_batch

    async def meddle(self: Store, results, known, *, fts=False):  # type: ignore[no-untyped-def]
        out = await write_batch(self, results, known, fts=fts)
        if not self.fts_rows_added or await self.digest_count() > 2:
            return out
        async with self.transaction() as db:  # as if another process had synced one file
            await db.execute(_INSERT_OTHER)
            await db.execute(
                "INSERT INTO items (digest_id, position, section, title, text)"
                " VALUES ('other', 1, NULL, 'Other', 'slipped in elsewhere')"
            )
        return out

    monkeypatch.setattr(Store, "write_batch", meddle)
    write_days(content, "06", 4, lambda n: f"## S\n\n### Item {n}\n\nword{n}x\n")
    await sync_content(store, content)
    await _fts_matches_items(store)
    assert (await store.search("slipped", 0, 5)).total == 1
    assert (await store.search("word3x", 0, 5)).total == 1


_INSERT_OTHER = (
    "INSERT INTO digests (id, path, date, title, summary, content_hash, mtime_ns, size,"
    " sections, indexed_at) VALUES ('other', 'elsewhere.md', '2020-01-01', 'Other', '', '',"
    " 0, 0, '[]', '')"
)


async def test_interrupted_bulk_sync_is_repaired_on_open(tmp_path: Path, content: Path) -> None:
    write(
        content,
        "2026-01-01.md",
        title="One",
        date="2026-01-01",
        body="## S\n\n### Findable item\n\ntext\n",
    )
    db = tmp_path / "db.sqlite3"
    s = await Store.open(db)
    await s.begin_bulk()
    await sync_content(s, content)
    assert (await s.search("Findable", 0, 5)).total == 0  # not in the FTS index yet

    # a second Store (the bot's search connection, the CLI) must not break a running bulk sync
    other = await Store.open(db)
    assert (await other._one("SELECT bulk FROM fts_state"))[0] == os.getpid()  # type: ignore[index]
    await other.close()

    # the process dies in the middle of the cold sync: the flag names a process that is gone
    child = await asyncio.create_subprocess_exec("true")
    await child.wait()
    await s._db.execute("UPDATE fts_state SET bulk = ?", (child.pid,))
    await s._db.close()  # no clean close
    index_module_base._BULK_IN_PROGRESS.clear()

    s = await Store.open(db)
    assert (await s.search("Findable", 0, 5)).total == 1
    assert (await s._one("SELECT bulk FROM fts_state"))[0] == 0  # type: ignore[index]
    await s.close()


async def test_concurrent_syncs_and_watch(store: Store, content: Path) -> None:
    write(content, "2026-01-01.md", title="One", date="2026-01-01")
    first, second = await asyncio.gather(sync_content(store, content), sync_content(store, content))
    assert (first.added, second.added, second.unchanged) == (1, 0, 1)  # serialised

    reports: list = []
    added = asyncio.Event()

    async def on_report(report) -> None:  # type: ignore[no-untyped-def]
        reports.append(report)
        if report.added:
            added.set()

    task = asyncio.create_task(watch(store, content, 0.01, on_report))
    write(content, "2026-01-02.md", title="Two", date="2026-01-02")
    await asyncio.wait_for(added.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert any(r.added == 1 for r in reports)
    assert await store.digest_count() == 2
