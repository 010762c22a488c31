"""End to end: the real bot (PTB over HTTP) against the strict fake Bot API server.

Users write in private chats and groups and press buttons; the tests assert on exactly what the
bot sent. Every message went through the fake server's Telegram-like validation (HTML, length,
entities), so a formatting bug answers 400 and shows up in `tg.errors`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest.loader import load_digest
from bot.digest.split import build_messages
from bot.i18n import format_date
from bot.standin import FakeTelegram
from tests.harness import RunningBot, digest_text, running_bot

USER, OTHER = 1001, 1002


def en_date(day: dt.date) -> str:
    return format_date(day, "en")


GROUP = -1001234567890
PUBLIC = -1009876543210


def _setup_chats(tg: FakeTelegram) -> None:
    tg.add_private_chat(USER, "Ann")
    tg.add_private_chat(OTHER, "Bob")
    tg.add_supergroup(GROUP, "Readers", {USER: "member", OTHER: "administrator"})
    tg.add_supergroup(PUBLIC, "Public", {USER: "member"}, username="public_news")


def _engine_messages(bot: RunningBot, rel: str) -> list[str]:
    digest = load_digest(bot.content_dir / rel, bot.content_dir)
    return [m.html for m in build_messages(digest)]


def _no_errors(tg: FakeTelegram) -> None:
    # On stop PTB confirms the last updates with one more getUpdates while the cancelled long
    # poll is still open on the server: a 409 Conflict, as real Telegram would answer. Harmless.
    errors = [
        (r.method, r.description)
        for r in tg.errors
        if not (r.method == "getUpdates" and r.status == 409)
    ]
    assert not errors


SAMPLE = {
    "2026/2026-01-25.md": digest_text(
        "2026-01-25",
        "AI 日报 <第 1 期>",
        {"模型": ["Qwen 发布", "DeepSeek"], "Tools": ["uv 1.0"]},
        tags=["AI 日报", "rust"],
        summary="Today: models & tools",
    ),
    "2026/2026-01-24.md": digest_text("2026-01-24", "Issue 24", {"News": ["x"]}, tags=["rust"]),
    "2026/2026-01-20.md": digest_text(
        "2026-01-20", "Issue 20", {"News": ["y"]}, tags=["Rust Lang"]
    ),
}


@pytest.fixture
async def bot(fast_telegram: FakeTelegram, tmp_path: Path):
    _setup_chats(fast_telegram)
    async with running_bot(fast_telegram, tmp_path, content_files=SAMPLE, admins=[OTHER]) as b:
        yield b


async def test_private_latest_sends_the_engines_messages_in_order(bot: RunningBot) -> None:
    replies = await bot.ask(USER, USER, "/latest")
    assert [m.html for m in replies] == _engine_messages(bot, "2026/2026-01-25.md")
    assert all(m.chat_id == USER for m in replies)
    _no_errors(bot.tg)


async def test_today_with_and_without_todays_digest(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    tz = "Asia/Shanghai"
    today = dt.datetime.now(ZoneInfo(tz)).date()
    files = {"old.md": digest_text(today - dt.timedelta(days=3), "Older", {"A": ["a"]})}
    async with running_bot(
        fast_telegram,
        tmp_path,
        content_files=files,
        env_overrides={"TIMEZONE": tz, "RESCAN_SECONDS": "1"},
    ) as bot:
        replies = await bot.ask(USER, USER, "/today")
        assert replies[0].parsed_text == (
            f"No digest for today ({en_date(today)}) yet. The newest is from "
            f"{en_date(today - dt.timedelta(days=3))}:"
        )
        assert [m.html for m in replies[1:]] == _engine_messages(bot, "old.md")

        (archive,) = await bot.ask(USER, USER, "/archive")
        assert "Fresh" not in archive.parsed_text
        # today's file appears while the bot runs: the rescan loop picks it up
        bot.write("today.md", digest_text(today, "Fresh", {"A": ["new"]}))
        for _ in range(40):  # RESCAN_SECONDS=1: visible within a couple of seconds
            await asyncio.sleep(0.1)
            if await bot.services.store.on_date(today):
                break
        replies = await bot.ask(USER, USER, "/today")
        assert [m.html for m in replies] == _engine_messages(bot, "today.md")
        (archive,) = await bot.ask(USER, USER, "/archive")  # no stale cached page
        assert "Fresh" in archive.parsed_text
    _no_errors(fast_telegram)


async def test_digest_by_date_both_spellings_and_bad_input(bot: RunningBot) -> None:
    expected = _engine_messages(bot, "2026/2026-01-24.md")
    assert [m.html for m in await bot.ask(USER, USER, "/digest 2026-01-24")] == expected
    assert [m.html for m in await bot.ask(USER, USER, "/digest 20260124")] == expected

    (reply,) = await bot.ask(USER, USER, "/digest <b>soon</b>")
    assert reply.html.startswith("“&lt;b&gt;soon&lt;/b&gt;” is not a date")
    # NUL and other control characters never come back (tab and newline may)
    (reply,) = await bot.ask(USER, USER, "/digest so\x00o\x1bn\x7f!")
    assert reply.html.startswith("“soon!” is not a date")

    (reply,) = await bot.ask(USER, USER, "/digest 2026-01-22")
    assert reply.parsed_text == "No digest on January 22, 2026. The nearest days with one:"
    days = [b["text"] for b in reply.buttons]
    assert days == ["January 20, 2026", "January 24, 2026", "January 25, 2026"]
    sent, _ = await bot.press(USER, USER, reply.message_id, "d:20260120")
    assert [m.html for m in sent] == _engine_messages(bot, "2026/2026-01-20.md")
    _no_errors(bot.tg)


async def test_several_editions_let_the_user_choose(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    files = {
        "am.md": digest_text("2026-02-01T08:00:00+08:00", "Morning", {"A": ["a"]}),
        "pm.md": digest_text("2026-02-01T18:00:00+08:00", "Evening", {"B": ["b"]}),
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (choice,) = await bot.ask(USER, USER, "/digest 2026-02-01")
        assert choice.parsed_text == "2 editions on February 1, 2026. Which one?"
        assert [b["text"] for b in choice.buttons] == ["Morning", "Evening"]
        sent, _ = await bot.press(USER, USER, choice.message_id, choice.buttons[1]["callback_data"])
        assert [m.html for m in sent] == _engine_messages(bot, "pm.md")

        # in a group the choice is one message; a choice sends the card as a reply to it and
        # keeps the list for the next reader
        (choice,) = await bot.ask(GROUP, USER, "/digest 20260201")
        sent, edits = await bot.press(
            GROUP, USER, choice.message_id, choice.buttons[0]["callback_data"]
        )
        assert edits == [] and len(sent) == 1
        assert sent[0].parsed_text.startswith("Morning\nFebruary 1, 2026")
        assert (sent[0].reply_parameters or {}).get("message_id") == choice.message_id
    _no_errors(fast_telegram)


async def test_group_gets_one_card_with_a_private_link(bot: RunningBot) -> None:
    (card,) = await bot.ask(GROUP, USER, "/latest")
    assert card.parsed_text.splitlines()[:2] == [
        "AI 日报 <第 1 期>",
        "January 25, 2026 · AI 日报, rust",
    ]
    assert "Today: models & tools" in card.parsed_text
    assert card.parsed_text.endswith("Sections (2)\n• 模型\n• Tools")
    record = await bot.services.store.latest()
    assert card.buttons == [
        {
            "text": "Read it in full in a private chat",
            "url": f"https://t.me/{bot.username}?start={record.id}",
        }
    ]
    # the deep link opens it whole in the private chat
    replies = await bot.ask(USER, USER, f"/start {record.id}")
    assert [m.html for m in replies] == _engine_messages(bot, "2026/2026-01-25.md")
    (reply,) = await bot.ask(USER, USER, "/start 20990101-deadbeef")
    assert reply.parsed_text.startswith("That digest is no longer available.")
    _no_errors(bot.tg)


async def test_group_card_links_to_where_the_group_received_it(bot: RunningBot) -> None:
    record = await bot.services.store.latest()
    store = bot.services.store
    await store.record_delivery(record.id, GROUP, None, 0, 77)
    await store.record_delivery(record.id, GROUP, None, 1, 78)
    await store.record_delivery(record.id, "@public_news", 5, 0, 90)
    (card,) = await bot.ask(GROUP, USER, "/latest")
    links = [e["url"] for e in card.entities if e["type"] == "text_link"]
    # one link per part, named by what it holds: the header, then its section
    assert links == ["https://t.me/c/1234567890/77", "https://t.me/c/1234567890/78"]
    sections = [m.section for m in await bot.services.catalog.messages_async(record)]
    assert card.parsed_text.splitlines()[-1] == (f"Already posted here: header, {sections[1]}")
    (card,) = await bot.ask(PUBLIC, USER, "/latest")
    links = [e["url"] for e in card.entities if e["type"] == "text_link"]
    assert links == ["https://t.me/public_news/5/90"]
    _no_errors(bot.tg)


async def test_cards_from_lists_show_the_markdown_summary_as_the_header_does(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """The front-matter summary is markdown: a card opened from /archive, /search or /tag in a
    group shows its visible text (as the digest header renders it), not the markdown source."""
    _setup_chats(fast_telegram)
    summary = "- plain point\n- [a link](https://e.com/x)\n- **bold** and *soft* words"
    files = {
        "md.md": digest_text(
            "2026-04-02",
            "Markdown summary",
            {"A": ["findable item"]},
            tags=["mdtag"],
            summary=summary,
        )
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (header, *_rest) = _engine_messages(bot, "md.md")
        assert '<a href="https://e.com/x">a link</a>' in header  # the header renders it
        lists = [
            await bot.ask(GROUP, USER, "/archive"),
            await bot.ask(GROUP, USER, "/search findable"),
            await bot.ask(GROUP, USER, "/tag mdtag"),
        ]
        for (listing,) in lists:
            open_data = listing.buttons[0]["callback_data"]
            (card,), _ = await bot.press(GROUP, USER, listing.message_id, open_data)
            lines = card.parsed_text.splitlines()
            assert lines[:2] == ["Markdown summary", "April 2, 2026 · mdtag"]
            assert lines[3:6] == ["• plain point", "• a link", "• bold and soft words"]
            for stray in ("**", "[", "](", "- ", "https://e.com"):
                assert stray not in card.parsed_text
    _no_errors(fast_telegram)


async def test_today_in_a_group_is_one_card_with_the_note(bot: RunningBot) -> None:
    replies = await bot.ask(GROUP, USER, "/today")
    assert len(replies) == 1
    assert replies[0].parsed_text.startswith("No digest for today (")
    assert "AI 日报 <第 1 期>" in replies[0].parsed_text


async def test_command_addressed_to_another_bot_is_ignored(bot: RunningBot) -> None:
    assert await bot.ask(GROUP, USER, "/latest@some_other_bot") == []
    assert len(await bot.ask(GROUP, USER, f"/latest@{bot.username}")) == 1
    assert len(await bot.ask(USER, USER, f"/help@{bot.username}")) == 1


async def test_archive_pages_by_editing_one_message(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    start = dt.date(2025, 12, 1)
    files = {
        f"{start + dt.timedelta(days=n)}.md": digest_text(
            start + dt.timedelta(days=n), f"Issue {n}", {"A": ["a"]}
        )
        for n in range(23)
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (page,) = await bot.ask(USER, USER, "/archive")
        lines = page.parsed_text.splitlines()
        assert lines[0] == "Archive — 1–10 of 23"
        assert lines[2] == "1. December 23, 2025 · Issue 22"
        assert [b["text"] for b in page.buttons[-2:]] == ["1/3", "Older »"]
        sent, edits = await bot.press(USER, USER, page.message_id, "a:10")
        assert sent == [] and [e.message_id for e in edits] == [page.message_id]
        assert edits[0].parsed_text.splitlines()[0] == "Archive — 11–20 of 23"
        assert edits[0].parsed_text.splitlines()[2] == "11. December 13, 2025 · Issue 12"
        sent, edits = await bot.press(USER, USER, page.message_id, "a:20")
        assert edits[0].parsed_text.splitlines()[-1] == "23. December 1, 2025 · Issue 0"
        # open one from the list: the whole digest, as new messages
        open_data = next(b["callback_data"] for b in edits[0].reply_markup["inline_keyboard"][0])
        sent, edits = await bot.press(USER, USER, page.message_id, open_data)
        assert [m.html for m in sent] == _engine_messages(bot, "2025-12-03.md")
        assert edits == []
    _no_errors(fast_telegram)


async def test_tags_and_tag_with_spaces_chinese_and_close_matches(bot: RunningBot) -> None:
    (tags,) = await bot.ask(USER, USER, "/tags")
    assert tags.parsed_text.splitlines()[2:5] == ["rust — 2", "AI 日报 — 1", "Rust Lang — 1"]

    (page,) = await bot.ask(USER, USER, "/tag ai 日报")
    assert page.parsed_text.splitlines()[0] == "Tag “ai 日报” — 1–1 of 1"
    assert page.parsed_text.splitlines()[2] == "1. January 25, 2026 · AI 日报 <第 1 期>"

    (page,) = await bot.ask(USER, USER, "/tag Rust Lang")
    assert "Issue 20" in page.parsed_text

    # pressing a tag button on /tags edits that message into the tag's list
    rust = next(b for b in tags.buttons if b["text"].startswith("rust"))
    _, edits = await bot.press(USER, USER, tags.message_id, rust["callback_data"])
    assert edits[0].parsed_text.splitlines()[0] == "Tag “rust” — 1–2 of 2"

    (reply,) = await bot.ask(USER, USER, "/tag rusty <i>")
    assert reply.html.startswith("No issue has the tag “rusty &lt;i&gt;”. Did you mean:")
    assert "rust" in [b["text"] for b in reply.buttons]
    (reply,) = await bot.ask(USER, USER, "/tag zzzz")
    assert reply.parsed_text == "No issue has the tag “zzzz”. See /tags for all tags."
    _no_errors(bot.tg)


async def test_search_is_paged_newest_first_and_opens_issues(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    files = {
        f"2026-03-{d:02d}.md": digest_text(
            f"2026-03-{d:02d}", f"March {d}", {"模型": [f"大模型 新闻 {d}"]}
        )
        for d in range(1, 13)
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (page,) = await bot.ask(USER, USER, "/search 大模型")
        lines = page.parsed_text.splitlines()
        assert lines[0] == "Search “大模型” — 1–5 of 12"
        # equally relevant hits: the newest first; the item title links to the item
        assert lines[2:4] == ["1. 大模型 新闻 12", "March 12 · March 12, 2026 · 模型"]
        nxt = page.buttons[-1]
        assert nxt["text"] == "Older »"
        _, edits = await bot.press(USER, USER, page.message_id, nxt["callback_data"])
        assert edits[0].parsed_text.splitlines()[0] == "Search “大模型” — 6–10 of 12"
        assert edits[0].parsed_text.splitlines()[2:4] == [
            "6. 大模型 新闻 7",
            "March 7 · March 7, 2026 · 模型",
        ]
        # two-character Chinese query (below the trigram size) still finds items
        (page,) = await bot.ask(USER, USER, "/search 模型")
        assert "of 12" in page.parsed_text.splitlines()[0]
        (page,) = await bot.ask(USER, USER, "/search <script>")
        assert page.html == "No items match “&lt;script&gt;”."
    _no_errors(fast_telegram)


async def test_help_lists_admin_commands_only_for_admins(bot: RunningBot) -> None:
    (member,) = await bot.ask(USER, USER, "/help")
    (admin,) = await bot.ask(OTHER, OTHER, "/help")
    assert "/today" in member.parsed_text and "/post" not in member.parsed_text
    assert "/today" in admin.parsed_text and "/post" in admin.parsed_text
    (start,) = await bot.ask(USER, USER, "/start")
    assert start.parsed_text.startswith("Hello!") and "/search" in start.parsed_text


async def test_command_menus_are_set_per_scope(bot: RunningBot) -> None:
    tg = bot.tg
    private = [c["command"] for c in tg.commands({"type": "all_private_chats"})]
    groups = [c["command"] for c in tg.commands({"type": "all_group_chats"})]
    admins = [c["command"] for c in tg.commands({"type": "all_chat_administrators"})]
    assert {"start", "today", "latest", "digest", "archive", "tags", "tag", "search"} <= set(
        private
    )
    assert "today" in groups and "start" not in groups and "subscribe" not in groups
    assert {"today", "subscribe"} <= set(admins)
    owner = [c["command"] for c in tg.commands({"type": "chat", "chat_id": OTHER})]
    assert {"today", "post", "status"} <= set(owner)


async def test_a_failing_handler_apologises_and_the_bot_keeps_serving(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    # the file vanishes behind the index's back: rendering it fails inside the handler
    (bot.content_dir / "2026/2026-01-25.md").unlink()
    with caplog.at_level("ERROR", logger="digestbot.errors"):
        (reply,) = await bot.ask(USER, USER, "/latest")
    assert reply.parsed_text == "Sorry, something went wrong on my side. Please try again later."
    record = next(r for r in caplog.records if r.name == "digestbot.errors")
    assert f"chat {USER} (private)" in record.getMessage()
    assert "'/latest'" in record.getMessage() and record.exc_info is not None
    # still serving
    replies = await bot.ask(USER, USER, "/digest 2026-01-24")
    assert [m.html for m in replies] == _engine_messages(bot, "2026/2026-01-24.md")


async def test_edited_commands_do_not_send_again(bot: RunningBot) -> None:
    message = await bot.tg.send_text(USER, USER, "/help")
    await bot.settle()
    before = len(bot.tg.sent)
    bot.tg.push_update(
        {"edited_message": {**message, "text": "/help ", "edit_date": message["date"] + 1}}
    )
    await bot.settle()
    assert len(bot.tg.sent) == before


async def test_forum_topic_replies_stay_in_the_topic(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fast_telegram.add_supergroup(-1005555, "Forum", {USER: "member"}, topics={42: "News"})
    async with running_bot(fast_telegram, tmp_path, content_files=SAMPLE) as bot:
        (card,) = await bot.ask(-1005555, USER, "/latest", thread_id=42)
        assert card.message_thread_id == 42
        (page,) = await bot.ask(-1005555, USER, "/archive", thread_id=42)
        assert page.message_thread_id == 42
    _no_errors(fast_telegram)


async def test_buttons_keep_working_after_a_restart(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    async with running_bot(fast_telegram, tmp_path, content_files=SAMPLE) as bot:
        (tags,) = await bot.ask(USER, USER, "/tags")
        (found,) = await bot.ask(USER, USER, "/search DeepSeek")
    async with running_bot(fast_telegram, tmp_path) as bot:
        # tag buttons carry a key the store resolves: they outlive the process
        rust = next(b for b in tags.buttons if b["text"].startswith("rust"))
        _, edits = await bot.press(USER, USER, tags.message_id, rust["callback_data"])
        assert edits[0].parsed_text.startswith("Tag “rust” — 1–2 of 2")
        # an open button needs nothing but the digest id
        sent, _ = await bot.press(USER, USER, found.message_id, found.buttons[0]["callback_data"])
        assert [m.html for m in sent] == _engine_messages(bot, "2026/2026-01-25.md")
    _no_errors(fast_telegram)


async def test_buttons_made_before_a_restart_work_after_it(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """Callback data holds nothing that lives only in memory: a search pager, a tag pager and
    an open button pressed after the bot restarted do what they did before."""
    _setup_chats(fast_telegram)
    files = {
        f"2026-04-{d:02d}.md": digest_text(
            f"2026-04-{d:02d}", f"April {d}", {"S": ["common words here"]}, tags=["Rust"]
        )
        for d in range(1, 13)
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (search,) = await bot.ask(USER, USER, "/search common words")
        (tagged,) = await bot.ask(USER, USER, "/tag rust")
    async with running_bot(fast_telegram, tmp_path) as bot:  # a new process, same database
        _, edits = await bot.press(
            USER, USER, search.message_id, search.buttons[-1]["callback_data"]
        )
        assert edits[0].parsed_text.startswith("Search “common words” — 6–10 of 12")
        sent, _ = await bot.press(USER, USER, tagged.message_id, tagged.buttons[0]["callback_data"])
        assert sent and sent[0].parsed_text.startswith("April 12")
        _, edits = await bot.press(
            USER, USER, tagged.message_id, tagged.buttons[-1]["callback_data"]
        )
        assert edits[0].parsed_text.startswith("Tag “Rust” — 11–12 of 12")
    _no_errors(fast_telegram)


async def test_search_pages_of_a_forgotten_query_explain_themselves(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _setup_chats(fast_telegram)
    files = {
        f"2026-04-{d:02d}.md": digest_text(
            f"2026-04-{d:02d}", f"April {d}", {"S": ["common words here"]}
        )
        for d in range(1, 9)
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (page,) = await bot.ask(USER, USER, "/search common words")
        # a key the store does not know (its query was let go long ago, or the data is forged)
        forgotten = page.buttons[-1]["callback_data"].rsplit(":", 1)[0] + ":0000000000"
        query_id = "800000"
        bot.tg._open_queries.add(query_id)
        bot.tg.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": bot.tg.add_user(USER).to_api(),
                    "message": bot.tg.chat(USER).messages[page.message_id],
                    "chat_instance": "1",
                    "data": forgotten,
                }
            }
        )
        await bot.settle()
        answer = bot.tg.callback_answers[query_id]
        assert answer.get("text") == "This search has expired: send /search again."
        assert answer.get("show_alert") in (True, "true")
    _no_errors(fast_telegram)


async def test_polling_network_errors_are_one_line_and_polling_goes_on(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.tg.fail_next(None, "502", method="getUpdates")
    with caplog.at_level("WARNING", logger="digestbot"):
        await bot.tg.wait_until(lambda: any(r.status == 502 for r in bot.tg.requests), 10)
        (reply,) = await bot.ask(USER, USER, "/help")  # still polling
    assert reply.parsed_text.startswith("Commands")
    lines = [
        r for r in caplog.records if r.name.startswith("digestbot") and r.levelno >= logging.WARNING
    ]
    assert [r.levelname for r in lines] == ["WARNING"]
    message = lines[0].getMessage()
    assert message.startswith(
        f"Telegram not reachable at {bot.settings.api_base_url} (Bad Gateway (502)."
    )
    assert not lines[0].exc_info and "<html>" not in message


async def test_tags_page_through_many_tags(fast_telegram: FakeTelegram, tmp_path: Path) -> None:
    _setup_chats(fast_telegram)
    tags = [f"tag{n:02d}" for n in range(35)]
    files = {
        "a.md": digest_text("2026-05-01", "Many tags", {"A": ["a"]}, tags=tags),
        "b.md": digest_text("2026-05-02", "Some tags", {"A": ["a"]}, tags=tags[:3]),
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (page,) = await bot.ask(USER, USER, "/tags")
        lines = page.parsed_text.splitlines()
        assert lines[0] == "Tags — 1–30 of 35"
        assert lines[2:5] == ["tag00 — 2", "tag01 — 2", "tag02 — 2"]
        assert [b["text"] for b in page.buttons[-2:]] == ["1/2", "Next »"]
        _, edits = await bot.press(USER, USER, page.message_id, "g:30")
        assert edits[0].parsed_text.splitlines()[0] == "Tags — 31–35 of 35"
        assert edits[0].parsed_text.splitlines()[-3] == "tag34 — 1"
    _no_errors(fast_telegram)


async def test_a_429_on_a_reply_is_waited_out_and_resent(bot: RunningBot) -> None:
    # Telegram refuses two of the reply's sends with "retry after"; the reader still gets the
    # whole digest, in order, each part exactly once.
    bot.tg.fail_next(USER, "429", times=2, retry_after=1)
    replies = await bot.ask(USER, USER, "/latest")
    assert [m.html for m in replies] == _engine_messages(bot, "2026/2026-01-25.md")
    assert bot.tg.stats.sent_429 == 2


async def test_page_counter_and_forged_buttons_are_answered_without_errors(
    fast_telegram: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _setup_chats(fast_telegram)
    files = {
        f"2026-03-{d:02d}.md": digest_text(f"2026-03-{d:02d}", f"March {d}", {"A": ["a"]})
        for d in range(1, 13)
    }
    async with running_bot(fast_telegram, tmp_path, content_files=files) as bot:
        (page,) = await bot.ask(USER, USER, "/archive")
        counter = next(b for b in page.buttons if b["text"] == "1/2")
        # the page counter leads nowhere, but the press must be answered (no endless spinner)
        query_id = await bot.tg.press_button(USER, USER, page.message_id, counter["callback_data"])
        await bot.settle()
        assert query_id in bot.tg.callback_answers
        # forged data (a modified client can send any): a huge offset is no SQLite overflow
        forged = {}
        for data in ("a:" + "9" * 40, "zz:1", "s:-1:abc"):
            query_id = str(900_000 + len(forged))
            bot.tg._open_queries.add(query_id)
            bot.tg.push_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": bot.tg.add_user(USER).to_api(),
                        "message": bot.tg.chat(USER).messages[page.message_id],
                        "chat_instance": "1",
                        "data": data,
                    }
                }
            )
            forged[data] = query_id
        await bot.settle()
        assert all(q in bot.tg.callback_answers for q in forged.values())
        assert bot.tg.edits[-1].parsed_text.splitlines()[0] == "Archive — 11–12 of 12"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
