"""Corrections end to end: a REAL PTB bot over REAL HTTP against the fake Bot API server.

A digest is pushed to a group, a channel and a forum topic; then its file changes (one item's
text fixed, an item added, a section removed, a section added at the end) and the corrector
makes every chat show the new text with exactly the expected calls: counted, nothing else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.corrections import NOTE_HTML, NOTE_TEXT, Corrector
from bot.delivery.push import DeliveryService
from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.ingest import sync_content
from bot.standin import FakeTelegram
from bot.standin.telegram_html import validate_message
from bot.store import Store
from tests.delivery_helpers import (
    ADMIN,
    CHANNEL,
    DAY,
    FORUM,
    GROUP,
    SPEED,
    TARGETS,
    make_bot,
    make_settings,
)
from tests.harness import digest_text, running_bot

BEFORE = {
    "Models": ["Model A ships", "Model B"],
    "Tools": ["Tool one"],
    "Papers": ["Paper X", "Paper Y"],
}
AFTER = {
    "Models": ["Model A shipped (fixed)", "Model B"],
    "Tools": ["Tool one", "Tool two"],
    "Events": ["Meetup"],
}  # Papers removed, Events added at the end
EDIT_METHODS = ("editMessageText", "editMessageCaption", "editMessageMedia")


class World:
    """Store, bot, delivery and corrector on one database, as the bot wires them."""

    def __init__(self, tg: FakeTelegram, tmp_path: Path, **settings: object) -> None:
        self.tg, self.root = tg, tmp_path / "content"
        chats = [f"{chat}:{thread}" if thread else str(chat) for chat, thread in TARGETS]
        self.settings = make_settings(tmp_path, chats, **settings)
        self.path = self.root / f"{DAY}.md"
        self.db = tmp_path / "db.sqlite"

    async def __aenter__(self) -> World:
        self.store = await Store.open(self.db)
        self.bot = make_bot(self.tg)
        await self.bot.initialize()
        self.delivery = DeliveryService(settings=self.settings, store=self.store, bot=self.bot)
        self.corrector = Corrector(
            settings=self.settings, store=self.store, delivery=self.delivery, bot=self.bot
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.delivery.close()
        await self.bot.shutdown()
        await self.store.close()

    def write(self, sections: dict[str, list[str]], **kw: object) -> None:
        self.path.write_text(
            digest_text(DAY, "Daily AI", sections, summary="Today.", **kw), encoding="utf-8"
        )

    def messages(self):
        return build_messages(load_digest(self.path, self.root))

    async def publish(self, sections: dict[str, list[str]] = BEFORE) -> None:
        """The digest file as `sections`, pushed to every target."""
        self.write(sections)
        await self.push()

    async def assert_nothing_to_do(self) -> None:
        """The next look at the content changes nothing and asks nothing of Telegram."""
        self.tg.reset_records()
        assert await self.corrector.reconcile() == []
        assert self.tg.requests == []

    async def push(self) -> None:
        await sync_content(self.store, self.root)
        [digest] = await self.delivery.catalog.find_digests(DAY.isoformat())
        report = await self.delivery.push(digest)
        assert report.ok, report.summary()

    async def change(self, sections: dict[str, list[str]], **kw: object) -> list:
        self.write(sections, **kw)
        await sync_content(self.store, self.root)
        self.tg.reset_records()
        return await self.corrector.reconcile()


def shown(tg: FakeTelegram, chat: int, message_id: int) -> str | None:
    """The text the reader sees in that message now, as the server keeps it (None: gone)."""
    message = tg.chat(chat).messages.get(message_id)
    if message is None:
        return None
    return message.get("text", message.get("caption"))


def visible(html: str) -> str:
    return validate_message(html).text


async def assert_shows(world: World, new) -> None:
    """Every target: the journal maps part n to a message showing exactly new part n."""
    for chat, thread in TARGETS:
        parts = await world.store.journal_rows(_digest_id(world), chat, thread)
        assert [r.part for r in parts] == list(range(len(new)))
        seen = [shown(world.tg, chat, r.message_id) for r in parts]
        assert seen == [visible(m.html) for m in new]


def _digest_id(world: World) -> str:
    return load_digest(world.path, world.root).id


async def test_a_fixed_digest_is_corrected_in_every_chat_with_exactly_the_needed_calls(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path) as world:
        world.write(BEFORE)
        old = world.messages()
        await world.push()
        first = {chat: tg.sent_to(chat, thread)[0].message_id for chat, thread in TARGETS}
        reports = await world.change(AFTER)
        new = world.messages()
        # the header and Models/Tools keep their place; Papers goes, Events comes
        assert [m.section for m in old] == [None, "Models", "Tools", "Papers"]
        assert [m.section for m in new] == [None, "Models", "Tools", "Events"]
        [report] = reports
        for chat, thread in TARGETS:
            edits = [e for e in tg.edits if e.chat_id == chat]
            # Models and Tools changed in place; Papers' message (same kind, same place) is
            # edited into Events: no delete and no send needed; the header is untouched
            assert [e.parsed_text.split("\n")[0] for e in edits] == ["Models", "Tools", "Events"]
            assert [e.message_id for e in edits] == [first[chat] + n for n in (1, 2, 3)]
            assert tg.sent_to(chat, thread) == [] and not tg.deleted
            assert all(e.method == "editMessageText" for e in edits)
        await assert_shows(world, new)
        assert report.total("edited") == 9 and report.chats == 3
        # the admins hear once, with the title and the counts
        admin = [m for m in tg.sent_to(ADMIN)]
        assert len(admin) == 1
        assert "Daily AI" in admin[0].parsed_text
        assert "9 parts edited, 0 added, 0 removed in 3 chats" in admin[0].parsed_text
        # nothing else was asked of Telegram
        methods = Counter(r.method for r in tg.requests)
        assert methods == Counter({"editMessageText": 9, "sendMessage": 1})
        # and a second look changes nothing
        await world.assert_nothing_to_do()


async def test_added_parts_are_silent_replies_and_removed_ones_are_deleted(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path) as world:
        await world.publish(BEFORE)
        first = {chat: tg.sent_to(chat, thread)[0].message_id for chat, thread in TARGETS}
        old_ids = {
            chat: [m.message_id for m in tg.sent_to(chat, thread)] for chat, thread in TARGETS
        }
        # one item fixed, a section removed in the middle, two sections added at the end
        after = {
            "Models": ["Model A shipped (fixed)", "Model B"],
            "Papers": ["Paper X", "Paper Y"],
            "Events": ["Meetup"],
            "Jobs": ["Hiring"],
        }
        [report] = await world.change(after)
        new = world.messages()
        for chat, thread in TARGETS:
            edits = [e for e in tg.edits if e.chat_id == chat]
            sends = tg.sent_to(chat, thread)
            # Models edited; Tools (old part 2) is deleted; Papers untouched; Events and
            # Jobs appended as silent replies to the push's first message, in the topic
            assert [e.parsed_text.split("\n")[0] for e in edits] == ["Models"]
            assert [(c, m) for c, m in tg.deleted if c == chat] == [(chat, old_ids[chat][2])]
            assert [s.parsed_text.split("\n")[0] for s in sends] == ["Events", "Jobs"]
            assert all(s.disable_notification for s in sends)
            assert all(s.reply_parameters["message_id"] == first[chat] for s in sends)
            assert all(s.message_thread_id == thread for s in sends)
        await assert_shows(world, new)
        assert (report.total("edited"), report.total("added"), report.total("removed")) == (3, 6, 3)
        methods = Counter(r.method for r in tg.requests)
        assert methods == Counter({"editMessageText": 3, "sendMessage": 6 + 1, "deleteMessage": 3})


async def test_parts_older_than_48_hours_become_a_removed_note(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path) as world:
        await world.publish(BEFORE)
        ids = [m.message_id for m in tg.sent_to(GROUP)]
        tg.advance_clock(49 * 3600)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
        world.corrector.now = lambda: later
        await world.change(
            {k: v for k, v in BEFORE.items() if k != "Tools"} | {"Papers": ["Paper X", "Paper Y"]}
        )
        # Tools' message is too old to delete: edited to a one-line note instead
        note = NOTE_HTML.format(note=NOTE_TEXT)
        notes = [e for e in tg.edits if e.chat_id == GROUP and e.html == note]
        assert [n.message_id for n in notes] == [ids[2]]
        assert not tg.deleted
        assert not [r for r in tg.requests if r.method == "deleteMessage"]


async def test_injected_not_modified_not_found_and_429_during_edits(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path) as world:
        await world.publish(BEFORE)
        ids = {chat: [m.message_id for m in tg.sent_to(chat, thread)] for chat, thread in TARGETS}
        tg.fail_next(GROUP, "not_modified")  # e.g. edited just before a crash
        tg.fail_next(FORUM, "429", retry_after=0.2)
        tg.delete_as_admin(CHANNEL, ids[CHANNEL][1])  # an admin removed the Models part
        [report] = await world.change(AFTER)
        new = world.messages()
        assert report.state == "done"
        assert tg.stats.sent_429 >= 1
        # the channel's deleted part stays deleted and is recorded as gone, nothing resent
        rows = await world.store.journal_rows(_digest_id(world), CHANNEL, None)
        assert [r.gone for r in rows] == [False, True, False, False]
        assert tg.sent_to(CHANNEL) == []
        # the rest shows the new text; the group's "not modified" part counts as done
        for chat, thread in TARGETS:
            rows = await world.store.journal_rows(_digest_id(world), chat, thread)
            for row, part in zip(rows, new, strict=True):
                if not row.gone and not (chat == GROUP and row.part == 1):
                    assert shown(tg, chat, row.message_id) == visible(part.html)
        assert report.total("gone") == 1
        # nothing left to do: the next look makes no call
        await world.assert_nothing_to_do()


async def test_a_change_after_the_window_or_with_corrections_off_sends_nothing(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path, correction_window_hours=72) as world:
        await world.publish(BEFORE)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=73)
        world.corrector.now = lambda: later
        [report] = await world.change(AFTER)
        assert report.state == "outside_window"
        assert [r.method for r in tg.requests] == []
        [record] = await world.store.last_corrections()
        assert (record.state, record.chats) == ("outside_window", 3)
        # logged once: the same version is not looked at again
        assert await world.corrector.reconcile() == []
    async with World(tg, tmp_path / "off", corrections="off") as world:
        await world.publish(BEFORE)
        [report] = await world.change(AFTER)
        assert report.state == "off"
        assert tg.requests == []


async def test_a_deleted_file_deletes_nothing_and_shows_in_status(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    tg = fake_telegram
    tg.add_private_chat(ADMIN, "Admin")
    tg.add_supergroup(GROUP, "Group")
    text = digest_text(DAY, "Daily AI", BEFORE, summary="Today.")
    env = {"DIGEST_CHATS": str(GROUP), "RESCAN_SECONDS": "1"}
    async with running_bot(
        tg, tmp_path, content_files={f"{DAY}.md": text}, admins=[ADMIN], env_overrides=env
    ) as bot:
        [digest] = await bot.services.delivery.catalog.find_digests(DAY.isoformat())
        assert (await bot.services.delivery.push(digest)).ok
        (bot.content_dir / f"{DAY}.md").unlink()
        # the bot's own content watch (RESCAN_SECONDS=1) notices and records it
        records = []
        for _ in range(200):
            records = await bot.services.store.last_corrections()
            if records:
                break
            await asyncio.sleep(0.1)
        assert [r.state for r in records] == ["file_deleted"]
        assert not tg.deleted and not tg.edits
        reply = await bot.ask(ADMIN, ADMIN, "/status")
        assert "file deleted: nothing deleted in chats" in reply[-1].parsed_text


async def test_edits_are_paced_like_sends_so_a_big_correction_meets_no_429(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    # 24 sections, every one fixed: 24 edits in one group, above its 20 per minute
    many = {f"Part {n}": [f"Item {n}"] for n in range(24)}
    async with World(tg, tmp_path) as world:
        await world.publish(many)
        tg.reset_records()
        [report] = await world.change({k: [v[0] + " (fixed)"] for k, v in many.items()})
        assert report.total("edited") == 24 * len(TARGETS)
        assert tg.stats.sent_429 == 0  # the fake counts edits against the limits too
        await assert_shows(world, world.messages())
        group_edits = sorted(e.time for e in tg.edits if e.chat_id == GROUP)
        # the 21st edit in the group waited for the group's minute (scaled by SPEED)
        assert group_edits[20] - group_edits[0] >= 60 / SPEED * 0.95


async def test_readers_get_the_corrected_text_and_status_lists_the_correction(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    tg = fast_telegram
    tg.add_private_chat(ADMIN, "Admin")
    tg.add_private_chat(7, "Reader")
    tg.add_supergroup(GROUP, "Group")
    text = digest_text(DAY, "Daily AI", BEFORE, summary="Today.")
    env = {"DIGEST_CHATS": str(GROUP)}
    async with running_bot(
        tg, tmp_path, content_files={f"{DAY}.md": text}, admins=[ADMIN], env_overrides=env
    ) as bot:
        [digest] = await bot.services.delivery.catalog.find_digests(DAY.isoformat())
        assert (await bot.services.delivery.push(digest)).ok
        before = await bot.ask(7, 7, f"/digest {DAY}")
        assert any("Model A ships" in m.parsed_text for m in before)
        bot.write(f"{DAY}.md", digest_text(DAY, "Daily AI", AFTER, summary="Today."))
        await bot.ask(ADMIN, ADMIN, "/reload")  # the sync that sees the change
        await tg.wait_until(
            lambda: len([e for e in tg.edits if e.chat_id == GROUP]) >= 3, timeout=20
        )
        after = await bot.ask(7, 7, f"/digest {DAY}")
        assert any("Model A shipped (fixed)" in m.parsed_text for m in after)
        assert not any("Model A ships" in m.parsed_text for m in after)
        status = await bot.ask(ADMIN, ADMIN, "/status")
        assert (
            "Daily AI: corrected — 3 edited, 0 added, 0 removed in 1 chat" in status[-1].parsed_text
        )


async def _push_by_hand(world: World, chat: int, layout: str) -> None:
    """A push in `layout` as the layouts work journals it (the push itself is wired there)."""
    digest = load_digest(world.path, world.root)
    owner = world.delivery.owner
    for n, call in enumerate(world.corrector.render(digest, layout)):
        message_id, kind = await world.corrector._send_call(chat, None, call.call, None)
        assert (
            await world.store.claim_part(digest.id, chat, None, n, owner=owner, ttl=30) == "claimed"
        )
        await world.store.deliver_claimed(
            digest.id,
            chat,
            None,
            n,
            owner=owner,
            message_id=message_id,
            content_hash=call.new.content_hash,
            layout=layout,
            kind=kind,
            media=call.new.media,
        )


def _html_now(
    before: dict[tuple[int, int], str], tg: FakeTelegram, chat: int, message_id: int
) -> str:
    """The HTML a message shows: its last edit or send since `before` was taken, else then."""
    records = [m for m in [*tg.sent, *tg.edits] if m.chat_id == chat and m.message_id == message_id]
    return records[-1].html if records else before[(chat, message_id)]


@pytest.mark.parametrize("layout", ["compact", "rich"])
async def test_compact_and_rich_targets_are_corrected_in_their_own_layout(
    tg: FakeTelegram, tmp_path: Path, layout: str
) -> None:
    async with World(tg, tmp_path) as world:
        # long enough for several messages: 4096 characters each (compact), 32768 (rich)
        words = "words " * (60 if layout == "compact" else 250)
        many = {f"Part {n}": [f"Item {n} " + words] * 3 for n in range(8)}
        world.write(many)
        await sync_content(world.store, world.root)
        await _push_by_hand(world, GROUP, layout)
        digest_id = _digest_id(world)
        old = world.corrector.render(load_digest(world.path, world.root), layout)
        fixed = dict(many)
        fixed["Part 6"] = ["Item 6 fixed " + words] * 3
        before = {(m.chat_id, m.message_id): m.html for m in tg.sent}
        [report] = await world.change(fixed)
        new = world.corrector.render(load_digest(world.path, world.root), layout)
        changed_from = next(
            n
            for n, (a, b) in enumerate(zip(old, new, strict=False))
            if a.new.content_hash != b.new.content_hash
        )
        edits = [e for e in tg.edits if e.chat_id == GROUP]
        rows = await world.store.journal_rows(digest_id, GROUP, None)
        # only messages from the changed one onward (that one included), each in its own kind
        onward = {r.message_id for r in rows[changed_from:]}
        assert {e.message_id for e in edits} <= onward
        assert rows[changed_from].message_id in {e.message_id for e in edits}
        assert changed_from > 0  # the fix sits in a later message: the first one untouched
        assert edits and all((e.rich_message is not None) == (layout == "rich") for e in edits)
        assert [r.part for r in rows] == list(range(len(new)))
        assert [_html_now(before, tg, GROUP, r.message_id) for r in rows] == [
            p.call.html for p in new
        ]
        assert report.state == "done" and tg.stats.sent_429 == 0


async def test_a_chat_that_removed_the_bot_is_deactivated_and_the_others_corrected(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with World(tg, tmp_path) as world:
        await world.publish(BEFORE)
        tg.kick_bot(CHANNEL)
        [report] = await world.change(AFTER)
        assert [r.label for r in report.failed] == [str(CHANNEL)]
        assert "forbidden" in (report.failed[0].error or "")
        target = await world.store.get_target(CHANNEL, None)
        assert target is not None and not target.active
        assert {e.chat_id for e in tg.edits} == {GROUP, FORUM}
        [admin] = tg.sent_to(ADMIN)
        assert "in 2 chats" in admin.parsed_text and str(CHANNEL) in admin.parsed_text


async def test_two_correctors_on_one_database_send_each_added_part_once(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    # the bot and `digestbot post` correcting the same change at the same moment: separate
    # connections, separate claim owners, no shared lock
    async with World(tg, tmp_path) as world, World(tg, tmp_path) as other:
        await world.publish(BEFORE)
        after = {**AFTER, "Jobs": ["Hiring"], "More": ["Even more"]}
        world.write(after)
        await sync_content(world.store, world.root)
        tg.reset_records()
        await asyncio.gather(world.corrector.reconcile(), other.corrector.reconcile())
        new = world.messages()
        for chat, thread in TARGETS:
            added = Counter(m.html for m in tg.sent_to(chat, thread))
            assert added == Counter(m.html for m in new[4:])  # Jobs and More, once each
        # whatever the interleaving, the journal ends as one push of the new version would
        for _ in range(2):
            await world.corrector.reconcile()
        await assert_shows(world, new)


async def test_parts_journaled_before_hashes_are_adopted_then_corrected(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    # a database from before corrections: rows without hash or kind
    async with World(tg, tmp_path) as world:
        await world.publish(BEFORE)
        async with world.store.transaction() as db:
            await db.execute("UPDATE deliveries SET content_hash = NULL, kind = NULL")
        await world.assert_nothing_to_do()  # the old rows adopted as showing this version
        [report] = await world.change(AFTER)
        assert report.total("edited") == 9  # the same three edits per chat as with hashes
        await assert_shows(world, world.messages())
