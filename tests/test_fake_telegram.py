"""The fake Bot API server, driven by REAL python-telegram-bot over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.standin import FakeTelegram, FloodLimits, command_entities

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ALICE = 1001
GROUP = -2001
SUPER = -1002001
FORUM = -1002002
CHANNEL = -1002003


@pytest.fixture
async def tg(fake_telegram: FakeTelegram) -> FakeTelegram:
    fake_telegram.add_private_chat(ALICE, "Alice", username="alice")
    fake_telegram.add_group(GROUP, "Group", {ALICE: "creator"})
    fake_telegram.add_supergroup(SUPER, "Super", {ALICE: "creator"}, bot_status="administrator")
    fake_telegram.add_supergroup(
        FORUM, "Forum", {ALICE: "member"}, topics={42: "News", 43: "Old"}, closed_topics={43}
    )
    fake_telegram.add_channel(CHANNEL, "Channel", username="@digest_chan")
    return fake_telegram


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


# ------------------------------------------------------------------ basics


async def test_get_me_and_wrong_token(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == tg.bot.username and me.is_bot
    with pytest.raises(InvalidToken):
        await Bot(f"{tg.bot.id}:wrong", base_url=tg.base_url).get_me()


async def test_unknown_method_is_404(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE})


async def test_send_valid_html_is_recorded(tg: FakeTelegram, bot: Bot) -> None:
    html = '<b>Today</b> — <a href="https://example.org/a?b=1&amp;c=2">news</a> 😀'
    message = await bot.send_message(
        ALICE,
        html,
        parse_mode="HTML",
        disable_notification=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Today — news 😀"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 5),
        ("text_link", 8, 4),
    ]
    assert message.entities[1].url == "https://example.org/a?b=1&c=2"
    [sent] = tg.sent
    assert (sent.method, sent.chat_id, sent.message_id) == (
        "sendMessage",
        ALICE,
        message.message_id,
    )
    assert sent.html == html and sent.parsed_text == message.text
    assert sent.disable_notification and sent.link_preview_options == {"is_disabled": True}
    assert tg.sent_to(ALICE) == [sent] and tg.sent_to(GROUP) == []
    assert tg.stats.requests["sendMessage"] == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<p>para</p>", 'unsupported start tag "p"'),
        ("a & b", "unescaped '&'"),
        ("<b>open", "can't find end tag"),
        ("x" * 4097, "message is too long"),
        ("   ", "message text is empty"),
    ],
)
async def test_invalid_html_is_refused(tg: FakeTelegram, bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(ALICE, text, parse_mode="HTML")
    assert error in info.value.message.lower()
    assert tg.sent == [] and tg.stats.sent_400 == 1


async def test_plain_text_limits(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE, "<not html> & fine")  # no parse_mode: anything goes
    await bot.send_message(ALICE, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(ALICE, "😀" * 2048 + "x")  # 4097 UTF-16 units
    assert [m.parsed_text[:10] for m in tg.sent] == ["<not html>", "😀" * 10]


async def test_unknown_chat_and_username(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(999, "hi")
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message("@nobody", "hi")
    await bot.send_message("@digest_chan", "to the channel")
    assert tg.sent[0].chat_id == CHANNEL


async def test_channel_needs_admin_rights(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_bot_status(CHANNEL, "member")
    with pytest.raises(BadRequest, match=r"(?i)administrator rights"):
        await bot.send_message(CHANNEL, "x")


async def test_forum_topics(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(FORUM, "in topic", message_thread_id=42)
    message = await bot.send_message(FORUM, "general")
    assert tg.sent_to(FORUM, thread=42)[0].parsed_text == "in topic"
    assert message.message_thread_id is None
    with pytest.raises(BadRequest, match=r"(?i)thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=77)
    with pytest.raises(BadRequest, match=r"(?i)topic_closed"):
        await bot.send_message(FORUM, "x", message_thread_id=43)
    with pytest.raises(BadRequest, match=r"(?i)thread not found"):
        await bot.send_message(GROUP, "x", message_thread_id=42)
    tg.reopen_topic(FORUM, 43)
    await bot.send_message(FORUM, "reopened", message_thread_id=43)
    assert len(tg.sent) == 3


# ------------------------------------------------------------------ Telegram's errors


async def test_injected_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next(ALICE, "429", retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE, "x")
    assert info.value.retry_after == 7
    await bot.send_message(ALICE, "x")  # only the next one failed
    assert len(tg.sent) == 1 and tg.stats.sent_429 == 1


async def test_flood_limit_per_chat_trips_on_a_burst(tg: FakeTelegram, bot: Bot) -> None:
    for i in range(3):  # the burst allowance
        await bot.send_message(ALICE, f"m{i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE, "m3")
    assert info.value.retry_after == 1
    await bot.send_message(SUPER, "another chat is fine")
    assert tg.stats.sent_429 == 1 and len(tg.sent) == 4


async def test_migration_forbidden_and_blocked(tg: FakeTelegram, bot: Bot) -> None:
    tg.migrate_group(GROUP, -1009999)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(GROUP, "x")
    assert info.value.new_chat_id == -1009999
    await bot.send_message(-1009999, "after migration")
    assert tg.chat(-1009999).type == "supergroup"
    tg.kick_bot(SUPER)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(SUPER, "x")
    tg.block_bot(ALICE)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ALICE, "x")
    kinds = [next(k for k in u if k != "update_id") for u in tg.pending_updates]
    assert kinds == ["message", "message", "my_chat_member", "my_chat_member"]


async def test_server_errors(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next(ALICE, "500")
    with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
        await bot.send_message(ALICE, "x")
    tg.fail_next(None, "502")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(SUPER, "x")
    tg.fail_next(ALICE, "parse", times=2)
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)parse entities"):
            await bot.send_message(ALICE, "x")
    await bot.send_message(ALICE, "finally")
    assert [m.parsed_text for m in tg.sent] == ["finally"]
    assert tg.stats.sent_5xx == 2


@pytest.mark.parametrize("delivered", [False, True])
async def test_timeout_fault(tg: FakeTelegram, delivered: bool) -> None:
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        tg.fail_next(ALICE, "timeout", hold=1.0, delivered=delivered)
        with pytest.raises(TimedOut):
            await bot.send_message(ALICE, "maybe")
        assert len(tg.sent) == int(delivered)
        await bot.send_message(ALICE, "next")  # the client recovers
    assert tg.stats.timeouts == 1 and tg.sent[-1].parsed_text == "next"


# ------------------------------------------------------------------ updates


async def test_long_poll_returns_an_injected_update(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: tg.stats.requests.get("getUpdates"))
    assert not poll.done()
    await tg.send_text(ALICE, ALICE, "/today@digest_test_bot please")
    updates = await asyncio.wait_for(poll, 5)
    [update] = updates
    assert update.message.text == "/today@digest_test_bot please"
    assert update.message.from_user.id == ALICE
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/today@digest_test_bot")
    # confirming by offset empties the queue
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert tg.pending_updates == []


async def test_updates_in_topics_from_anonymous_admins_and_channels(
    tg: FakeTelegram, bot: Bot
) -> None:
    await tg.send_text(FORUM, ALICE, "/tags", thread_id=42)
    await tg.send_text(SUPER, None, "/post", anonymous_admin=True)
    await tg.send_channel_post(CHANNEL, "hello")
    topic, anon, post = await bot.get_updates()
    assert topic.message.message_thread_id == 42 and topic.message.is_topic_message
    assert anon.message.sender_chat.id == SUPER
    assert anon.message.from_user.username == "GroupAnonymousBot"
    assert post.channel_post.chat.id == CHANNEL


async def test_allowed_updates_filter(tg: FakeTelegram, bot: Bot) -> None:
    await tg.send_text(ALICE, ALICE, "hi")
    await tg.send_channel_post(CHANNEL, "post")
    updates = await bot.get_updates(allowed_updates=["channel_post"])
    assert [u.channel_post.text for u in updates] == ["post"]


async def test_second_poller_conflicts(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: tg.stats.requests.get("getUpdates") == 1)
    async with Bot(tg.token, base_url=tg.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict):
            await asyncio.wait_for(first, 5)
        assert await second == ()


def test_command_entities_use_utf16_offsets() -> None:
    assert command_entities("😀 /start x /help@bot") == [
        {"type": "bot_command", "offset": 3, "length": 6},
        {"type": "bot_command", "offset": 12, "length": 9},
    ]
    assert command_entities("a/b http://x/y") == []


# ------------------------------------------------------------------ keyboards, edits, photos


async def test_buttons_callbacks_and_edits(tg: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Next", callback_data="page:2"),
                InlineKeyboardButton("Site", url="https://example.org"),
            ]
        ]
    )
    message = await bot.send_message(ALICE, "<b>page 1</b>", parse_mode="HTML", reply_markup=markup)
    assert [b["text"] for b in tg.sent[0].buttons] == ["Next", "Site"]
    with pytest.raises(ValueError, match=r"(?i)no button"):
        await tg.press_button(ALICE, ALICE, message.message_id, "page:3")
    query_id = await tg.press_button(ALICE, ALICE, message.message_id, "page:2")
    [update] = await bot.get_updates()
    assert update.callback_query.data == "page:2"
    assert update.callback_query.message.message_id == message.message_id
    await bot.answer_callback_query(query_id, text="ok")
    assert tg.callback_answers[query_id]["text"] == "ok"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    await bot.edit_message_text(
        "<b>page 2</b>", ALICE, message.message_id, parse_mode="HTML", reply_markup=markup
    )
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text(
            "<b>page 2</b>", ALICE, message.message_id, parse_mode="HTML", reply_markup=markup
        )
    with pytest.raises(BadRequest, match=r"(?i)to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    await bot.edit_message_reply_markup(ALICE, message.message_id, reply_markup=None)
    assert [e.method for e in tg.edits] == ["editMessageText", "editMessageReplyMarkup"]
    assert (
        tg.edits[0].parsed_text == "page 2"
        and tg.chat(ALICE).messages[message.message_id].get("reply_markup") is None
    )


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "x", "callback_data": "d" * 65}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": ""}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "url": "ftp://x"}, "is invalid"),
        ({"text": "x"}, "Text buttons are unallowed"),
        ({"text": "x", "url": "https://a", "callback_data": "y"}, "more than one button"),
    ],
)
async def test_bad_inline_keyboards(bot: Bot, button: dict, error: str) -> None:
    # PTB checks none of these client-side: the server must
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(**button)]])
    with pytest.raises(BadRequest, match=r"(?i)" + re.escape(error)):
        await bot.send_message(ALICE, "x", reply_markup=markup)


async def test_reply_parameters(tg: FakeTelegram, bot: Bot) -> None:
    incoming = await tg.send_text(ALICE, ALICE, "/today")
    reply = await bot.send_message(ALICE, "here", reply_to_message_id=incoming["message_id"])
    assert reply.reply_to_message.message_id == incoming["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)replied not found"):
        await bot.send_message(ALICE, "x", reply_to_message_id=555)
    await bot.send_message(ALICE, "x", reply_to_message_id=555, allow_sending_without_reply=True)


async def test_send_photo(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_photo(
        ALICE, "https://example.org/cover.jpg", caption="<i>cover</i>", parse_mode="HTML"
    )
    assert message.caption == "cover" and message.photo
    sent = tg.sent[0]
    assert (sent.method, sent.photo, sent.caption) == (
        "sendPhoto",
        "https://example.org/cover.jpg",
        "<i>cover</i>",
    )
    await bot.send_photo(ALICE, message.photo[-1].file_id)  # a file_id it handed out
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(ALICE, "https://example.org/c.jpg", caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)wrong remote file identifier"):
        await bot.send_photo(ALICE, "not-a-file-id")
    tg.fail_photo_url("https://example.org/broken.jpg")
    with pytest.raises(BadRequest, match=r"(?i)wrong type of the web page content"):
        await bot.send_photo(ALICE, "https://example.org/broken.jpg")


# ------------------------------------------------------------------ chats, commands, misc


async def test_chat_info_members_and_pins(tg: FakeTelegram, bot: Bot) -> None:
    chat = await bot.get_chat(SUPER)
    assert (chat.type, chat.title) == ("supergroup", "Super")
    assert (await bot.get_chat_member(SUPER, ALICE)).status == "creator"
    assert (await bot.get_chat_member(SUPER, tg.bot.id)).status == "administrator"
    admins = await bot.get_chat_administrators(SUPER)
    assert {a.user.id for a in admins} == {ALICE, tg.bot.id}
    message = await bot.send_message(SUPER, "pin me")
    await bot.pin_chat_message(SUPER, message.message_id)
    assert tg.chat(SUPER).pinned == [message.message_id]
    await bot.unpin_chat_message(SUPER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.pin_chat_message(GROUP, (await bot.send_message(GROUP, "x")).message_id)
    await bot.send_chat_action(FORUM, "typing", message_thread_id=42)
    assert tg.chat_actions == [(FORUM, "typing", 42)]
    await bot.delete_message(SUPER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)to delete not found"):
        await bot.delete_message(SUPER, message.message_id)
    assert tg.deleted == [(SUPER, message.message_id)]


async def test_commands_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    from telegram import BotCommandScopeAllChatAdministrators, BotCommandScopeChat

    await bot.set_my_commands([("today", "Today's digest"), ("search", "Search")])
    await bot.set_my_commands([("heute", "Heute")], language_code="de")
    admin_scope = BotCommandScopeAllChatAdministrators()
    await bot.set_my_commands([("post", "Post now")], scope=admin_scope)
    await bot.set_my_commands([("x", "chat")], scope=BotCommandScopeChat(ALICE))
    assert [c.command for c in await bot.get_my_commands()] == ["today", "search"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["heute"]
    assert [c.command for c in await bot.get_my_commands(scope=admin_scope)] == ["post"]
    assert tg.commands({"type": "all_chat_administrators"})[0]["command"] == "post"
    assert tg.commands({"type": "chat", "chat_id": ALICE})[0]["command"] == "x"
    await bot.delete_my_commands(scope=admin_scope)
    assert await bot.get_my_commands(scope=admin_scope) == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Today!", "bad")])


async def test_wait_for_times_out_with_a_useful_message(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE, "only one")
    assert (await tg.wait_for(1))[0].parsed_text == "only one"
    with pytest.raises(TimeoutError, match=r"(?i)only one"):
        await tg.wait_for(2, timeout=0.2)


async def test_json_bodies_and_control_api(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{tg.base_url}{tg.token}/sendMessage",
            json={"chat_id": ALICE, "text": "<b>json</b>", "parse_mode": "HTML"},
        ) as resp:
            body = await resp.json()
        assert body["ok"] and body["result"]["text"] == "json"
        async with http.post(
            f"{tg.url}/_control/add_private_chat", json={"user_id": 5, "first_name": "Bob"}
        ) as resp:
            assert (await resp.json())["result"]["first_name"] == "Bob"
        async with http.post(
            f"{tg.url}/_control/send_text", json={"chat_id": 5, "text": "/start"}
        ) as resp:
            assert (await resp.json())["result"]["entities"][0]["type"] == "bot_command"
        async with http.post(
            f"{tg.url}/_control/fail_next", json={"chat_id": 5, "kind": "429", "retry_after": 2}
        ) as resp:
            assert resp.status == 200
        async with http.post(
            f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": "5", "text": "form"}
        ) as resp:
            body = await resp.json()
        assert resp.status == 429 and body["parameters"] == {"retry_after": 2}
        async with http.get(f"{tg.url}/_control/sent", params={"chat_id": ALICE}) as resp:
            [sent] = (await resp.json())["result"]
        assert sent["html"] == "<b>json</b>" and sent["parsed_text"] == "json"
        async with http.get(f"{tg.url}/_control/stats") as resp:
            assert (await resp.json())["result"]["sent_429"] == 1
        async with http.get(f"{tg.url}/_control/info") as resp:
            assert (await resp.json())["result"]["token"] == tg.token


# ------------------------------------------------------------------ a real PTB Application


async def test_application_polling_answers_start(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"<b>Hello</b>, {update.effective_user.id}")

    app = Application.builder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await tg.send_text(ALICE, ALICE, "/start")
        reply = await tg.wait_for(lambda m: m.chat_id == ALICE)
        await app.updater.stop()
        await app.stop()
    assert reply.parsed_text == f"Hello, {ALICE}" and reply.html.startswith("<b>Hello</b>")
    assert tg.pending_updates == []


# ------------------------------------------------------------------ the flood model itself


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(min_value=1.0, max_value=5.0), min_size=1, max_size=80),
    st.sampled_from([1.0, 10.0]),
)
def test_pacing_at_one_per_second_never_trips(gaps: list[float], speed: float) -> None:
    limits = FloodLimits(speed=speed)
    now = 100.0
    for gap in gaps:
        now += gap / speed
        assert limits.check(ALICE, False, now) is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=4.0), min_size=1, max_size=120))
def test_waiting_retry_after_always_succeeds(gaps: list[float]) -> None:
    limits = FloodLimits(integer_retry_after=False)
    now, sent = 0.0, []
    for gap in gaps:
        now += gap
        wait = limits.check(GROUP, True, now)
        if wait is not None:
            now += wait
            assert limits.check(GROUP, True, now) is None
        sent.append(now)
    # the documented group rule holds for everything that was accepted
    for i in range(len(sent) - 20):
        assert sent[i + 20] - sent[i] >= 60.0 - 1e-6


def test_group_and_global_windows() -> None:
    limits = FloodLimits(chat_burst=100)  # isolate the window rules
    times = [i * 1.5 for i in range(20)]
    assert all(limits.check(GROUP, True, t) is None for t in times)
    assert limits.check(GROUP, True, 30.0) == 30  # first of the 20 leaves the window at 60 s
    assert limits.check(GROUP, True, 60.0) is None
    glob = FloodLimits()
    assert all(glob.check(c, False, 5.0) is None for c in range(30))
    assert glob.check(99, False, 5.0) == 1
    assert glob.check(99, False, 6.0) is None
    fast = FloodLimits(speed=10, integer_retry_after=False)  # 30 per 0.1 s = 300/s
    assert all(fast.check(c, False, 5.0) is None for c in range(30))
    assert fast.check(1000, False, 5.0) == pytest.approx(0.1)
    assert all(
        fast.check(c, False, 5.1 + c / 300) is None
        for c in itertools.islice(itertools.count(100), 300)
    )


# ------------------------------------------------------------------ standalone mode


async def test_standalone_console_mode() -> None:
    """``python -m bot.standin``: prints how to connect, turns stdin lines into updates."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.standin",
        "--port",
        "0",
        cwd=PROJECT_ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    banner = [(await asyncio.wait_for(proc.stdout.readline(), 10)).decode() for _ in range(2)]
    base = banner[0].split(" on ")[1].strip()
    token = banner[1].split("=", 1)[1].strip()
    proc.stdin.write(b"/today\n")
    await proc.stdin.drain()
    async with Bot(token, base_url=f"{base}/bot") as bot:
        updates = await bot.get_updates(timeout=5)
        assert updates[0].message.text == "/today"
        await bot.send_message(ALICE, "<b>printed</b>", parse_mode="HTML")
    proc.stdin.write(b"!quit\n")
    await proc.stdin.drain()
    out, _ = await asyncio.wait_for(proc.communicate(), 10)
    assert "<b>printed</b>" in out.decode()
    assert proc.returncode == 0
