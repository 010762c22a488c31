"""Admin and subscription commands, end to end: the REAL bot against the fake Bot API server."""

from __future__ import annotations

import datetime as dt
import re

from handlers.admin import REFUSAL
from tests.delivery_helpers import write_digest
from tests.harness import running_bot

ADMIN, READER, CHAT_ADMIN = 42, 77, 55
GROUP, CHANNEL, OTHER = -1001, -1002, -1003
DAY = dt.date(2026, 11, 25)


def setup_chats(tg) -> None:
    tg.add_private_chat(ADMIN, "Admin")
    tg.add_private_chat(READER, "Reader")
    members = {ADMIN: "member", READER: "member", CHAT_ADMIN: "administrator"}
    tg.add_supergroup(GROUP, "Group", members)
    tg.add_channel(CHANNEL, "Channel", username="digest_chan")
    tg.add_supergroup(OTHER, "Other", members)


def bot_env(**extra: str) -> dict[str, str]:
    return {"DIGEST_CHATS": f"{GROUP},{CHANNEL}", **extra}


async def wait_summary(tg, chat: int):
    return await tg.wait_for(
        lambda m: (
            m.chat_id == chat
            and ("targets complete" in m.parsed_text or "already pushed" in m.parsed_text)
        ),
        timeout=20,
    )


