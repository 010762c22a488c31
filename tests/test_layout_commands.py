"""/layout, a private reader's layout in /today and /digest, /preview [date] [layout] and the
layouts in /status: the REAL bot against the fake Bot API server."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ChatTarget, ConfigError, Settings
from handlers.buttons import ChooseLayout
from handlers.layout import REFUSED, RICH_WARNING
from tests.delivery_helpers import write_digest
from tests.harness import running_bot

ADMIN, READER, CHAT_ADMIN = 42, 77, 55
GROUP, FORUM, CHANNEL = -1001, -1004, -1002
TOPIC = 7


def setup_chats(tg) -> None:
    tg.add_private_chat(ADMIN, "Admin")
    tg.add_private_chat(READER, "Reader")
    members = {ADMIN: "member", READER: "member", CHAT_ADMIN: "administrator"}
    tg.add_supergroup(GROUP, "Group", members)
    tg.add_supergroup(FORUM, "Forum", members, is_forum=True, topics={TOPIC: "News"})
    tg.add_channel(CHANNEL, "Channel", username="digest_chan")


def test_digest_chats_carry_a_layout_per_target_and_digest_layout_the_default():
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:" + "a" * 30,
            "DIGEST_CHATS": "-1001:rich,@news:compact,-1002:42:sections,-1003:42",
            "DIGEST_LAYOUT": "Compact",
        },
        env_file=None,
    )
    assert s.digest_chats == (
        ChatTarget(-1001, None, "rich"),
        ChatTarget("@news", None, "compact"),
        ChatTarget(-1002, 42, "sections"),
        ChatTarget(-1003, 42, None),
    )
    assert s.digest_layout == "compact"
    assert (
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:" + "a" * 30}, env_file=None).digest_layout
        == "sections"
    )  # never rich by default
    with pytest.raises(ConfigError, match=r"DIGEST_LAYOUT.*fancy"):
        Settings.from_env(
            {"TELEGRAM_BOT_TOKEN": "1:" + "a" * 30, "DIGEST_LAYOUT": "fancy"}, env_file=None
        )
    with pytest.raises(ConfigError, match=r"DIGEST_CHATS.*-1001:42:fancy"):
        Settings.from_env(
            {"TELEGRAM_BOT_TOKEN": "1:" + "a" * 30, "DIGEST_CHATS": "-1001:42:fancy"}, env_file=None
        )


async def test_layout_by_chat_admin_per_chat_and_topic_refused_for_members(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    env = {"DIGEST_CHATS": f"{GROUP}:compact,{FORUM}:{TOPIC}"}
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        policy = bot.services.delivery.layouts
        # a member may neither look nor choose; nothing is stored
        replies = await bot.ask(GROUP, READER, "/layout rich")
        assert [r.parsed_text for r in replies] == [REFUSED]
        assert await policy.chosen(GROUP, None) == "compact"  # the DIGEST_CHATS layout
        # the chat admin sees the explanation, the warning about rich and three buttons
        replies = await bot.ask(GROUP, CHAT_ADMIN, "/layout")
        text = replies[0].parsed_text
        assert text.startswith("Layout here: compact") and RICH_WARNING in text
        buttons = [b["callback_data"] for b in replies[0].reply_markup["inline_keyboard"][0]]
        assert buttons == [ChooseLayout(n).pack() for n in ("sections", "compact", "rich")]
        await bot.ask(GROUP, CHAT_ADMIN, "/layout RICH")
        assert await policy.chosen(GROUP, None) == "rich"
        # a topic is its own target: the chat's choice does not touch it, and back
        assert await policy.chosen(FORUM, TOPIC) == "sections"
        await bot.ask(FORUM, CHAT_ADMIN, "/layout compact", thread_id=TOPIC)
        assert await policy.chosen(FORUM, TOPIC) == "compact"
        assert await policy.chosen(FORUM, None) == "sections"
        # buttons: a member's press is refused, an admin's press chooses and edits the message
        shown = (await bot.ask(GROUP, CHAT_ADMIN, "/layout"))[0]
        _, edits = await bot.press(GROUP, READER, shown.message_id, ChooseLayout("sections").pack())
        assert edits == [] and await policy.chosen(GROUP, None) == "rich"
        _, edits = await bot.press(
            GROUP, CHAT_ADMIN, shown.message_id, ChooseLayout("sections").pack()
        )
        assert await policy.chosen(GROUP, None) == "sections"
        assert edits[-1].parsed_text.startswith("Layout here: sections")
        # nonsense is explained, nothing changes
        replies = await bot.ask(GROUP, CHAT_ADMIN, "/layout fancy")
        assert "Unknown layout fancy" in replies[0].parsed_text
        assert await policy.chosen(GROUP, None) == "sections"
        # /status shows each target's layout
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert "Default layout: sections" in status
        assert f"• {GROUP} [sections]" in status and f"• {FORUM}:{TOPIC} [compact]" in status


async def test_private_reader_layout_used_by_today_and_digest(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    today = dt.date.today()
    write_digest(tmp_path / "content", today)
    async with running_bot(tg, tmp_path, admins=[ADMIN]) as bot:
        record = (await bot.services.catalog.find(None))[0]
        catalog = bot.services.catalog
        sections = [c.html for c in catalog.calls(record, layout="sections")]
        compact = [c.html for c in catalog.calls(record, layout="compact")]
        rich = [c.html for c in catalog.calls(record, layout="rich")]
        assert len(compact) < len(sections)
        replies = await bot.ask(READER, READER, "/today")
        assert [m.html for m in replies] == sections  # DIGEST_LAYOUT by default
        replies = await bot.ask(READER, READER, "/layout rich")
        assert replies[0].parsed_text.startswith("Your layout: rich")
        assert RICH_WARNING in replies[0].parsed_text
        replies = await bot.ask(READER, READER, "/today")
        assert [m.method for m in replies] == ["sendRichMessage"] * len(rich)
        assert [m.html for m in replies] == rich
        # another reader is not affected; the reader's /digest follows their layout too
        assert [m.html for m in await bot.ask(ADMIN, ADMIN, "/today")] == sections
        await bot.ask(READER, READER, "/layout compact")
        replies = await bot.ask(READER, READER, f"/digest {today.isoformat()}")
        assert [m.html for m in replies] == compact


async def test_preview_any_layout_and_the_404_server(fast_telegram, tmp_path):
    tg = fast_telegram
    setup_chats(tg)
    day = dt.date(2026, 11, 25)
    write_digest(tmp_path / "content", day)
    env = {"DIGEST_CHATS": f"{GROUP}:rich,{CHANNEL}"}
    async with running_bot(tg, tmp_path, admins=[ADMIN], env_overrides=env) as bot:
        record = (await bot.services.catalog.find(None))[0]
        compact = [c.html for c in bot.services.catalog.calls(record, layout="compact")]
        replies = await bot.ask(ADMIN, ADMIN, f"/preview rich {day.isoformat()}")
        assert [m.method for m in replies[:-1]] == ["sendRichMessage"]
        assert "layout rich" in replies[-1].parsed_text
        assert f"{GROUP} rich, {CHANNEL} sections" in replies[-1].parsed_text
        replies = await bot.ask(ADMIN, ADMIN, f"/preview {day.isoformat()} compact")
        assert [m.html for m in replies[:-1]] == compact
        assert [m.disable_notification for m in replies[:-1]] == [False] + [True] * (
            len(compact) - 1
        )  # only the first message notifies
        # an older Bot API server: rich becomes compact for the rest of the run, said once
        tg.set_rich_messages(False)
        replies = await bot.ask(ADMIN, ADMIN, "/preview rich")
        assert [m.html for m in replies[:-1]] == compact
        assert "layout compact (instead of rich)" in replies[-1].parsed_text
        assert f"{GROUP} rich (sent as compact)" in replies[-1].parsed_text
        status = (await bot.ask(ADMIN, ADMIN, "/status"))[0].parsed_text
        assert "Rich messages off for this run" in status
        rich_tries = sum(r.method == "sendRichMessage" for r in tg.requests)
        await bot.ask(ADMIN, ADMIN, "/preview rich")
        assert sum(r.method == "sendRichMessage" for r in tg.requests) == rich_tries  # latched


@given(
    chat=st.one_of(
        st.integers(-(10**13), 10**13),
        st.from_regex(r"@[A-Za-z][A-Za-z0-9_]{3,31}", fullmatch=True),
    ),
    thread=st.one_of(st.none(), st.integers(1, 10**9)),
    layout=st.one_of(st.none(), st.sampled_from(["sections", "compact", "rich"])),
)
def test_any_target_with_any_layout_reads_back_as_written(chat, thread, layout):
    text = str(chat) + (f":{thread}" if thread else "") + (f":{layout}" if layout else "")
    assert ChatTarget.parse(text) == ChatTarget(chat, thread, layout)
    # upper case works too, an unknown word never passes silently
    assert ChatTarget.parse(
        text.upper() if layout and isinstance(chat, int) else text
    ) == ChatTarget(chat, thread, layout)
    with pytest.raises(ConfigError, match="DIGEST_CHATS"):
        ChatTarget.parse(str(chat) + (f":{thread}" if thread else "") + ":fancy")
