"""The digest catalogue: one order of editions (the store's SQL and the folder use agree), and
one rendering cache (a push renders each digest once)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog, edition_key, find
from bot.digest.loader import load_all
from bot.digest.split import build_messages
from bot.ingest import sync_content
from bot.store import Store

TIMES = st.none() | st.sampled_from(["08:00", "08:00:00+08:00", "18:30", "23:59:59+00:00"])


def _write(root: Path, name: str, day: str, at: str | None) -> None:
    stamp = f"{day} {at}" if at else day
    (root / name).write_text(
        f"---\ntitle: {name}\ndate: {stamp}\n---\n\n## S\n\n### I\n\nText.\n", encoding="utf-8"
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["2026-01-01", "2026-01-02"]), TIMES), min_size=1, max_size=6
    )
)
async def test_store_and_folder_agree_on_newest_and_edition_order(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, str | None]]
) -> None:
    root = tmp_path_factory.mktemp("content")
    for n, (day, at) in enumerate(files):
        _write(root, f"e{n}.md", day, at)
    digests, errors = load_all(root)
    assert not errors
    async with await Store.open(root.parent / f"{root.name}.sqlite3") as store:
        await sync_content(store, root)
        catalog = Catalog(store, root)
        newest = await catalog.newest()
        assert newest is not None
        assert newest.id == find(digests, "latest")[0].id
        for day in ("2026-01-01", "2026-01-02"):
            editions = [r.id for r in await catalog.find(day)]
            assert editions == [d.id for d in find(digests, day)]
            on_day = await catalog.newest_on(dt.date.fromisoformat(day))
            assert (on_day.id if on_day else None) == (editions[-1] if editions else None)


def test_edition_key_breaks_ties_by_id(tmp_path: Path) -> None:
    for name in ("b.md", "a.md"):
        _write(tmp_path, name, "2026-01-01", "08:00")
    digests, _ = load_all(tmp_path)
    assert [d.id for d in find(digests, "2026-01-01")] == sorted(d.id for d in digests)
    assert edition_key(find(digests, "latest")[0]) == max(edition_key(d) for d in digests)


async def test_messages_are_rendered_once_per_content_and_layout(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "2026-01-01", None)
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        await sync_content(store, tmp_path)
        catalog = Catalog(store, tmp_path)
        (record,) = await catalog.find("latest")
        digest = catalog.load(record)
        first = await catalog.messages_async(record)
        assert first == build_messages(digest)
        assert catalog.messages(record) is first and catalog.renders == 1
        assert catalog.messages(digest) == first and catalog.renders == 2  # keyed by content
        assert catalog.messages(catalog.load(record)) is catalog.messages(digest)
        assert catalog.renders == 2
        with pytest.raises(ValueError, match="unknown layout 'fancy'"):
            catalog.messages(record, layout="fancy")


async def test_a_push_renders_its_digest_once(tmp_path: Path) -> None:
    """The due check, the progress bar and the sends all ask the catalogue for the messages."""
    from bot.config import Settings
    from bot.delivery.push import DeliveryService

    _write(tmp_path, "a.md", "2026-01-01", None)
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        await sync_content(store, tmp_path)
        settings = Settings(token=None, content_dir=tmp_path)
        delivery = DeliveryService(settings=settings, store=store, bot=None)  # type: ignore[arg-type]
        (digest,) = await delivery.catalog.find_digests(None)
        parts = len(delivery.catalog.calls(digest))  # the push's own layout: DIGEST_LAYOUT
        report = await delivery.push(digest, [])  # no targets: nothing is sent
        assert report.parts == parts and delivery.catalog.renders == 1