async def test_non_admins_get_a_polite_refusal_and_nothing_happens(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        for command in ("/post", "/preview", "/status", "/reload", "/post here"):
            replies = await bot.ask(READER, READER, command)
            assert [r.parsed_text for r in replies] == [REFUSAL]
        replies = await bot.ask(GROUP, READER, "/post here")
        assert [r.parsed_text for r in replies] == [REFUSAL]
        assert tg.sent_to(GROUP) == [r for r in replies]
        assert tg.sent_to(CHANNEL) == []


async def test_post_pushes_once_through_the_journal(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        parts = len(
            bot.services.catalog.messages((await bot.services.catalog.find_digests(None))[0])
        )
        await bot.ask(ADMIN, ADMIN, "/post")
        summary = await wait_summary(tg, ADMIN)
        assert summary.parsed_text == (
            f"Digest of 2026-11-25 (November 25, 2026): {2 * parts} messages sent; 2 of 2 "
            "targets complete."
        )
        assert len(tg.sent_to(GROUP)) == parts and len(tg.sent_to(CHANNEL)) == parts
        # a second /post (e.g. after the scheduled one) repeats nothing
        before = len(tg.sent)
        await bot.ask(ADMIN, ADMIN, f"/post {DAY.isoformat()}")
        again = await tg.wait_for(
            lambda m: m.chat_id == ADMIN and "already" in m.parsed_text, timeout=20
        )
        assert again.parsed_text == (
            "Digest of 2026-11-25 (November 25, 2026): already pushed "
            "to all 2 targets; nothing sent."
        )
        assert not any(re.search(r"\d{8}-[0-9a-f]{8}", m.parsed_text) for m in tg.sent_to(ADMIN))
        assert len(tg.sent_to(GROUP)) == parts and len(tg.sent_to(CHANNEL)) == parts
        assert all(m.chat_id == ADMIN for m in tg.sent[before:])
        # the scheduled push of the same day has nothing left to do
        assert (
            await bot.services.delivery.push_due(dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC))
            is None
        )


async def test_post_here_only_this_chat_and_bad_dates(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        await bot.ask(OTHER, ADMIN, "/post here")
        # the admin is told in private; the group gets the digest and nothing else
        summary = await wait_summary(tg, ADMIN)
        assert summary.parsed_text.endswith("4 messages sent; 1 of 1 targets complete.")
        assert tg.sent_to(ADMIN)[0].parsed_text == (
            "Pushing Digest of 2026-11-25 (November 25, 2026) to 1 target…"
        )
        assert tg.sent_to(GROUP) == [] and tg.sent_to(CHANNEL) == []
        parts = tg.sent_to(OTHER)
        assert len(parts) == 4 and parts[0].parsed_text.startswith("Digest of 2026-11-25")
        replies = await bot.ask(ADMIN, ADMIN, "/post 2026-02-30")
        assert "Not a date" in replies[0].parsed_text
        replies = await bot.ask(ADMIN, ADMIN, "/post 2020-01-01")
        assert "No digest found" in replies[0].parsed_text


async def test_preview_status_and_reload(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        expected = [
            m.html
            for m in bot.services.catalog.messages(
                (await bot.services.catalog.find_digests(None))[0]
            )
        ]
        replies = await bot.ask(ADMIN, ADMIN, "/preview")
        assert [m.html for m in replies[:-1]] == expected  # exactly as a push would send it
        # then what was previewed, and each target's layout
        digest = (await bot.services.catalog.find_digests(None))[0]
        assert replies[-1].parsed_text.splitlines() == [
            f"Preview of {digest.title} (November 25, 2026): {len(expected)} messages, "
            "layout sections.",
            "Targets: -1001 sections, -1002 sections",
        ]
        assert tg.sent_to(GROUP) == []
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert re.search(r"Next push: \w+ \d+, \d{4} 08:00 — daily at 08:00 \(UTC\)", status)
        assert "Digests indexed: 1" in status and "Bad files: none" in status
        assert "-1001" in status and "never pushed" in status
        write_digest(tmp_path / "content", dt.date(2026, 11, 26))
        (tmp_path / "content" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
        reload = (await bot.ask(ADMIN, ADMIN, "/reload"))[0].parsed_text
        assert "1 added" in reload and "broken.md" in reload and "`" not in reload
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert "Digests indexed: 2" in status and "Bad files: 1" in status


async def test_subscribe_and_unsubscribe_rights(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    async with running_bot(tg, tmp_path, admins=[ADMIN]) as bot:
        store = bot.services.store
        replies = await bot.ask(GROUP, READER, "/subscribe")
        assert "only an administrator" in replies[0].parsed_text
        assert await store.active_targets() == []
        replies = await bot.ask(GROUP, CHAT_ADMIN, "/subscribe")  # getChatMember says admin
        assert replies[0].parsed_text.startswith("Subscribed")
        assert [t.chat_id for t in await store.active_targets()] == [GROUP]
        replies = await bot.ask(OTHER, None, "/subscribe", anonymous_admin=True)
        assert replies[0].parsed_text.startswith("Subscribed")
        replies = await bot.ask(READER, READER, "/subscribe")
        assert "group or channel" in replies[0].parsed_text
        replies = await bot.ask(GROUP, ADMIN, "/unsubscribe")  # ADMIN_IDS user
        assert replies[0].parsed_text.startswith("Unsubscribed")
        assert [t.chat_id for t in await store.active_targets()] == [OTHER]
        await tg.send_channel_post(CHANNEL, "/subscribe")
        await bot.settle()
        assert {t.chat_id for t in await store.active_targets()} == {OTHER, CHANNEL}


async def test_status_with_many_long_targets_fits_one_valid_message(fast_telegram, tmp_path):
    # 25 targets with long titles and long errors: /status used to cut the HTML at 4096
    # characters, inside a tag or an escape, and Telegram refused it ("can't parse entities").
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        store = bot.services.store
        for n in range(30):
            chat = -2000 - n
            await store.upsert_target(chat, None, "subscribe", title="Title & <more> " * 8)
            await store.record_failure("20261125-x", chat, None, 0, "bad request: " + "& x" * 60)
        replies = await bot.ask(ADMIN, ADMIN, "/status")
        assert len(replies) == 1 and "Targets:" in replies[0].parsed_text
    assert not [e for e in tg.errors if e.method == "sendMessage"]


async def test_subscribing_a_channel_configured_by_its_name_does_not_double_the_push(
    fast_telegram, tmp_path
):
    tg = fast_telegram
    setup_chats(tg)
    write_digest(tmp_path / "content", DAY)
    env = {"DIGEST_CHATS": "@Digest_Chan"}  # usernames are case-insensitive
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        await tg.send_channel_post(CHANNEL, "/subscribe")
        await bot.settle()
        targets = await bot.services.delivery.active_targets()
        # the name was resolved (getChat) at start: one target, under the channel's id
        assert [(t.chat_id, t.source) for t in targets] == [(CHANNEL, "config")]
        await tg.send_channel_post(CHANNEL, "/unsubscribe")
        await bot.settle()
        assert "configuration" in tg.sent_to(CHANNEL)[-1].parsed_text


async def test_subscribe_merges_a_configured_name_getchat_could_not_resolve(
    fast_telegram, tmp_path
):
    tg = fast_telegram
    setup_chats(tg)
    tg.fail_next(None, "500", method="getChat")  # at start: '@digest_chan' stays a name
    env = {"DIGEST_CHATS": "@digest_chan"}
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        store = bot.services.store
        assert [t.chat_id for t in await store.active_targets()] == ["@digest_chan"]
        await tg.send_channel_post(CHANNEL, "/subscribe")  # the post tells its id and name
        await bot.settle()
        assert [(t.chat_id, t.source) for t in await store.active_targets()] == [
            (CHANNEL, "config")
        ]
        await tg.send_channel_post(CHANNEL, "/unsubscribe")
        await bot.settle()
        assert "configuration" in tg.sent_to(CHANNEL)[-1].parsed_text


async def test_status_lists_drafts_apart_from_bad_files(fast_telegram, tmp_path):
    """A `draft: true` digest is not published, and not an error either: /status and /reload
    name it as a draft, never among the bad files (nor in the bad-files gauge)."""
    tg = fast_telegram
    setup_chats(tg)
    content = tmp_path / "content"
    write_digest(content, DAY)
    draft = "---\ntitle: Not yet\ndate: 2026-11-26\ndraft: true\n---\n## A\n- text\n"
    (content / "b-draft.md").write_text(draft, encoding="utf-8")
    (content / "a-draft.md").write_text(draft.replace("11-26", "11-27"), encoding="utf-8")
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=bot_env()) as bot:
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert "Digests indexed: 1" in status and "Bad files: none" in status
        assert "2 drafts (not published): a-draft.md, b-draft.md" in status
        assert await bot.services.store.bad_files() == []
        # a published digest that becomes a draft leaves the index and shows as a draft
        write_digest(content, dt.date(2026, 11, 28), name="c.md")
        (content / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
        reload = (await bot.ask(ADMIN, ADMIN, "/reload"))[0].parsed_text
        assert "1 added" in reload and "Bad files: 1" in reload and "draft" not in reload
        (content / "c.md").write_text(draft, encoding="utf-8")
        reload = (await bot.ask(ADMIN, ADMIN, "/reload"))[0].parsed_text
        assert "1 draft (not published): c.md" in reload and "Bad files" not in reload
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert "Digests indexed: 1" in status and "Bad files: 1" in status
        assert "3 drafts (not published): a-draft.md, b-draft.md, c.md" in status
        assert "draft (draft: true" not in status  # the loader's reason is not a bad file's
